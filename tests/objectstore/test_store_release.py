"""The release writer on a real S3 server (SeaweedFS): versions, reuse, unchanged content, readers."""

from __future__ import annotations

from pipeline.datasets.objectstore import StorePath
from pipeline.datasets.store_release import CLAIMS
from pipeline.datasets.versions import LATEST, list_versions, read_latest, read_manifest
from tests.objectstore import store_trials
from tests.reliability.release_trials import expected_hash, make_tables, publish_tables


def test_publish_on_the_store_then_unchanged_then_next(s3_root: StorePath) -> None:
    first, second = make_tables(1, 120), make_tables(2, 90)
    release = publish_tables(s3_root, first, n_chunks=3)  # type: ignore[arg-type]
    assert (release.version, release.published) == ("v0001", True)
    assert str(release.path) == f"{s3_root}/v0001"
    assert read_latest(s3_root) == "v0001" and (s3_root / LATEST).read_text() == "v0001\n"
    assert store_trials.verify_version(s3_root, "v0001", readers=True) == []
    assert read_manifest(s3_root, "v0001")["content_hash"] == expected_hash(first)

    again = publish_tables(s3_root, first, n_chunks=2)  # type: ignore[arg-type]
    assert (again.version, again.published) == ("v0001", False)
    assert list_versions(s3_root) == ["v0001"]

    nxt = publish_tables(s3_root, second)  # type: ignore[arg-type]
    assert (nxt.version, nxt.published) == ("v0002", True)
    assert list_versions(s3_root) == ["v0001", "v0002"] and read_latest(s3_root) == "v0002"
    assert store_trials.verify_version(s3_root, "v0002", readers=True) == []
    assert [i.base_name for i in (s3_root / CLAIMS).listing()] == ["v0001.json", "v0002.json"]


def test_a_claimed_number_without_a_manifest_is_invisible_and_skipped(s3_root: StorePath) -> None:
    """A killed writer's claim and half-uploaded files: no reader trusts them, the next writer skips them."""
    publish_tables(s3_root, make_tables(1, 50))  # type: ignore[arg-type]
    (s3_root / CLAIMS / "v0002.json").put_if_absent(b"{}")
    (s3_root / "v0002" / "documents" / "part-00000.parquet").write_bytes(b"PAR1 half written")
    assert list_versions(s3_root) == ["v0001"] and read_latest(s3_root) == "v0001"
    release = publish_tables(s3_root, make_tables(2, 50))  # type: ignore[arg-type]
    assert release.version == "v0003" and read_latest(s3_root) == "v0003"
    assert list_versions(s3_root) == ["v0001", "v0003"]
    assert (s3_root / "v0002" / "documents" / "part-00000.parquet").read_bytes() == b"PAR1 half written"


def test_latest_never_moves_back(s3_root: StorePath) -> None:
    from pipeline.datasets.store_release import move_latest

    publish_tables(s3_root, make_tables(1, 20))  # type: ignore[arg-type]
    publish_tables(s3_root, make_tables(2, 20))  # type: ignore[arg-type]
    move_latest(s3_root, "v0001")  # a slow writer of an older version comes last
    assert read_latest(s3_root) == "v0002"


def test_load_table_reads_a_version_on_the_store(s3_root: StorePath) -> None:
    from pipeline.datasets import load_table

    tables = make_tables(3, 40)
    publish_tables(s3_root, tables)  # type: ignore[arg-type]
    docs = load_table("documents", root=str(s3_root))
    assert sorted(docs["doc_id"]) == sorted(tables["documents"].column("doc_id").to_pylist())
    assert len(load_table("sections", version="1", root=str(s3_root))) == tables["sections"].num_rows


def test_parts_the_latest_version_holds_are_copied_inside_the_store(s3_root: StorePath) -> None:
    """One changed part of three: its files are uploaded, the other two parts' copied from v0001."""
    from tests.reliability.test_crash_safety import publish_keyed_parts

    parts = {f"key-{k}": make_tables(20 + k, 30 + k) for k in range(3)}
    first = publish_keyed_parts(s3_root, parts)  # type: ignore[arg-type]
    assert first.version == "v0001"
    before = store_trials.object_hashes(s3_root / "v0001")
    del parts["key-1"]  # a part's key says its rows: new rows, a new key
    parts = {"key-0": parts["key-0"], "key-1b": make_tables(99, 25), "key-2": parts["key-2"]}
    second = publish_keyed_parts(s3_root, parts)  # type: ignore[arg-type]
    assert (second.version, second.published) == ("v0002", True)
    # rehash=False: a parted release's hash combines its parts' digests, not the whole tables' (versions.py)
    assert store_trials.verify_version(s3_root, "v0002", readers=True, rehash=False) == []
    assert store_trials.object_hashes(s3_root / "v0001") == before
    old, new = read_manifest(s3_root, "v0001"), read_manifest(s3_root, "v0002")
    assert [p["key"] for p in new["parts"]] == ["key-0", "key-1b", "key-2"]
    for index in (0, 2):  # the reused parts: the same files, byte for byte, under the new version
        for table, files in new["parts"][index]["files"].items():
            olds = old["parts"][index]["files"][table]
            assert [new["files"][f]["sha256"] for f in files] == [old["files"][f]["sha256"] for f in olds]
    assert new["parts"][1]["digests"] != old["parts"][1]["digests"]
    unchanged = publish_keyed_parts(s3_root, parts)  # type: ignore[arg-type]
    assert (unchanged.version, unchanged.published) == ("v0002", False)
