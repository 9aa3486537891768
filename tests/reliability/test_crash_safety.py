"""The release writer killed with SIGKILL at every stage and at random times (reduced counts; the full
counts are in bench/stress.py): the previous versions keep their bytes, LATEST always names a complete
version that pandas, pyarrow, DuckDB and Polars read, and the next publish cleans up and publishes."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.datasets import versions
from pipeline.datasets.load import load_table
from pipeline.datasets.versions import (
    LATEST,
    STAGES,
    STAGING_PREFIX,
    list_versions,
    read_latest,
    read_manifest,
    remove_stale_staging,
)
from tests.reliability import release_trials as trials

N_DOCS = 400  # the stress bench uses 1,500
RANDOM_KILLS = 6  # the stress bench kills at least 60 writers at random times


@pytest.fixture(scope="module")
def contents() -> trials.Contents:
    return trials.Contents.build(N_DOCS)


def kill_at(root: Path, tables: dict[str, pa.Table], stage: str, nth: int = 1) -> trials.ChildReport:
    """Fork a writer publishing `tables` and SIGKILL it at the `nth` `stage`."""

    def work(report: Callable[[str], None]) -> dict[str, Any]:
        hook = trials.killer(stage, nth, report)
        return trials.release_outcome(
            trials.publish_tables(root, tables, n_chunks=trials.CHUNKS, on_stage=hook)
        )

    return trials.Child(work).wait()


def test_every_stage_has_a_fault_point_and_a_publish_reports_them_in_order(tmp_path: Path) -> None:
    assert {stage for _, stage, _ in trials.FAULT_POINTS} == set(STAGES)
    trials.publish_tables(tmp_path, trials.make_tables(0, 50))
    trials.plant_leftovers(tmp_path)
    seen: list[str] = []
    trials.publish_tables(tmp_path, trials.make_tables(1, 50), n_chunks=3, on_stage=seen.append)
    steps = ["locked", *["cleanup"] * 3, "staging", *["chunk"] * 3, "parts", "manifest", "staged"]
    assert seen == [*steps, "renamed", "latest_tmp", "latest"]


@pytest.mark.parametrize(("scenario", "stage", "nth"), trials.FAULT_POINTS)
def test_a_kill_at_each_stage_keeps_latest_complete_and_the_next_publish_recovers(
    tmp_path: Path, contents: trials.Contents, scenario: str, stage: str, nth: int
) -> None:
    result = trials.crash_trial(tmp_path, contents, scenario, stage=(stage, nth))
    assert result.failures == []
    assert result.stage == stage  # the writer really died there
    assert result.state == (trials.AFTER_STAGE.get(stage, "absent") if scenario == "new" else "absent")


def test_kills_at_random_times_keep_latest_complete_and_the_next_publish_recovers(tmp_path: Path) -> None:
    results = list(trials.crash_trials(tmp_path, repeats=0, random_kills=RANDOM_KILLS, n_docs=N_DOCS))
    assert [f for r in results for f in r.failures] == []
    assert sum(r.stage != "completed" for r in results) == RANDOM_KILLS


def test_a_kill_mid_parquet_write_leaves_a_part_without_footer_that_nobody_reads(
    tmp_path: Path, contents: trials.Contents
) -> None:
    trials.publish_tables(tmp_path, contents.base)
    report = kill_at(tmp_path, contents.new, "chunk", 1)
    assert report.killed and report.last_stage == "chunk"
    (staging,) = tmp_path.glob(f"{STAGING_PREFIX}*")
    torn = [p for p in staging.rglob("*.parquet") if not _has_footer(p)]
    assert torn  # the kill really landed inside a Parquet file
    assert read_latest(tmp_path) == "v0001" and list_versions(tmp_path) == ["v0001"]
    assert trials.verify_version(tmp_path, "v0001", readers=True) == []
    release = trials.publish_tables(tmp_path, contents.new)
    assert (release.version, release.published) == ("v0002", True)
    assert trials.leftovers(tmp_path) == []


def _has_footer(path: Path) -> bool:
    try:
        pq.read_metadata(path)
    except Exception:
        return False
    return True


def test_an_orphan_version_is_never_overwritten_and_readers_keep_using_latest(
    tmp_path: Path, contents: trials.Contents
) -> None:
    """Killed after the rename, before LATEST moved: v0002 is complete but LATEST still names v0001.

    Decision (documented in versions.py): LATEST is the commit point. The orphan stays exactly as it is,
    readers going through LATEST never see it, and the next publish numbers its version after it.
    """
    trials.publish_tables(tmp_path, contents.base)
    report = kill_at(tmp_path, contents.new, "renamed")
    assert report.killed
    assert list_versions(tmp_path) == ["v0001", "v0002"] and read_latest(tmp_path) == "v0001"
    assert trials.verify_version(tmp_path, "v0002", readers=True) == []  # complete, readable by name
    assert len(load_table("documents", root=tmp_path)) == contents.base["documents"].num_rows
    orphan = trials.tree_hashes(tmp_path / "v0002")

    again = trials.publish_tables(tmp_path, contents.new)  # the same content as the orphan
    assert (again.version, again.published) == ("v0003", True)
    assert (
        read_manifest(tmp_path, "v0003")["content_hash"] == read_manifest(tmp_path, "v0002")["content_hash"]
    )
    assert read_latest(tmp_path) == "v0003"
    assert trials.tree_hashes(tmp_path / "v0002") == orphan
    assert len(load_table("documents", root=tmp_path)) == contents.new["documents"].num_rows


def test_a_killed_writers_latest_temporary_file_is_removed_by_the_next_publish(
    tmp_path: Path, contents: trials.Contents
) -> None:
    """Bug fixed: a writer killed between writing `.LATEST.<pid>.tmp` and renaming it left the file for
    ever (the cleanup only looked for staging folders)."""
    trials.publish_tables(tmp_path, contents.base)
    report = kill_at(tmp_path, contents.new, "latest_tmp")
    assert report.killed
    assert [p.name for p in tmp_path.glob(f".{LATEST}.*.tmp")] == [f".{LATEST}.{report.pid}.tmp"]
    assert read_latest(tmp_path) == "v0001"
    trials.publish_tables(tmp_path, contents.new)
    assert list(tmp_path.glob(f".{LATEST}.*")) == []


def test_a_staging_folder_named_after_a_reused_process_id_is_removed_under_the_lock(tmp_path: Path) -> None:
    """Bug fixed: the cleanup kept every staging folder whose process id was alive, so a killed writer's
    folder stayed for ever once its id was reused by an unrelated process (pid_max is 32768 here)."""
    reused = tmp_path / f"{STAGING_PREFIX}{os.getppid()}-killed"  # our parent: alive, and no writer
    (reused / "documents").mkdir(parents=True)
    assert remove_stale_staging(tmp_path) == []  # without the lock, a live id is respected
    trials.publish_tables(tmp_path, trials.make_tables(0, 20))
    assert not reused.exists()
    assert trials.leftovers(tmp_path) == []


def test_the_checks_catch_torn_versions_and_a_bad_latest(tmp_path: Path, contents: trials.Contents) -> None:
    """The checks above can fail: each kind of damage a crash could cause is reported."""
    trials.publish_tables(tmp_path, contents.base)
    trials.publish_tables(tmp_path, contents.new)
    folder = tmp_path / "v0002"
    assert trials.verify_version(tmp_path, "v0002", readers=True) == []
    parts = sorted((folder / "documents").glob("*.parquet"))
    part = parts[0]
    good = part.read_bytes()
    part.write_bytes(good[: len(good) // 2])  # a half-written part
    assert any("sha256" in f for f in trials.verify_version(tmp_path, "v0002"))
    part.write_bytes(good)
    extra = folder / "documents" / "part-99999.parquet"
    extra.write_bytes(good)  # a part the manifest does not list
    assert any("not both" in f for f in trials.verify_version(tmp_path, "v0002"))
    failures = trials.read_with_every_reader(folder / "documents", contents.new["documents"].num_rows)
    assert {f.split(": ")[1].split()[0] for f in failures} == {"pyarrow", "pandas", "duckdb", "polars"}
    extra.unlink()
    review = folder / "review" / "index.html"
    page = review.read_bytes()
    review.write_bytes(page[: len(page) // 2])  # a half-written review page
    assert any("review/index.html: sha256" in f for f in trials.verify_version(tmp_path, "v0002"))
    review.write_bytes(page)
    (folder / "manifest.json").unlink()
    assert any("no readable manifest" in f for f in trials.verify_version(tmp_path, "v0002"))
    (tmp_path / LATEST).write_text("v0007\n")
    assert trials.check_latest(tmp_path, readers=False)[1] != []


def test_a_kill_signal_is_what_the_trials_report(tmp_path: Path) -> None:
    """A forked writer that dies by SIGKILL is reported as killed, one that finishes is not."""

    def die(report: Callable[[str], None]) -> dict[str, Any]:
        os.kill(os.getpid(), signal.SIGKILL)
        return {}

    killed = trials.Child(die).wait()
    assert killed.killed and killed.result is None
    finished = trials.Child(lambda report: {"outcome": "done"}).wait()
    assert (finished.killed, finished.exit_code, finished.result) == (False, 0, {"outcome": "done"})
    assert versions.ROWS_PER_PART == 100_000  # the children's small parts never leak into this process


def one_chunk(tables: dict[str, pa.Table]) -> Callable[[], list[dict[str, pa.Table]]]:
    """The chunks of a part that is written as one chunk."""
    return lambda: [tables]


def publish_keyed_parts(
    root: Path, parts: dict[str, dict[str, pa.Table]], on_stage: Callable[[str], None] | None = None
) -> versions.Release:
    """Publish one release part per key (each one chunk), as the pipeline's release does."""
    return versions.publish_parts(
        root,
        [versions.ReleasePart(key, one_chunk(tables)) for key, tables in parts.items()],
        trials.SCHEMAS,
        lambda: {"input": {"files": sum(t["documents"].num_rows for t in parts.values())}},
        lambda manifest: f"# {manifest['version']}\n",
        on_stage=on_stage or (lambda name: None),
    )


def inodes(folder: Path) -> set[int]:
    """The inode of every Parquet file under `folder`."""
    return {p.stat().st_ino for p in folder.rglob("*.parquet")}


@pytest.mark.parametrize("stage", ["chunk", "parts", "manifest", "renamed"])
def test_a_kill_while_parts_are_linked_leaves_the_version_they_link_from_intact(
    tmp_path: Path, stage: str
) -> None:
    # Why: a reused part is hard-linked from the latest version, so a killed writer leaves links to its
    # files behind; removing them (or writing beside them) must never touch the files they share.
    first = {key: trials.make_tables(seed, 120) for key, seed in (("a", 10), ("b", 11), ("c", 12))}
    publish_keyed_parts(tmp_path, first)
    before = trials.tree_hashes(tmp_path / "v0001")
    second = {"a": first["a"], "b2": trials.make_tables(13, 120), "c": first["c"]}  # b edited: b2

    report = trials.Child(
        lambda hook: trials.release_outcome(
            publish_keyed_parts(tmp_path, second, trials.killer(stage, 1, hook))
        )
    ).wait()
    assert report.killed and report.last_stage == stage
    left = [*tmp_path.glob(f"{STAGING_PREFIX}*"), *([tmp_path / "v0002"] if stage == "renamed" else [])]
    (folder,) = left
    assert inodes(folder) & inodes(tmp_path / "v0001")  # the kill landed with links in place
    assert trials.tree_hashes(tmp_path / "v0001") == before
    assert read_latest(tmp_path) == "v0001"
    assert trials.verify_version(tmp_path, "v0001", readers=True, rehash=False) == []

    release = publish_keyed_parts(tmp_path, second)
    assert release.published and read_latest(tmp_path) == release.version
    assert trials.leftovers(tmp_path) == []
    assert trials.tree_hashes(tmp_path / "v0001") == before
    assert trials.verify_version(tmp_path, release.version, readers=True, rehash=False) == []
    shared = inodes(tmp_path / release.version) & inodes(tmp_path / "v0001")
    assert len(shared) == 2 * len(trials.TABLES)  # parts a and c, one file per table each
    ids = load_table("documents", root=tmp_path)["doc_id"].tolist()
    assert sorted(ids) == sorted(id_ for t in second.values() for id_ in t["documents"]["doc_id"].to_pylist())
