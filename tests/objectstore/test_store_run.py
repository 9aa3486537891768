"""A whole run through the real CLI from s3:// seeds to an s3:// release on the SeaweedFS server: the
tables equal a local run's of the same files, an unchanged re-run publishes nothing, a changed object
publishes the next version; `webcurate status` lists the versions on the store; settings that cannot
work are refused before the run, each on one line."""

from __future__ import annotations

from pathlib import Path

import pyarrow.dataset as ds
import pytest

from pipeline.datasets.objectstore import StorePath
from pipeline.datasets.release import RELEASE_TABLES
from pipeline.datasets.versions import list_versions, read_latest
from tests.conftest import SEEDS
from tests.e2e.conftest import BIN, e2e_env, run_cli
from tests.objectstore import store_trials

pytestmark = pytest.mark.e2e


def upload_seeds(prefix: StorePath, folder: Path = SEEDS) -> list[str]:
    """Copy every visible file of `folder` under `prefix`; their relative paths."""
    names = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and not any(part.startswith(".") for part in relative.split("/")):
            (prefix / relative).upload(path)
            names.append(relative)
    return names


def tables_of(root: Path | StorePath, version: str) -> dict[str, list[dict[str, object]]]:
    """Every release table of a version, as rows."""
    return {
        name: ds.dataset(f"{root / version / name}/", format="parquet").to_table().to_pylist()
        for name in RELEASE_TABLES
    }


def test_a_run_from_s3_seeds_to_an_s3_release_equals_a_local_run(bucket: str, tmp_path: Path) -> None:
    seeds = StorePath.parse(f"s3://{bucket}/scrape")
    assert len(upload_seeds(seeds)) >= 5
    output = f"s3://{bucket}/datasets"
    root = StorePath.parse(output) / "curated"
    (tmp_path / "store").mkdir()
    env = e2e_env(tmp_path / "store", WEBCURATE_WORK_DIR=str(tmp_path / "store" / "work"))
    env.update(WEBCURATE_SEEDS_DIR=str(seeds), WEBCURATE_OUTPUT_DIR=output)

    first = run_cli([str(BIN / "webcurate"), "run", "--progress", "log"], env)
    assert first.returncode == 0, first.stderr[-3000:]
    assert f"published: v0001 at {root}/v0001" in first.stdout
    assert list_versions(root) == ["v0001"] and read_latest(root) == "v0001"
    assert store_trials.verify_version(root, "v0001", rehash=False) == []

    local_tmp = tmp_path / "local"
    local_tmp.mkdir()
    local = run_cli([str(BIN / "webcurate"), "run", "--progress", "log"], e2e_env(local_tmp))
    assert local.returncode == 0, local.stderr[-3000:]
    assert tables_of(root, "v0001") == tables_of(local_tmp / "output" / "curated", "v0001")

    again = run_cli([str(BIN / "webcurate"), "run", "--progress", "log"], env)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "unchanged" in again.stdout and list_versions(root) == ["v0001"]

    name = sorted(p.name for p in SEEDS.iterdir() if p.suffix == ".txt")[0]
    added = "\nA closing paragraph added after the first release.\n"
    edited = (SEEDS / name).read_text(encoding="utf-8") + added
    (seeds / name).write_bytes(edited.encode())
    changed = run_cli([str(BIN / "webcurate"), "run", "--progress", "log"], env)
    assert changed.returncode == 0, changed.stderr[-3000:]
    assert list_versions(root) == ["v0001", "v0002"] and read_latest(root) == "v0002"
    assert store_trials.verify_version(root, "v0002", rehash=False) == []
    texts = {row["source_path"]: row["text"] for row in tables_of(root, "v0002")["documents"]}
    text = texts[name]
    assert isinstance(text, str)
    assert "A closing paragraph added" in text

    status = run_cli([str(BIN / "webcurate"), "status", "--output-dir", output], env)
    assert status.returncode == 0 and "v0002" in status.stdout and "<- LATEST" in status.stdout


def test_settings_on_a_store_that_cannot_work_are_refused_before_the_run(bucket: str, tmp_path: Path) -> None:
    env = e2e_env(tmp_path)
    env.update(
        WEBCURATE_SEEDS_DIR="s3://no-such-bucket-here/seeds",
        WEBCURATE_OUTPUT_DIR=f"gs://{bucket}/out",
        WEBCURATE_WORK_DIR="s3://no-such-work-bucket/work",
    )
    result = run_cli([str(BIN / "webcurate"), "run", "--progress", "log"], env)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line.removeprefix("webcurate: error: ") for line in result.stderr.splitlines()]
    assert any(line.startswith("WEBCURATE_SEEDS_DIR=") and "does not exist" in line for line in lines)
    assert any(line.startswith("WEBCURATE_OUTPUT_DIR=") and "s3:// only" in line for line in lines)
    assert any(line.startswith("WEBCURATE_WORK_DIR=") and "does not exist" in line for line in lines)


def test_a_run_with_seeds_stages_and_release_on_s3_needs_no_shared_disk(bucket: str, tmp_path: Path) -> None:
    seeds = StorePath.parse(f"s3://{bucket}/scrape")
    upload_seeds(seeds)
    work = StorePath.parse(f"s3://{bucket}/work")
    output = f"s3://{bucket}/datasets"
    root = StorePath.parse(output) / "curated"

    def machine(name: str) -> dict[str, str]:
        """A machine of its own: its own Dagster home (and so its own mirror of the stages)."""
        (tmp_path / name).mkdir()
        env = e2e_env(tmp_path / name, WEBCURATE_WORK_DIR=str(work))
        env.update(WEBCURATE_SEEDS_DIR=str(seeds), WEBCURATE_OUTPUT_DIR=output)
        return env

    first = run_cli([str(BIN / "webcurate"), "run", "--progress", "log"], machine("first"))
    assert first.returncode == 0, first.stderr[-3000:]
    assert list_versions(root) == ["v0001"]
    # The stages are on the store: the per-document ones as parts and their list, the others as files
    # with the record of what they were made from.
    for stage in ("parsed_documents", "clean_documents", "sections", "language_tags"):
        assert (work / f"{stage}.parquet" / "parts.json").is_file(), stage
    for stage in ("raw_documents", "repeated_lines", "duplicates"):
        assert (work / f"{stage}.parquet").is_file(), stage
    assert (work / "repeated_lines.parquet.inputs.json").is_file()

    # Another machine, with nothing on its disk: it takes the stages from the store, computes nothing
    # and publishes nothing new (run straight after the first: a change to the step code in between
    # would rightly recompute).
    parts = sorted(p.name for p in (work / "parsed_documents.parquet").iterdir())
    second = run_cli([str(BIN / "webcurate"), "run", "--progress", "log"], machine("second"))
    assert second.returncode == 0, second.stderr[-3000:]
    assert "unchanged" in second.stdout and list_versions(root) == ["v0001"]
    assert sorted(p.name for p in (work / "parsed_documents.parquet").iterdir()) == parts
    # The parse and curate stages each say so (their last log line).
    assert second.stderr.count(": 0 computed, 5 reused") == 2, second.stderr[-3000:]

    (tmp_path / "local").mkdir()
    local = run_cli([str(BIN / "webcurate"), "run", "--progress", "log"], e2e_env(tmp_path / "local"))
    assert local.returncode == 0, local.stderr[-3000:]
    assert tables_of(root, "v0001") == tables_of(tmp_path / "local" / "output" / "curated", "v0001")
