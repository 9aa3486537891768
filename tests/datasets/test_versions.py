"""Publishing versions: atomic, never overwritten, idempotent on equal content, blocked on violations."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from pipeline.datasets.schema import TableSchema, load_schema
from pipeline.datasets.versions import (
    ContentHasher,
    ReleaseBlocked,
    content_hash,
    list_versions,
    publish,
    publish_stream,
    read_latest,
    read_manifest,
    remove_stale_staging,
)
from tests.conftest import REPO
from tests.datasets.test_schema import good_row


def schemas() -> dict[str, TableSchema]:
    return {"documents": load_schema(REPO / "schemas", "documents")}


def tables(*texts: str) -> dict[str, pa.Table]:
    rows = [
        good_row(doc_id=f"{i:016x}", source_path=f"{i}.txt", text=t, n_chars=len(t), n_words=len(t.split()))
        for i, t in enumerate(texts)
    ]
    return {"documents": pa.Table.from_pylist(rows, schema=schemas()["documents"].arrow)}


def do_publish(root: Path, *texts: str):  # type: ignore[no-untyped-def]
    return publish(
        root, tables(*texts), schemas(), {"input": {"files": len(texts)}}, lambda m: f"# {m['version']}\n"
    )


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def test_first_publish_creates_v0001_with_manifest_card_and_latest(tmp_path: Path) -> None:
    release = do_publish(tmp_path, "Hello world.")
    assert (release.version, release.published) == ("v0001", True)
    assert read_latest(tmp_path) == "v0001"
    manifest = read_manifest(tmp_path, "v0001")
    assert manifest["rows"] == {"documents": 1}
    assert manifest["schemas"] == {"documents": "documents.v1.json"}
    (part,) = manifest["files"]
    assert part == "documents/part-00000.parquet"
    assert (
        manifest["files"][part]["sha256"]
        == hashlib.sha256((tmp_path / "v0001" / part).read_bytes()).hexdigest()
    )
    assert (tmp_path / "v0001" / "README.md").read_text() == "# v0001\n"
    assert not list(tmp_path.glob(".staging-*"))


def test_equal_content_publishes_nothing_and_new_content_a_new_version(tmp_path: Path) -> None:
    do_publish(tmp_path, "Hello world.")
    before = tree_hashes(tmp_path)
    again = do_publish(tmp_path, "Hello world.")
    assert (again.version, again.published) == ("v0001", False)
    assert "nothing new" in again.message
    assert tree_hashes(tmp_path) == before
    changed = do_publish(tmp_path, "Hello changed world.")
    assert (changed.version, changed.published) == ("v0002", True)
    assert list_versions(tmp_path) == ["v0001", "v0002"] and read_latest(tmp_path) == "v0002"
    assert {k: v for k, v in tree_hashes(tmp_path).items() if k.startswith("v0001")} == {
        k: v for k, v in before.items() if k.startswith("v0001")
    }


def test_a_violation_blocks_the_release_and_leaves_everything_untouched(tmp_path: Path) -> None:
    do_publish(tmp_path, "Hello world.")
    before = tree_hashes(tmp_path)
    with pytest.raises(ReleaseBlocked) as blocked:
        do_publish(tmp_path, "Fine text.", "   ")
    assert [str(v) for v in blocked.value.violations] == [
        "documents.text: non_empty: 1 empty values",
        "documents.n_words: min: below 1: 0",
    ]
    assert tree_hashes(tmp_path) == before
    assert read_latest(tmp_path) == "v0001"


def test_an_existing_version_folder_is_never_overwritten(tmp_path: Path) -> None:
    do_publish(tmp_path, "Hello world.")
    # A foreign folder named like the next version (say, copied in by hand) must not be replaced.
    (tmp_path / "v0002").mkdir()
    (tmp_path / "v0002" / "keep.txt").write_text("mine")
    release = do_publish(tmp_path, "Other text.")
    assert release.version == "v0003"
    assert (tmp_path / "v0002" / "keep.txt").read_text() == "mine"


def test_stale_staging_of_dead_writers_is_removed(tmp_path: Path) -> None:
    dead = tmp_path / ".staging-999999999-abcd"
    live = tmp_path / f".staging-{os.getppid()}-abcd"
    dead.mkdir()
    live.mkdir()
    assert remove_stale_staging(tmp_path) == [dead.name]
    assert live.exists()


def test_the_manifest_is_valid_json_naming_the_content_hash(tmp_path: Path) -> None:
    release = do_publish(tmp_path, "Hello world.")
    manifest = json.loads((tmp_path / "v0001" / "manifest.json").read_text())
    assert manifest["content_hash"] == release.content_hash
    assert manifest["input"] == {"files": 1}


def _publish_in_child(root: str, text: str) -> str:
    return str(do_publish(Path(root), text).version)


def test_concurrent_writers_get_distinct_complete_versions(tmp_path: Path) -> None:
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(4) as pool:
        versions = pool.starmap(_publish_in_child, [(str(tmp_path), f"Text number {i}.") for i in range(4)])
    assert sorted(versions) == ["v0001", "v0002", "v0003", "v0004"]
    assert read_latest(tmp_path) == "v0004"
    for version in versions:
        manifest = read_manifest(tmp_path, version)
        for name, entry in manifest["files"].items():
            assert hashlib.sha256((tmp_path / version / name).read_bytes()).hexdigest() == entry["sha256"]
    assert not list(tmp_path.glob(".staging-*"))


def test_the_content_hash_does_not_depend_on_how_rows_were_chunked() -> None:
    table = tables(*(f"Document number {i} has some text." for i in range(10)))["documents"]
    whole = content_hash({"documents": table})
    for size in (1, 3, 7):
        hasher = ContentHasher()
        for batch in table.to_batches(max_chunksize=size):
            hasher.update("documents", pa.Table.from_batches([batch]))
        assert hasher.hexdigest() == whole
    assert content_hash({"documents": table.slice(1)}) != whole


def test_a_streamed_release_finds_duplicates_across_chunks_and_publishes_nothing(tmp_path: Path) -> None:
    first, second = tables("One text.")["documents"], tables("Another text.")["documents"]  # both doc_id 0
    chunks = [{"documents": first}, {"documents": second}]
    with pytest.raises(ReleaseBlocked) as blocked:
        publish_stream(tmp_path, chunks, schemas(), dict, lambda m: "")
    assert [(v.column, v.rule) for v in blocked.value.violations] == [
        ("doc_id", "unique"),
        ("source_path", "unique"),
    ]
    assert list_versions(tmp_path) == [] and read_latest(tmp_path) is None
    assert [p.name for p in tmp_path.iterdir()] == [".lock"]  # the staging folder is gone


def test_a_streamed_release_makes_at_most_one_chunk_ahead_of_the_one_it_writes(tmp_path: Path) -> None:
    # Why: the next chunk is made on a second thread while one is written; made a whole part ahead, a
    # stream of one part (publish_stream) would sit in memory whole.
    table = tables(*(f"Document number {i} has some text." for i in range(12)))["documents"]
    made = 0

    def chunks() -> Iterator[dict[str, pa.Table]]:
        nonlocal made
        for batch in table.to_batches(max_chunksize=1):
            made += 1
            yield {"documents": pa.Table.from_batches([batch])}

    ahead: list[int] = []
    written = 0

    def on_stage(name: str) -> None:
        nonlocal written
        if name == "chunk":
            written += 1
            ahead.append(made - written)

    release = publish_stream(tmp_path, chunks(), schemas(), dict, lambda m: "", on_stage=on_stage)
    assert release.published and written == 12
    assert max(ahead) <= 1
