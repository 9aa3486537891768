"""Stage files on the SeaweedFS server (stages/store.py): what one mirror commits another mirror reads
back equal, pulling only what changed; the store's stage is the truth the mirrors follow."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.datasets.files import PARTS_FILE, AtomicParquetWriter, PartedStageWriter
from pipeline.datasets.objectstore import StorePath
from pipeline.datasets.stages import StageStore

SCHEMA = pa.schema([("doc_id", pa.string()), ("n", pa.int64())])


def rows(*ids: str) -> pa.Table:
    """A small table of `ids`."""
    return pa.table({"doc_id": list(ids), "n": [len(i) for i in ids]}, schema=SCHEMA)


def write_parted(path: Path, parts: dict[str, pa.Table]) -> None:
    """A parted stage at `path` with these parts, reusing the ones its previous version listed."""
    writer = PartedStageWriter(path, SCHEMA)
    for name, table in parts.items():
        if writer.has(name):
            writer.keep(name)
        else:
            writer.write(name, [table])
    writer.commit()


def test_a_stage_committed_from_one_mirror_is_read_from_another(bucket: str, tmp_path: Path) -> None:
    url = f"s3://{bucket}/work"
    first = StageStore.from_uri(url, mirror=tmp_path / "first")
    second = StageStore.from_uri(url, mirror=tmp_path / "second")
    assert first == second and not first.is_local
    handle = first.handle("parsed_documents")
    assert handle.location == f"s3://{bucket}/work/parsed_documents.parquet"
    assert not handle.exists()

    write_parted(handle.path, {"a.parquet": rows("a1", "a2"), "b.parquet": rows("b1")})
    handle.commit()
    stored = StorePath.parse(url) / "parsed_documents.parquet"
    assert sorted(p.name for p in stored.iterdir()) == ["a.parquet", "b.parquet", PARTS_FILE]
    other = second.handle("parsed_documents")
    assert other.exists() and other.read().equals(handle.read())
    assert other.version() == handle.version()

    # A new version of the stage: part a kept, b replaced by c. The other mirror downloads c and the
    # list only; the store no longer holds b.
    kept = other.path / "a.parquet"
    before = kept.stat().st_mtime_ns, kept.stat().st_ino
    write_parted(handle.path, {"a.parquet": rows("a1", "a2"), "c.parquet": rows("c1", "c2", "c3")})
    handle.commit()
    assert sorted(p.name for p in stored.iterdir()) == ["a.parquet", "c.parquet", PARTS_FILE]
    assert other.read().to_pylist() == rows("a1", "a2", "c1", "c2", "c3").to_pylist()
    assert (kept.stat().st_mtime_ns, kept.stat().st_ino) == before


def test_a_single_file_stage_and_its_record_follow_the_store(bucket: str, tmp_path: Path) -> None:
    url = f"s3://{bucket}/work"
    first = StageStore.from_uri(url, mirror=tmp_path / "first").handle("repeated_lines")
    second = StageStore.from_uri(url, mirror=tmp_path / "second").handle("repeated_lines")
    with AtomicParquetWriter(first.path, SCHEMA) as writer:
        writer.write(rows("x"))
    record = first.path.with_name(first.path.name + ".inputs.json")
    record.write_text('{"key": "one"}', encoding="utf-8")
    assert first.exists() and not second.exists()  # written here and not pushed: the pull keeps it
    first.commit()
    assert second.read().equals(rows("x")) and second.version() == first.version()

    # Rewritten in place (same name): the other mirror sees the new file and record.
    with AtomicParquetWriter(first.path, SCHEMA) as writer:
        writer.write(rows("y", "zz"))
    record.write_text('{"key": "two"}', encoding="utf-8")
    first.commit()
    assert second.read().equals(rows("y", "zz")) and second.version() == first.version()

    # Gone from the store: gone from every mirror that looks.
    stored = StorePath.parse(url)
    (stored / "repeated_lines.parquet").delete()
    (stored / "repeated_lines.parquet.inputs.json").delete()
    assert not second.exists() and not second.path.with_name("repeated_lines.parquet.inputs.json").exists()
    assert pq.read_table(first.store.local_path("repeated_lines")).num_rows == 2  # until it pulls
    assert not first.exists()


def test_a_store_without_etags_is_followed_by_size_and_time(tmp_path: Path) -> None:
    # A pyarrow filesystem that is not S3 (a sub-tree of a local folder, standing in for gs:// or az://):
    # the objects' signatures are their size and modification time.
    import pyarrow.fs as pafs

    (tmp_path / "bucket").mkdir()
    filesystem = pafs.SubTreeFileSystem(str(tmp_path / "bucket"), pafs.LocalFileSystem())
    first = StageStore("work", filesystem, tmp_path / "first").handle("parsed_documents")
    second = StageStore("work", filesystem, tmp_path / "second").handle("parsed_documents")
    write_parted(first.path, {"a.parquet": rows("a1"), "b.parquet": rows("b1")})
    first.commit()
    assert second.read().equals(first.read())
    write_parted(first.path, {"a.parquet": rows("a1"), "c.parquet": rows("c1")})
    first.commit()
    assert second.read().to_pylist() == rows("a1", "c1").to_pylist()
    assert sorted(p.name for p in (tmp_path / "bucket" / "work" / "parsed_documents.parquet").iterdir()) == [
        "a.parquet",
        "c.parquet",
        PARTS_FILE,
    ]


def test_explain_takes_the_repeated_lines_of_a_work_folder_on_the_store(bucket: str, tmp_path: Path) -> None:
    from pipeline.datasets.explain import ExplainSettings

    url = f"s3://{bucket}/work"
    env = {"WEBCURATE_WORK_DIR": url, "DAGSTER_HOME": str(tmp_path / "home")}
    assert ExplainSettings.from_env(env).repeated_lines is None  # no run yet
    written = StageStore.from_uri(url, mirror=tmp_path / "run").handle("repeated_lines")
    with AtomicParquetWriter(written.path, SCHEMA) as writer:
        writer.write(rows("x"))
    written.commit()
    found = ExplainSettings.from_env(env).repeated_lines
    assert found is not None and pq.read_table(found).equals(rows("x"))
    assert Path(found).is_relative_to(tmp_path / "home" / "storage" / "webcurate-mirror")
