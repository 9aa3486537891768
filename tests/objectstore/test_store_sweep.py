"""Leftovers of writers that died before committing, swept on the SeaweedFS server (store_release.
sweep_abandoned): a killed writer's files go at the next publish, its claim stays (the number is never
reused), a live writer's and a young foreign claim's stay, and a writer whose claim was swept never
commits."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from pipeline.datasets.objectstore import StorePath
from pipeline.datasets.store_release import CLAIMS, ClaimLost, sweep_abandoned
from pipeline.datasets.versions import MANIFEST, list_versions, read_latest
from tests.reliability.release_trials import Child, killer, make_tables, publish_tables, release_outcome


def files_under(prefix: StorePath) -> list[str]:
    """The objects under `prefix`, relative to it."""
    return sorted(i.path[len(prefix.fs_path) + 1 :] for i in prefix.listing(recursive=True) if i.size)


def claim_of(root: StorePath, version: str) -> dict[str, Any]:
    """A version's claim."""
    return dict(json.loads((root / CLAIMS / f"{version}.json").read_text()))


def test_a_killed_writers_files_are_swept_and_its_number_never_reused(s3_root: StorePath) -> None:
    publish_tables(s3_root, make_tables(1, 60))  # type: ignore[arg-type]

    def work(report: Any) -> dict[str, Any]:
        hook = killer("uploaded", 1, report)
        return release_outcome(publish_tables(s3_root, make_tables(2, 60), n_chunks=2, on_stage=hook))  # type: ignore[arg-type]

    report = Child(work).wait()
    assert report.killed and report.last_stage == "uploaded"
    left = files_under(s3_root / "v0002")
    assert left and MANIFEST not in left and list_versions(s3_root) == ["v0001"]

    # Its writer was a process of this machine that no longer runs: gone, however young the claim.
    assert sweep_abandoned(s3_root) == ["v0002"]
    assert files_under(s3_root / "v0002") == []
    assert "swept" in claim_of(s3_root, "v0002")
    assert sweep_abandoned(s3_root) == []  # once

    release = publish_tables(s3_root, make_tables(3, 60))  # type: ignore[arg-type]
    assert release.version == "v0003" and read_latest(s3_root) == "v0003"
    assert list_versions(s3_root) == ["v0001", "v0003"]
    assert (s3_root / CLAIMS / "v0002.json").is_file()


def test_a_publish_sweeps_what_a_killed_writer_left(s3_root: StorePath) -> None:
    publish_tables(s3_root, make_tables(1, 60))  # type: ignore[arg-type]

    def work(report: Any) -> dict[str, Any]:
        hook = killer("upload", 2, report)
        return release_outcome(publish_tables(s3_root, make_tables(2, 60), n_chunks=2, on_stage=hook))  # type: ignore[arg-type]

    assert Child(work).wait().killed and files_under(s3_root / "v0002")
    assert publish_tables(s3_root, make_tables(3, 60)).version == "v0003"  # type: ignore[arg-type]
    assert files_under(s3_root / "v0002") == [] and "swept" in claim_of(s3_root, "v0002")


def test_claims_of_writers_that_may_be_alive_are_kept(s3_root: StorePath) -> None:
    publish_tables(s3_root, make_tables(1, 60))  # type: ignore[arg-type]
    foreign = {"version": "v0002", "writer": "another-machine:4242:abcd", "claimed": "2026-01-01T00:00:00"}
    (s3_root / CLAIMS / "v0002.json").put_if_absent(json.dumps(foreign).encode())
    (s3_root / "v0002" / "documents" / "part-00000.parquet").write_bytes(b"PAR1 half written")

    # Another machine's writer cannot be seen from here: only its claim's age (on the store's clock) counts.
    assert sweep_abandoned(s3_root) == []
    assert sweep_abandoned(s3_root, now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=23)) == []
    assert files_under(s3_root / "v0002") == ["documents/part-00000.parquet"]
    assert sweep_abandoned(s3_root, now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=25)) == ["v0002"]
    assert files_under(s3_root / "v0002") == []


def test_a_writer_whose_claim_was_swept_does_not_commit(s3_root: StorePath) -> None:
    publish_tables(s3_root, make_tables(1, 60))  # type: ignore[arg-type]

    def sweep_as_another_machine(stage: str) -> None:
        """Sweep when the writer has uploaded, as a machine that cannot see it and finds its claim old."""
        if stage == "uploaded":
            assert sweep_abandoned(s3_root, older_than=dt.timedelta(0), host="another-machine") == ["v0002"]

    with pytest.raises(ClaimLost):
        publish_tables(s3_root, make_tables(2, 60), on_stage=sweep_as_another_machine)  # type: ignore[arg-type]
    assert list_versions(s3_root) == ["v0001"] and read_latest(s3_root) == "v0001"
    assert files_under(s3_root / "v0002") == []
