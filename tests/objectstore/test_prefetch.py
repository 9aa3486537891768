"""The parse step reading a task's objects ahead on threads (store_seeds.Prefetch, ParseStep.prepare), on
the SeaweedFS server: the rows equal those of reading each object in the step, an object deleted or
changed after the listing fails its own row only, and no more than the budget is read ahead."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from pipeline.datasets import stages
from pipeline.datasets.objectstore import StorePath
from pipeline.datasets.stages.parse import ParseStep
from pipeline.datasets.steps import Row, SeedsConfig, parse_step
from pipeline.datasets.store_seeds import Prefetch, Request
from tests.conftest import SEEDS
from tests.objectstore.test_store_run import upload_seeds

MAX_BYTES = 1 << 20


def listed_rows(seeds: StorePath, tmp_path: Path) -> list[Row]:
    """The inventory rows of `seeds` (a listing: no object read)."""
    stages.ingest.ingest(seeds, tmp_path / "raw.parquet", max_bytes=MAX_BYTES)
    rows: list[Row] = pq.read_table(tmp_path / "raw.parquet").to_pylist()
    return rows


def test_prefetched_rows_equal_reading_each_object_in_the_step(bucket: str, tmp_path: Path) -> None:
    seeds = StorePath.parse(f"s3://{bucket}/seeds")
    names = upload_seeds(seeds)
    rows = listed_rows(seeds, tmp_path)
    # After the listing, one object goes and one changes: each fails its own row, as in a serial read.
    (seeds / names[1]).delete()
    (seeds / names[3]).write_bytes(b"rewritten after the listing\n")
    config = SeedsConfig(str(seeds), MAX_BYTES)
    alone = [parse_step(config, row) for row in rows]

    step = ParseStep(config)
    step.prepare(rows)
    ahead = [step(row) for row in rows]

    assert ahead == alone
    reasons = {row["source_path"]: row["skip_reason"] for row in ahead}
    assert reasons[names[1]].startswith("unreadable: NoSuchKey")
    assert reasons[names[3]] == "unreadable: changed while the run was reading it (the next run picks it up)"
    assert sum(reason is None for reason in reasons.values()) == len(names) - 2


def test_prefetch_reads_ahead_within_its_budget_and_in_order(bucket: str, tmp_path: Path) -> None:
    seeds = StorePath.parse(f"s3://{bucket}/seeds")
    upload_seeds(seeds)
    rows = listed_rows(seeds, tmp_path)
    requests: list[Request] = [(str(seeds), r["source_path"], r["stat_key"], MAX_BYTES) for r in rows]
    sizes = [int(r["size_bytes"]) for r in rows]

    prefetch = Prefetch(threads=2, ahead=3, budget=MAX_BYTES)
    prefetch.start(requests)
    assert prefetch.held == 3  # `ahead` caps the reads held
    for request in requests:
        assert prefetch.take(request) == (SEEDS / request[1]).read_bytes()
        assert prefetch.held <= 3
    assert prefetch.held == 0

    # A budget below two objects' listed size: one read at a time (a larger object is still read, alone).
    prefetch = Prefetch(threads=2, ahead=3, budget=min(sizes) - 1)
    prefetch.start(requests)
    assert prefetch.held == 1
    # Asked out of order, a queued object is not read ahead (the caller reads it) nor later again.
    assert prefetch.take(requests[2]) is None
    assert prefetch.take(requests[0]) is not None and prefetch.take(requests[1]) is not None
    assert prefetch.take(requests[2]) is None and prefetch.take(requests[3]) is not None
