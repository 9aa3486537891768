"""The parse stage: every listed file read, decoded and parsed (parse_step), part by part.

The parts (about `part_rows` documents each, cut where the paths say) are those of every later
per-document stage too."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.datasets.files import PART_ROWS, read_batches
from pipeline.datasets.progress import Log
from pipeline.datasets.progress import quiet as _quiet
from pipeline.datasets.stages.core import (
    DEFAULT_BATCH_SIZE,
    Stage,
    StageStats,
    digest,
    run_stage,
    source_digest,
    stream_input,
)
from pipeline.datasets.steps import PARSED_STEP_SCHEMA, SeedsConfig, code_version, parse_keys, parse_step
from pipeline.engine import EngineSpec

NAME = "parsed_documents"
INPUTS = ("raw_documents",)


def version(seeds: SeedsConfig) -> str:
    """What shapes the parsed rows besides the files: the step code and the size limit."""
    return digest(NAME, code_version(), seeds.max_bytes)[:16]


def asset_version(seeds: SeedsConfig) -> str:
    """The parse asset's code version: the rows' version and the stage code that writes them."""
    return digest(version(seeds), source_digest("datasets/stages/core.py", "datasets/stages/parse.py"))[:16]


def tally(batch: pa.RecordBatch, stats: StageStats) -> list[pa.Table]:
    """Formats, encodings and repairs of a parsed batch."""
    stats.tally("format", batch.column("format"))
    stats.tally("encoding", batch.column("encoding"))
    stats.tally("repairs", pc.list_flatten(batch.column("repairs")))
    return []


def stage(seeds: SeedsConfig) -> Stage:
    """The parse stage over the files under `seeds`."""
    return Stage(
        "parse", PARSED_STEP_SCHEMA, INPUTS, parse_keys, partial(parse_step, seeds), version(seeds), tally
    )


def parse(
    raw: Path,
    out: Path,
    engine: EngineSpec,
    seeds: SeedsConfig,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    part_rows: int = PART_ROWS,
    log: Log = _quiet,
) -> StageStats:
    """Read, decode and parse every listed file into `out`, reusing the parts and rows of unchanged files."""
    keys: list[str] = []
    paths: list[str] = []
    for batch in read_batches(raw, columns=["source_path", "sha256", "skip_reason"], batch_size=50_000):
        keys.extend(parse_keys(batch))
        paths.extend(batch.column("source_path").to_pylist())
    source = stream_input(
        lambda: read_batches(raw, batch_size=batch_size), keys, paths, part_rows, batch_size
    )
    return run_stage(stage(seeds), source, [out], engine, log)
