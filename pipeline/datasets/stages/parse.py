"""The parse stage: every listed file read, decoded and parsed (parse_step), part by part.

The parts (about `part_rows` documents each, cut where the paths say) are those of every later
per-document stage too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.datasets.files import PART_ROWS, read_batches
from pipeline.datasets.objectstore import is_url
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
from pipeline.datasets.steps import (
    PARSED_STEP_SCHEMA,
    Row,
    SeedsConfig,
    parse_code_version,
    parse_keys,
    parse_step,
)
from pipeline.datasets.store_seeds import prefetch
from pipeline.engine import EngineSpec

NAME = "parsed_documents"
INPUTS = ("raw_documents",)


def version(seeds: SeedsConfig) -> str:
    """What shapes the parsed rows besides the files: the step code and the size limit."""
    return digest(NAME, parse_code_version(), seeds.max_bytes)[:16]


def asset_version(seeds: SeedsConfig) -> str:
    """The parse asset's code version: the rows' version and the stage code that writes them."""
    return digest(version(seeds), source_digest("datasets/stages/core.py", "datasets/stages/parse.py"))[:16]


def tally(batch: pa.RecordBatch, stats: StageStats) -> list[pa.Table]:
    """Formats, encodings and repairs of a parsed batch."""
    stats.tally("format", batch.column("format"))
    stats.tally("encoding", batch.column("encoding"))
    stats.tally("repairs", pc.list_flatten(batch.column("repairs")))
    return []


@dataclass(frozen=True)
class ParseStep:
    """parse_step for one seeds location, as the engines call it: from an object store, `prepare` starts
    reading a task's objects ahead on a few threads (store_seeds.prefetch), so the parse of one overlaps
    the GETs of the next; each row is then parsed alone, its object's read error its own skip reason.

    The step's code (steps.py, the cache key's code version) is unchanged by it: the same read, earlier."""

    seeds: SeedsConfig

    def prepare(self, rows: Sequence[Row]) -> None:
        """Start reading the objects of the rows that will be parsed (nothing for a local folder)."""
        if is_url(self.seeds.root):
            prefetch(
                (self.seeds.root, row["source_path"], row["stat_key"], self.seeds.max_bytes)
                for row in rows
                if row["skip_reason"] is None
            )

    def __call__(self, row: Row) -> Row:
        """The parsed row."""
        return parse_step(self.seeds, row)


def stage(seeds: SeedsConfig) -> Stage:
    """The parse stage over the files under `seeds`."""
    return Stage("parse", PARSED_STEP_SCHEMA, INPUTS, parse_keys, ParseStep(seeds), version(seeds), tally)


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
