"""What every stage shares: its counts, the one keying scheme, the Stage abstraction and its runner.

One keying scheme: a key is the sha256 of its parts, NUL-separated (`digest`). A row's cache key is the
digest of the stage's row version and the row's own inputs (its `Stage.key`); a part is named by the
digest of the output schema, the stage's version and its input (its rows' keys and paths, or the
upstream part it is made from); a whole-corpus stage records the digest of its version and the digests
of the stages it reads (`recorded`, `record`). Equal keys mean equal output, so the output is reused.

Memory is bounded by the batch size and the part size: no stage holds the corpus.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.datasets.files import PartedStageWriter, part_ends
from pipeline.datasets.progress import Log, Progress
from pipeline.datasets.steps import skipped_as, with_cache_key
from pipeline.engine import EngineSpec
from pipeline.engine.cache import KEY_COLUMN, CacheStats, ResultCache, map_incremental

DEFAULT_BATCH_SIZE = 500  # documents per batch: a worker's unit of work, a row group of a stage file
PACKAGE = Path(__file__).resolve().parents[2]  # pipeline/

Row = dict[str, Any]


def digest(*parts: object) -> str:
    """The key of anything a stage makes: sha256 of its parts' text, NUL-separated."""
    return hashlib.sha256("\0".join(map(str, parts)).encode("utf-8", "surrogatepass")).hexdigest()


def source_digest(*files: str) -> str:
    """A digest of source files of the package (paths relative to pipeline/), for a stage's version."""
    found = hashlib.sha256()
    for name in files:
        path = PACKAGE / name
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            found.update(file.relative_to(PACKAGE).as_posix().encode())
            found.update(file.read_bytes())
    return found.hexdigest()[:16]


@dataclass
class StageStats:
    """What a stage did: rows written, reused from the cache or computed, skipped entries, tallies."""

    rows: int = 0
    cache: CacheStats = field(default_factory=CacheStats)
    skipped: list[dict[str, str]] = field(default_factory=list)
    tallies: dict[str, Counter[str]] = field(default_factory=dict)
    totals: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    # The same stage's counts in the previous run (None: no previous run), for checks of what changed.
    previous: StageStats | None = None

    def tally(self, name: str, values: pa.Array | pa.ChunkedArray) -> None:
        """Count the non-null values of a column under `name`."""
        counter = self.tallies.setdefault(name, Counter())
        for item in pc.value_counts(values.drop_null()).to_pylist():
            counter[str(item["values"])] += int(item["counts"])

    def tally_of(self, name: str) -> dict[str, int]:
        """The counts tallied under `name` (empty if none)."""
        return dict(self.tallies.get(name, {}))

    def as_dict(self) -> dict[str, Any]:
        """The counts as plain data (kept with a part, so that reusing the part reuses its counts)."""
        return {"rows": self.rows, "skipped": self.skipped, "tallies": self.tallies, "totals": self.totals}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StageStats:
        """Counts back from as_dict's data."""
        tallies = {name: Counter(counts) for name, counts in data["tallies"].items()}
        return cls(data["rows"], CacheStats(), list(data["skipped"]), tallies, Counter(data["totals"]))

    def merge(self, other: StageStats) -> None:
        """Add another part's counts."""
        self.rows += other.rows
        self.skipped.extend(other.skipped)
        for name, counter in other.tallies.items():
            self.tallies.setdefault(name, Counter()).update(counter)
        self.totals.update(other.totals)

    def observe(self, batch: pa.RecordBatch) -> None:
        """Count a batch's rows and list its skipped entries."""
        self.rows += batch.num_rows
        reasons = batch.column("skip_reason")
        if reasons.null_count < batch.num_rows:
            skipped = batch.filter(pc.is_valid(reasons)).select(["source_path", "skip_reason"]).to_pylist()
            self.skipped.extend(
                {"source_path": r["source_path"], "reason": r["skip_reason"]} for r in skipped
            )


def keys_digest(keys: Sequence[str], paths: Sequence[str]) -> str:
    """A digest of cache keys and source paths, in order: equal means equal output."""
    found = hashlib.sha256()
    for key, path in zip(keys, paths, strict=True):
        found.update(f"{key}\0{path}\n".encode("utf-8", "surrogateescape"))
    return found.hexdigest()


@dataclass(eq=False)
class Part:
    """One part of a per-document stage: how many documents, a digest of its input (its rows' keys and
    paths, or the upstream part and what else decides its rows), its rows' cache keys (computed only
    when the part must be made), and the upstream part file it is made from (None: cut from a stream)."""

    rows: int
    input: str
    keys: Callable[[], list[str]]
    source: Path | None = None

    def name(self, schema: pa.Schema, version: str) -> str:
        """The part's file name: the digest of the output schema, the stage's version and the input."""
        return digest(schema.serialize().to_pybytes().hex(), version, self.input)[:32] + ".parquet"


# What a stage does with each output batch besides writing it: tally it into the part's counts and
# return the rows of its derived outputs (a curated batch's sections and language tags).
Tally = Callable[[pa.RecordBatch, StageStats], Sequence[pa.Table]]


def no_tally(batch: pa.RecordBatch, stats: StageStats) -> list[pa.Table]:
    """Tally nothing, derive nothing."""
    return []


@dataclass(frozen=True)
class Stage:
    """A per-document stage: one output row per input row, computed by `step` on an engine.

    `name` names it in progress lines and logs (`parse`, `curate`); `schema` is the step's output (the
    runner appends the cache key); `inputs` the stages it reads; `key` the cache key of each row of an
    input batch (everything the row's output depends on); `version` what else decides the output (code,
    settings: part names carry it); `tally` counts each output batch and derives the rows of the further
    outputs (`derived` schemas).
    """

    name: str
    schema: pa.Schema
    inputs: tuple[str, ...]
    key: Callable[[pa.RecordBatch], list[str]]
    step: Callable[[Row], Row]
    version: str
    tally: Tally = no_tally
    derived: tuple[pa.Schema, ...] = ()

    @property
    def output_schema(self) -> pa.Schema:
        """The stage file's schema: the step's output and the cache key."""
        return with_cache_key(self.schema)


@dataclass(frozen=True)
class PartInput:
    """A stage's input, part by part: the parts in order, and the input batches of those to make."""

    parts: list[Part]
    batches: Callable[[list[Part]], Iterator[tuple[Part, pa.RecordBatch]]]


def stream_input(
    batches: Callable[[], Iterable[pa.RecordBatch]],
    keys: list[str],
    paths: list[str],
    part_rows: int,
    batch_size: int,
) -> PartInput:
    """An input read as one stream (a single-file stage), cut into content-defined parts by path."""
    parts = []
    start = 0
    for end in part_ends(paths, part_rows):
        part_keys = keys[start:end]
        parts.append(Part(end - start, keys_digest(part_keys, paths[start:end]), part_keys.copy))
        start = end
    return PartInput(parts, lambda todo: _cut(batches(), parts, todo, batch_size))


def _cut(
    batches: Iterable[pa.RecordBatch], parts: list[Part], wanted: list[Part], size: int
) -> Iterator[tuple[Part, pa.RecordBatch]]:
    """The rows of the wanted parts in batches of at most `size`, cut from a stream of every part's rows."""
    keep = set(wanted)
    stream = iter(batches)
    rest = pa.table({})
    for part in parts:
        pieces = []
        need = part.rows
        while need:
            if not rest.num_rows:
                rest = pa.Table.from_batches([next(stream)])
            pieces.append(rest.slice(0, need))
            need -= pieces[-1].num_rows
            rest = rest.slice(pieces[-1].num_rows)
        if part in keep:
            for batch in pa.concat_tables(pieces).combine_chunks().to_batches(max_chunksize=size):
                yield part, batch


def run_stage(
    stage: Stage, source: PartInput, outs: Sequence[Path], engine: EngineSpec, log: Log
) -> StageStats:
    """Run a stage part by part into `outs` (its own output first, then those `tally` derives).

    A part whose files all exist is kept as it is, with the counts recorded for it: nothing is read or
    written. The other parts go to the engine in one stream (so the workers never wait between parts);
    their rows are found in the previous part files by cache key where possible, and each part is
    written whole once its last batch is back (memory is bounded by the part size).
    """
    schemas = [stage.output_schema, *stage.derived]
    writers = [PartedStageWriter(out, schema) for out, schema in zip(outs, schemas, strict=True)]
    main = writers[0]
    parts = source.parts
    names = [part.name(main.schema, stage.version) for part in parts]
    todo = [
        part
        for part, name in zip(parts, names, strict=True)
        if not all(out.has(name) for out in writers) or "stats" not in main.previous[name]
    ]
    stats = StageStats(previous=_previous_stats(main))
    progress = Progress(stage.name, sum(part.rows for part in parts), log)
    computed = set(todo)
    # The rows of the parts to make are looked up in the previous parts this run does not keep: the old
    # versions of the parts it redoes, where an edited, added or renamed file's neighbours are. A row
    # found only in a kept part (a copy of a document elsewhere) is recomputed instead: cheaper than
    # opening every part file of the stage (12 at 10k documents) to make one part.
    kept = {name for part, name in zip(parts, names, strict=True) if part not in computed}
    retired = [main.path / name for name in main.previous if name not in kept] if todo else []
    cache = ResultCache(retired, main.schema)
    outputs = _compute_parts(stage, todo, source, cache, engine, stats.cache)
    for part, name in zip(parts, names, strict=True):
        if part in computed:
            counts = StageStats()
            tables: list[list[pa.Table]] = [[] for _ in writers]
            for batch in next(outputs):
                counts.observe(batch)
                for bucket, table in zip(tables, [batch, *stage.tally(batch, counts)], strict=True):
                    bucket.append(table)
                progress.advance(batch.num_rows, reused=stats.cache.reused)
            main.write(name, tables[0], {"stats": counts.as_dict()})
            for out, bucket in zip(writers[1:], tables[1:], strict=True):
                out.write(name, bucket)
        else:
            counts = StageStats.from_dict(main.previous[name]["stats"])
            for out in writers:
                out.keep(name)
            stats.cache.reused += counts.rows
            progress.advance(counts.rows, reused=stats.cache.reused)
        stats.merge(counts)
    for out in writers:
        out.commit()
    stats.seconds = progress.finish(f": {stats.cache.computed:,} computed, {stats.cache.reused:,} reused")
    return stats


def _previous_stats(writer: PartedStageWriter) -> StageStats | None:
    """The counts of the stage's previous run, from what it recorded with its parts (None: no run)."""
    recorded = [part["stats"] for part in writer.previous.values() if "stats" in part]
    if not recorded:
        return None
    total = StageStats()
    for data in recorded:
        total.merge(StageStats.from_dict(data))
    return total


def _compute_parts(
    stage: Stage,
    todo: list[Part],
    source: PartInput,
    cache: ResultCache,
    engine: EngineSpec,
    cache_stats: CacheStats,
) -> Iterator[list[pa.RecordBatch]]:
    """The output batches of each todo part in turn (with cache keys), computed in one engine stream."""
    if not todo:
        return
    ends: deque[bool] = deque()  # for each input batch in flight: is it the last of its part?
    keys: deque[list[str]] = deque()  # each input batch's cache keys, for map_incremental

    def noted() -> Iterator[pa.RecordBatch]:
        """The todo parts' input batches, noting each one's keys and whether it ends its part."""
        held: tuple[Part, pa.RecordBatch] | None = None
        part_keys: list[str] = []
        done = 0
        for item in chain(source.batches(todo), [None]):
            if held is not None:
                part, batch = held
                if not done:
                    part_keys = part.keys()
                last = item is None or item[0] is not part
                keys.append(part_keys[done : done + batch.num_rows])
                ends.append(last)
                done = 0 if last else done + batch.num_rows
                yield batch
            held = item

    out_schema = pa.schema([f for f in cache.schema if f.name != KEY_COLUMN])
    compute = partial(engine.build(stage.step, skipped_as).map, schema=out_schema)
    stream = map_incremental(noted(), lambda _batch: keys.popleft(), cache, compute, cache_stats)
    batches: list[pa.RecordBatch] = []
    for batch in stream:
        batches.append(batch)
        if ends.popleft():
            yield batches
            batches = []


# --- whole-corpus stages: recomputed only when what they read changed ---------------------------------


def _record_path(out: Path) -> Path:
    """The side file naming what a whole-corpus stage file was made from, with its counts."""
    return out.with_name(out.name + ".inputs.json")


def recorded(out: Path, key: str) -> dict[str, Any] | None:
    """The counts recorded with `out` when it was made from the input `key` (None: make it again)."""
    try:
        record_data = json.loads(_record_path(out).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return dict(record_data["counts"]) if record_data.get("inputs") == key and out.is_file() else None


def record(out: Path, key: str, counts: Mapping[str, Any]) -> None:
    """Record what `out` (just written) was made from, and its counts."""
    _record_path(out).write_text(json.dumps({"inputs": key, "counts": counts}), encoding="utf-8")


@dataclass
class PartsProgress:
    """The progress of a stage made part by part: it ends when the last part is counted."""

    progress: Progress
    left: int

    def part_done(self) -> None:
        """Count one part as done; the last one finishes the progress."""
        self.left -= 1
        if self.left == 0:
            self.progress.finish(log=False)
