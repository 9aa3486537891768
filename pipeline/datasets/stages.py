"""The pipeline's stages over files: each streams its input batch by batch, runs the per-document step
on an engine (reusing cached rows), writes its output file, and returns counts for the asset metadata.

Memory is bounded by the batch size: no stage holds the corpus, only counters and small sets.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.cleaning.boilerplate.repeated import count_hashes, line_hash, normalise_line, repeated_threshold
from pipeline.cleaning.ingest import scan_seeds
from pipeline.datasets.dedup import DECISIONS_SCHEMA, EXACT_RULE, NEAR_RULE, DedupStats, find_duplicates
from pipeline.datasets.evolution import EvolutionResult, check_evolution, drift, release_schemas
from pipeline.datasets.files import (
    PART_ROWS,
    AtomicParquetWriter,
    PartedStageWriter,
    count_rows,
    part_ends,
    read_batches,
    read_stage,
    stage_digest,
    stage_files,
)
from pipeline.datasets.progress import Log, Progress, counted
from pipeline.datasets.progress import quiet as _quiet
from pipeline.datasets.release import RELEASE_TABLES, ReleasePolicy, flatten_items, release_chunk
from pipeline.datasets.review import ReviewSources, write_review
from pipeline.datasets.schema import TableSchema
from pipeline.datasets.steps import (
    CURATE_INPUT_FIELD,
    PARSED_STEP_SCHEMA,
    CurateConfig,
    SeedsConfig,
    code_version,
    curate_keys,
    curate_step,
    parse_keys,
    parse_step,
    skipped_as,
    with_cache_key,
)
from pipeline.datasets.tables import (
    CURATED_SCHEMA,
    LANGUAGE_SCHEMA,
    RAW_SCHEMA,
    SECTIONS_SCHEMA,
    raw_row,
)
from pipeline.datasets.versions import Release, ReleasePart, publish_parts, read_latest, read_manifest
from pipeline.engine import EngineSpec
from pipeline.engine.cache import KEY_COLUMN, CacheStats, ResultCache, map_incremental

DEFAULT_BATCH_SIZE = 500  # documents per batch: a worker's unit of work, a row group of a stage file


@dataclass
class StageStats:
    """What a stage did: rows written, reused from the cache or computed, skipped entries, tallies."""

    rows: int = 0
    cache: CacheStats = field(default_factory=CacheStats)
    skipped: list[dict[str, str]] = field(default_factory=list)
    tallies: dict[str, Counter[str]] = field(default_factory=dict)
    totals: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

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


def _batched(rows: Iterable[dict[str, Any]], schema: pa.Schema, size: int) -> Iterator[pa.RecordBatch]:
    """Rows as record batches of `size`."""
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield pa.RecordBatch.from_pylist(chunk, schema=schema)
            chunk = []
    if chunk:
        yield pa.RecordBatch.from_pylist(chunk, schema=schema)


def ingest(
    seeds: Path, out: Path, *, max_bytes: int, batch_size: int = DEFAULT_BATCH_SIZE, log: Log = _quiet
) -> StageStats:
    """The inventory of `seeds` into `out`: every file's size, stat signature and sha256, unreadable
    entries as skipped. Only files whose stat changed since the previous inventory are read."""
    stats = StageStats()
    progress = Progress("ingest", None, log, unit="files")  # how many there are is known at the end
    known = _known_files(out)
    with AtomicParquetWriter(out, RAW_SCHEMA) as writer:
        scan = scan_seeds(seeds, max_bytes=max_bytes, known=known)
        for batch in _batched(map(raw_row, scan), RAW_SCHEMA, batch_size):
            writer.write(batch)
            stats.observe(batch)
            stats.totals["bytes"] += int(pc.sum(batch.column("size_bytes")).as_py() or 0)
            progress.advance(batch.num_rows)
    stats.seconds = progress.finish(log=False)
    log(f"listed {stats.rows:,} entries ({stats.totals['bytes'] / 1e6:,.1f} MB) in {seeds}")
    return stats


def _known_files(inventory: Path) -> dict[str, tuple[str, str]]:
    """Source path -> (stat key, sha256) of the readable files of a previous inventory (empty if none)."""
    try:
        table = pq.ParquetFile(inventory).read(columns=["source_path", "stat_key", "sha256", "skip_reason"])
    except (OSError, pa.ArrowException):
        return {}
    table = table.filter(pc.is_null(table.column("skip_reason")))
    columns = table.select(["source_path", "stat_key", "sha256"]).to_pydict().values()
    return {path: (key, sha) for path, key, sha in zip(*columns, strict=True)}


def keys_digest(keys: Sequence[str], paths: Sequence[str]) -> str:
    """A digest of cache keys and source paths, in order: equal means equal output."""
    digest = hashlib.sha256()
    for key, path in zip(keys, paths, strict=True):
        digest.update(f"{key}\0{path}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


@dataclass(eq=False)
class _Part:
    """One part of a per-document stage: how many documents, a digest of everything its output depends
    on, its inputs' cache keys (computed only when the part must be made), where its input is."""

    rows: int
    digest: str
    keys: Callable[[], list[str]]
    source: Path | None = None  # the upstream part file it is made from (None: cut from a stream)

    def name(self, schema: pa.Schema) -> str:
        """The part's file name: a digest of what it is made from and of the output schema."""
        digest = hashlib.sha256(schema.serialize().to_pybytes())
        digest.update(self.digest.encode())
        return digest.hexdigest()[:32] + ".parquet"


# The input batches of the given parts, in order, each with the part it belongs to.
PartInputs = Callable[[list[_Part]], Iterator[tuple[_Part, pa.RecordBatch]]]
# What a stage does with each output batch besides writing it: tally it into the part's counts and
# return the rows of its further outputs (a curated batch's sections and language tags).
OnBatch = Callable[[pa.RecordBatch, StageStats], Sequence[pa.Table]]


def _run_parts(
    stage: str,
    parts: list[_Part],
    inputs: PartInputs,
    outs: Sequence[PartedStageWriter],
    fn: Callable[[dict[str, Any]], dict[str, Any]],
    engine: EngineSpec,
    log: Log,
    on_batch: OnBatch,
) -> StageStats:
    """Run a step part by part into `outs` (the step's own output first, then those derived from it).

    A part whose files all exist is kept as it is, with the counts recorded for it: nothing is read or
    written. The other parts go to the engine in one stream (so the workers never wait between parts);
    their rows are found in the previous part files by cache key where possible, and each part is
    written whole once its last batch is back (memory is bounded by the part size).
    """
    main = outs[0]
    names = [part.name(main.schema) for part in parts]
    todo = [
        part
        for part, name in zip(parts, names, strict=True)
        if not all(out.has(name) for out in outs) or "stats" not in main.previous[name]
    ]
    stats = StageStats()
    progress = Progress(stage, sum(part.rows for part in parts), log)
    computed = set(todo)
    # The rows of the parts to make are looked up in the previous parts this run does not keep: the old
    # versions of the parts it redoes, where an edited, added or renamed file's neighbours are. A row
    # found only in a kept part (a copy of a document elsewhere) is recomputed instead: cheaper than
    # opening every part file of the stage (12 at 10k documents) to make one part.
    kept = {name for part, name in zip(parts, names, strict=True) if part not in computed}
    retired = [main.path / name for name in main.previous if name not in kept] if todo else []
    outputs = _compute_parts(todo, inputs, ResultCache(retired, main.schema), fn, engine, stats.cache)
    for part, name in zip(parts, names, strict=True):
        if part in computed:
            counts = StageStats()
            tables: list[list[pa.Table]] = [[] for _ in outs]
            for batch in next(outputs):
                counts.observe(batch)
                for bucket, table in zip(tables, [batch, *on_batch(batch, counts)], strict=True):
                    bucket.append(table)
                progress.advance(batch.num_rows, reused=stats.cache.reused)
            main.write(name, tables[0], {"stats": counts.as_dict()})
            for out, bucket in zip(outs[1:], tables[1:], strict=True):
                out.write(name, bucket)
        else:
            counts = StageStats.from_dict(main.previous[name]["stats"])
            for out in outs:
                out.keep(name)
            stats.cache.reused += counts.rows
            progress.advance(counts.rows, reused=stats.cache.reused)
        stats.merge(counts)
    for out in outs:
        out.commit()
    stats.seconds = progress.finish(f": {stats.cache.computed:,} computed, {stats.cache.reused:,} reused")
    return stats


def _compute_parts(
    todo: list[_Part],
    inputs: PartInputs,
    cache: ResultCache,
    fn: Callable[[dict[str, Any]], dict[str, Any]],
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
        held: tuple[_Part, pa.RecordBatch] | None = None
        part_keys: list[str] = []
        done = 0
        for item in chain(inputs(todo), [None]):
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

    out_schema = pa.schema([field for field in cache.schema if field.name != KEY_COLUMN])
    compute = partial(engine.build(fn, skipped_as).map, schema=out_schema)
    stream = map_incremental(noted(), lambda _batch: keys.popleft(), cache, compute, cache_stats)
    batches: list[pa.RecordBatch] = []
    for batch in stream:
        batches.append(batch)
        if ends.popleft():
            yield batches
            batches = []


def _cut(
    batches: Iterable[pa.RecordBatch], parts: list[_Part], wanted: list[_Part], size: int
) -> Iterator[tuple[_Part, pa.RecordBatch]]:
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


def _cut_parts(keys: list[str], paths: list[str], target: int) -> list[_Part]:
    """Documents in order as content-defined parts of about `target` documents (see files.part_ends)."""
    parts = []
    start = 0
    for end in part_ends(paths, target):
        part_keys = keys[start:end]
        digest = keys_digest(part_keys, paths[start:end])
        parts.append(_Part(end - start, digest, part_keys.copy))
        start = end
    return parts


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
    """Read, decode and parse every listed file into `out`, reusing the parts and rows of unchanged files.

    The parts (about `part_rows` documents each, cut where the paths say) are those of every later
    per-document stage too."""
    keys: list[str] = []
    paths: list[str] = []
    for batch in read_batches(raw, columns=["source_path", "sha256", "skip_reason"], batch_size=50_000):
        keys.extend(parse_keys(batch))
        paths.extend(batch.column("source_path").to_pylist())
    parts = _cut_parts(keys, paths, part_rows)

    def inputs(todo: list[_Part]) -> Iterator[tuple[_Part, pa.RecordBatch]]:
        """The raw rows of the parts to parse."""
        return _cut(read_batches(raw, batch_size=batch_size), parts, todo, batch_size)

    def tally(batch: pa.RecordBatch, stats: StageStats) -> list[pa.Table]:
        """Formats, encodings and repairs of a batch."""
        stats.tally("format", batch.column("format"))
        stats.tally("encoding", batch.column("encoding"))
        stats.tally("repairs", pc.list_flatten(batch.column("repairs")))
        return []

    writer = PartedStageWriter(out, with_cache_key(PARSED_STEP_SCHEMA))
    return _run_parts("parse", parts, inputs, [writer], partial(parse_step, seeds), engine, log, tally)


@dataclass
class Repeated:
    """The corpus's repeated lines: how many documents were counted, the threshold, and the lines."""

    documents: int
    threshold: float
    lines: list[dict[str, Any]]  # line_hash, line, n_docs; most frequent first


REPEATED_SCHEMA = pa.schema(
    [pa.field("line_hash", pa.int64()), pa.field("line", pa.string()), pa.field("n_docs", pa.int64())]
)


def find_repeated(parsed: Path, out: Path, *, min_docs: int, min_share: float, log: Log = _quiet) -> Repeated:
    """Count every document's distinct line hashes and keep those the corpus repeats (CCNet's signal).

    Nothing is counted when the parsed documents and the thresholds are those `out` was made from."""
    inputs = _inputs_key(stage_digest(parsed), min_docs, min_share)
    recorded = _recorded(out, inputs)
    if recorded is not None:
        lines = read_stage(out).to_pylist()
        return Repeated(recorded["documents"], recorded["threshold"], lines)
    arrays: list[np.ndarray] = []
    documents = 0
    progress = Progress("repeated lines", count_rows(parsed), log)
    batches = read_batches(parsed, columns=["line_hashes", "skip_reason"], batch_size=10_000)
    for batch in counted(batches, progress):
        kept = batch.filter(pc.is_null(batch.column("skip_reason")))
        documents += kept.num_rows
        arrays.append(pc.list_flatten(kept.column("line_hashes")).to_numpy(zero_copy_only=False))
    values, counts = count_hashes(arrays)
    threshold = repeated_threshold(documents, min_docs, min_share)
    keep = counts >= threshold
    selected = dict(zip(values[keep].tolist(), counts[keep].tolist(), strict=True))
    texts = _lines_of(parsed, set(selected))
    lines = sorted(
        ({"line_hash": h, "line": texts.get(h, ""), "n_docs": n} for h, n in selected.items()),
        key=lambda row: (-row["n_docs"], row["line"]),
    )
    with AtomicParquetWriter(out, REPEATED_SCHEMA) as writer:
        writer.write(pa.Table.from_pylist(lines, schema=REPEATED_SCHEMA))
    _record(out, inputs, {"documents": documents, "threshold": threshold})
    progress.finish(f": {len(lines):,} repeated lines")
    return Repeated(documents, threshold, lines)


def _inputs_key(*parts: object) -> str:
    """A digest of what a whole-corpus stage is made from."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _record_path(out: Path) -> Path:
    """The side file naming what a whole-corpus stage file was made from, with its counts."""
    return out.with_name(out.name + ".inputs.json")


def _recorded(out: Path, inputs: str) -> dict[str, Any] | None:
    """The counts recorded with `out` when it was made from `inputs` (None: make it again)."""
    try:
        record = json.loads(_record_path(out).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return dict(record["counts"]) if record.get("inputs") == inputs and out.is_file() else None


def _record(out: Path, inputs: str, counts: Mapping[str, Any]) -> None:
    """Record what `out` (just written) was made from, and its counts."""
    _record_path(out).write_text(json.dumps({"inputs": inputs, "counts": counts}), encoding="utf-8")


def _lines_of(parsed: Path, wanted: set[int]) -> dict[int, str]:
    """The normalised text of each wanted line hash, from the first documents that hold it."""
    found: dict[int, str] = {}
    if not wanted:
        return found
    value_set = pa.array(sorted(wanted), type=pa.int64())
    for batch in read_batches(parsed, columns=["text", "line_hashes"], batch_size=2_000):
        hashes = batch.column("line_hashes")
        holders = pc.list_parent_indices(hashes).filter(
            pc.is_in(pc.list_flatten(hashes), value_set=value_set)
        )
        for index in sorted(set(holders.to_pylist())):
            for line in str(batch.column("text")[index].as_py()).splitlines():
                normal = normalise_line(line)
                key = line_hash(normal)
                if key in wanted:
                    found.setdefault(key, normal)
            if len(found) == len(wanted):
                return found
    return found


def _with_repeated(batch: pa.RecordBatch, selected: pa.Array) -> pa.RecordBatch:
    """A parsed batch for curation: its columns plus each document's hashes among the repeated lines."""
    hashes = batch.column("line_hashes")
    flat = pc.list_flatten(hashes)
    mask = pc.is_in(flat, value_set=selected)
    parents = pc.list_parent_indices(hashes).filter(mask).to_numpy(zero_copy_only=False)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(parents, minlength=batch.num_rows))])
    repeated = pa.ListArray.from_arrays(pa.array(offsets, type=pa.int32()), flat.filter(mask))
    # Every column the batch has except the line hashes (workers need only the document's own share).
    names = [name for name in batch.schema.names if name != "line_hashes"]
    columns = [batch.column(name) for name in names]
    return pa.RecordBatch.from_arrays([*columns, repeated], names=[*names, CURATE_INPUT_FIELD.name])


@dataclass(frozen=True)
class CurateOutputs:
    """Where the curate stage writes: curated documents, their sections, their language tags."""

    documents: Path
    sections: Path
    languages: Path


def curate(
    parsed: Path,
    repeated: Path,
    outs: CurateOutputs,
    engine: EngineSpec,
    config: CurateConfig,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    log: Log = _quiet,
) -> StageStats:
    """Remove boilerplate, segment and tag every parsed document; write the documents (the next run's
    cache), their sections and their language tags, part for part as the parsed documents are."""
    selected = next(read_batches(repeated, columns=["line_hash"], batch_size=1 << 30), None)
    selected_hashes = selected.column(0) if selected is not None else pa.array([], type=pa.int64())
    config_digest = config.digest()

    def keys_of(file: Path) -> list[str]:
        """The curate cache keys of a parsed part's documents."""
        table = pq.ParquetFile(file).read(columns=["cache_key", "line_hashes"])
        batches = (_with_repeated(b, selected_hashes) for b in table.to_batches())
        return [key for batch in batches for key in curate_keys(batch, config_digest)]

    parts = []
    for file in stage_files(parsed):
        table = pq.ParquetFile(file).read(columns=["line_hashes"]).combine_chunks()
        if not table.num_rows:
            continue
        # A parsed part's name covers its documents' parse keys and paths; with the configuration, the
        # code and each document's share of the repeated lines it decides every curate key of the part.
        shares = _with_repeated(table.to_batches()[0], selected_hashes).column(CURATE_INPUT_FIELD.name)
        digest = hashlib.sha256(f"{code_version()}\0{config_digest}\0{file.name}\0".encode())
        for array in (shares.offsets, shares.values):
            digest.update(array.to_numpy(zero_copy_only=False).tobytes())
        parts.append(_Part(table.num_rows, digest.hexdigest(), partial(keys_of, file), source=file))

    def inputs(todo: list[_Part]) -> Iterator[tuple[_Part, pa.RecordBatch]]:
        """The parsed rows of the parts to curate, with their shares of the repeated lines."""
        for part in todo:
            assert part.source is not None
            for batch in pq.ParquetFile(part.source).iter_batches(batch_size=batch_size):
                yield part, _with_repeated(batch, selected_hashes)

    def split(batch: pa.RecordBatch, stats: StageStats) -> list[pa.Table]:
        """A batch's sections and language tags; tallies its languages and removals."""
        section_rows, language_rows = _section_and_language_tables(batch)
        documents = batch.filter(pc.is_null(batch.column("skip_reason")))
        stats.tally("language", documents.column("language"))
        tags = language_rows.filter(pc.is_valid(language_rows.column("section_index")))
        stats.tally("section_language", tags.column("language"))
        stats.tally("rule", pc.struct_field(pc.list_flatten(documents.column("removed")), "rule"))
        stats.tally("author_source", documents.column("author_source"))
        for name in ("removed_chars", "needs_translation"):
            stats.totals[name] += int(pc.sum(documents.column(name)).as_py() or 0)
        stats.totals["sections_with_heading"] += int(pc.count(section_rows.column("heading")).as_py())
        return [section_rows, language_rows]

    writers = [
        PartedStageWriter(outs.documents, with_cache_key(CURATED_SCHEMA)),
        PartedStageWriter(outs.sections, SECTIONS_SCHEMA),
        PartedStageWriter(outs.languages, LANGUAGE_SCHEMA),
    ]
    return _run_parts("curate", parts, inputs, writers, partial(curate_step, config), engine, log, split)


def _section_and_language_tables(batch: pa.RecordBatch) -> tuple[pa.Table, pa.Table]:
    """The sections table rows and the language tag rows (documents', then sections') of a batch."""
    table = pa.Table.from_batches([batch])
    documents = table.filter(pc.is_null(table.column("skip_reason")))
    sections = flatten_items(documents, "sections", SECTIONS_SCHEMA.names).cast(SECTIONS_SCHEMA)
    # A document's tag is its own: no section_index, and language_inherited (a section's) null.
    own = {"section_index": pa.int32(), "language_inherited": pa.bool_()}
    document_tags = pa.table(
        [
            pa.nulls(documents.num_rows, own[n]) if n in own else documents.column(n)
            for n in LANGUAGE_SCHEMA.names
        ],
        schema=LANGUAGE_SCHEMA,
    )
    # A section's tag has no language shares of its own (those are the document's).
    languages = LANGUAGE_SCHEMA.field("languages")
    section_tags = (
        flatten_items(documents, "sections", [n for n in LANGUAGE_SCHEMA.names if n != languages.name])
        .add_column(
            LANGUAGE_SCHEMA.names.index(languages.name),
            languages,
            pa.array([[]] * len(sections), languages.type),
        )
        .cast(LANGUAGE_SCHEMA)
    )
    return sections, pa.concat_tables([document_tags, section_tags])


DEDUP_COLUMNS = ["doc_id", "source_path", "dedup_key", "minhash", "skip_reason"]


def published_doc_ids(root: Path) -> pa.Array:
    """The doc_ids of the latest version's documents (empty before the first release)."""
    latest = read_latest(root)
    folder = root / latest / "documents" if latest else None
    if folder is None or not folder.is_dir():
        return pa.array([], pa.string())
    columns = [pq.ParquetFile(p).read(columns=["doc_id"]).column(0) for p in sorted(folder.glob("*.parquet"))]
    return pa.chunked_array(columns, pa.string()).combine_chunks()


def find_dups(
    curated: Path, out: Path, *, threshold: float, release_root: Path, log: Log = _quiet
) -> DedupStats:
    """Exact and near duplicates among the curated documents into `out`, one row per duplicate; the
    documents the latest version under `release_root` kept stay the ones kept.

    Nothing is compared when the curated documents and the threshold are those `out` was made from and
    the latest version's documents among them are an equivalent starting point (see _equivalent)."""
    current = _curated_ids(curated)
    previous_ids = published_doc_ids(release_root)
    before = _ids_digest(current.filter(pc.is_in(current, value_set=previous_ids)))
    inputs = _inputs_key(stage_digest(curated), threshold)
    recorded = _recorded(out, inputs)
    if recorded is not None and before in recorded["equivalent"]:
        return DedupStats(**{**recorded["stats"], "seconds": 0.0})

    # The previously kept documents are among the curated ones: their ids suffice, not a second read.
    progress = Progress("duplicates", len(current), log)
    fingerprints = counted(read_batches(curated, columns=DEDUP_COLUMNS, batch_size=10_000), progress)
    result = find_duplicates(fingerprints, kept_before=previous_ids, threshold=threshold)
    progress.finish(log=False)  # the asset logs what was found
    with AtomicParquetWriter(out, DECISIONS_SCHEMA) as writer:
        writer.write(result.decisions)
    kept = _ids_digest(current.filter(pc.invert(pc.is_in(current, value_set=result.decisions["doc_id"]))))
    stats = dataclasses.asdict(result.stats)
    _record(out, inputs, {"stats": stats, "equivalent": _equivalent(before, kept, _ids_digest(current))})
    return result.stats


def _curated_ids(curated: Path) -> pa.Array:
    """The doc_ids of the curated (not skipped) documents, in order."""
    ids = [
        b.filter(pc.is_null(b.column("skip_reason"))).column("doc_id")
        for b in read_batches(curated, columns=["doc_id", "skip_reason"], batch_size=50_000)
    ]
    return pa.chunked_array(ids, pa.string()).combine_chunks()


def _ids_digest(ids: pa.Array) -> str:
    """A digest of doc_ids in order."""
    return hashlib.sha256("\n".join(ids.to_pylist()).encode()).hexdigest()


def _equivalent(before: str, kept: str, everything: str) -> list[str]:
    """The previously kept documents (as digests of their ids) from which deduplication decides exactly
    as it did from `before`.

    Decisions depend on the previous documents only through the order the greedy cover visits the
    documents in: previous ones first. With none, with all, or with exactly the documents these
    decisions keep, the kept documents are visited in the same relative order (by neighbours, then
    position) before any duplicate, so each duplicate gets the same kept document. So a run that
    started from one of those three (the first run; the run after a release made from these decisions)
    decides the same from any of them; from any other start, only from that start."""
    canonical = [_ids_digest(pa.array([], pa.string())), everything, kept]
    return canonical if before in canonical else [before]


def first_documents(curated: Path, limit: int) -> list[dict[str, Any]]:
    """The first `limit` curated (not skipped) documents: source path, title, language and text."""
    found: list[dict[str, Any]] = []
    columns = ["source_path", "title", "language", "text", "skip_reason"]
    for batch in read_batches(curated, columns=columns, batch_size=max(limit, 100)):
        found.extend(row for row in batch.to_pylist() if row["skip_reason"] is None)
        if len(found) >= limit:
            break
    return found[:limit]


def input_fingerprint(raw: Path) -> str:
    """A hash of the input listing: every path with its content hash or skip reason, in path order."""
    rows: list[tuple[str, str | None, str | None]] = []
    for batch in read_batches(raw, columns=["source_path", "sha256", "skip_reason"], batch_size=50_000):
        rows.extend(zip(*batch.to_pydict().values(), strict=True))
    digest = hashlib.sha256()
    for path, sha, reason in sorted(rows):
        digest.update(f"{path}\0{sha}\0{reason}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


class SchemaEvolutionBlocked(Exception):
    """The schemas break the previous version's without a new major schema file; nothing was published."""

    def __init__(self, result: EvolutionResult) -> None:
        super().__init__("; ".join(result.problems))
        self.result = result


def check_schemas(
    root: Path, schemas: Mapping[str, TableSchema], available: Sequence[str]
) -> EvolutionResult:
    """May a release with `schemas` follow the latest version's (read from its Parquet files)?"""
    latest = read_latest(root)
    if latest is None:
        return check_evolution({}, schemas)
    manifest = read_manifest(root, latest)
    previous = release_schemas(root / latest, manifest)
    return check_evolution(previous, schemas, previous_files=manifest.get("schemas"), available=available)


def publish_release(
    curated: Path,
    root: Path,
    schemas: Mapping[str, TableSchema],
    manifest: Mapping[str, Any],
    render_card: Callable[[dict[str, Any]], str],
    *,
    policy: ReleasePolicy | None = None,
    available_schemas: Sequence[str] = (),
    batch_size: int = 5_000,
    parsed: Path | None = None,
) -> tuple[Release, StageStats]:
    """Publish the curated documents as the next dataset version (unless unchanged), streaming.

    When the latest version was made from the same curated rows (same cache keys and paths, same
    schemas, same code, same policy), its content is known to be equal and nothing is read or written.
    Otherwise each curated part becomes a release part, and one the latest version already holds (see
    release_parts) is linked from it, not read again. Schemas that break the latest version's without a
    new major schema file raise SchemaEvolutionBlocked before anything is written. The manifest records
    the drift against the latest version. The version holds its review page (review.py), its samples'
    parsed bodies read from the `parsed` stage.
    """
    policy = policy or ReleasePolicy()
    input_key = release_input_key(curated, schemas, policy)
    unchanged = _unchanged_release(root, input_key)
    if unchanged is not None:
        return unchanged
    evolution = check_schemas(root, schemas, available_schemas)
    if not evolution.passed:
        raise SchemaEvolutionBlocked(evolution)
    latest = read_latest(root)
    previous_counts = read_manifest(root, latest).get("counts", {}) if latest else None
    stats = StageStats()

    def full_manifest() -> dict[str, Any]:
        """The manifest with the counts gathered while streaming, and the drift they show."""
        removed_by_rule = stats.tally_of("rule")
        counts = {
            "seen": stats.rows,
            "curated": stats.totals["rows_documents"],
            "skipped": len(stats.skipped),
            "text_chars": stats.totals["text_chars"],
            "removed_by_rule": removed_by_rule,
            "duplicates_removed": {r: removed_by_rule.get(r, 0) for r in (EXACT_RULE, NEAR_RULE)},
            "redactions_by_type": stats.tally_of("redaction"),
            "languages": stats.tally_of("language"),
            "section_languages": stats.tally_of("section_language"),
        }
        report = drift(previous_counts, counts, previous_version=latest) if previous_counts else None
        return {
            **manifest,
            "input_key": input_key,
            "release_policy": {
                "keep_duplicates": policy.keep_duplicates,
                "quality_thresholds": policy.thresholds.in_force(),
            },
            "skipped": stats.skipped,
            "counts": counts,
            "schema_evolution": {**evolution.as_dict(), "markdown": evolution.markdown()},
            "drift": {**report.as_dict(), "markdown": report.markdown()} if report else None,
        }

    parts = release_parts(curated, schemas, policy, stats, batch_size)
    sources = ReviewSources(parsed=parsed, curated=curated)
    release = publish_parts(
        root,
        parts,
        schemas,
        full_manifest,
        render_card,
        attach=lambda folder, published: write_review(folder, published, sources),
    )
    return release, stats


def release_parts(
    curated: Path,
    schemas: Mapping[str, TableSchema],
    policy: ReleasePolicy,
    stats: StageStats,
    batch_size: int,
) -> list[ReleasePart]:
    """One release part per curated part, counted into `stats` as it is written or reused.

    A part's key covers its curated part (named by its rows' cache keys and paths), the policy's
    decisions on its documents and settings, the schemas and the code: one edited file changes the key
    of its own part only, unless it changes duplicate decisions elsewhere too.
    """
    common = hashlib.sha256()
    for piece in (code_version(), release_code_version(), *(repr(schemas[name]) for name in sorted(schemas))):
        common.update(piece.encode())
    parted = curated.is_dir()  # a single-file stage (older webcurate) has no part names to key by
    files = stage_files(curated)
    progress = _PartsProgress(Progress("release", count_rows(curated)), len(files))
    parts = []
    for file in files:
        key = None
        if parted:
            # ParquetFile, not pq.read_table: that imports pyarrow.dataset, 0.2 s of every release.
            ids = pq.ParquetFile(file).read(columns=["doc_id"]).column("doc_id").combine_chunks()
            digest = common.copy()
            digest.update(f"{file.name}\0{policy.digest(ids)}".encode())
            key = digest.hexdigest()
        parts.append(_release_part(file, key, schemas, policy, stats, batch_size, progress))
    return parts


@dataclass
class _PartsProgress:
    """The progress of a stage made part by part: it ends when the last part is counted."""

    progress: Progress
    left: int

    def part_done(self) -> None:
        """Count one part as done; the last one finishes the progress."""
        self.left -= 1
        if self.left == 0:
            self.progress.finish(log=False)


def _release_part(
    file: Path,
    key: str | None,
    schemas: Mapping[str, TableSchema],
    policy: ReleasePolicy,
    stats: StageStats,
    batch_size: int,
    progress: _PartsProgress,
) -> ReleasePart:
    """The release part made from one curated part file, its counts merged into `stats`."""
    counts = StageStats()

    def chunks() -> Iterator[dict[str, pa.Table]]:
        """Release tables chunk by chunk, counting into this part's own counts on the way."""
        for batch in pq.ParquetFile(file).iter_batches(batch_size=batch_size):
            counts.observe(batch)
            chunk = release_chunk(batch, schemas, policy)
            counts.totals.update({f"rows_{name}": chunk[name].num_rows for name in RELEASE_TABLES})
            counts.totals["text_chars"] += int(pc.sum(chunk["documents"].column("n_chars")).as_py() or 0)
            counts.tally("rule", chunk["removed"].column("rule"))
            counts.tally("language", chunk["documents"].column("language"))
            counts.tally("section_language", chunk["sections"].column("language"))
            counts.tally("redaction", chunk["redactions"].column("type"))
            progress.progress.advance(batch.num_rows)
            yield chunk

    def info() -> dict[str, Any]:
        """A written part's counts, added to `stats` (in part order: see ReleasePart)."""
        stats.merge(counts)
        progress.part_done()
        return counts.as_dict()

    def reused(info: Mapping[str, Any]) -> None:
        """Count a part linked from the latest version by the counts recorded with it."""
        linked = StageStats.from_dict(info)
        stats.merge(linked)
        progress.progress.advance(linked.rows, reused=progress.progress.reused + linked.rows)
        progress.part_done()

    return ReleasePart(key, chunks, info, reused)


@lru_cache(maxsize=1)
def release_code_version() -> str:
    """A digest of the code that turns curated rows into release files, and the Parquet writer's version."""
    digest = hashlib.sha256(pa.__version__.encode())
    for name in ("release.py", "versions.py", "schema.py"):
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:16]


def release_input_key(curated: Path, schemas: Mapping[str, TableSchema], policy: ReleasePolicy) -> str:
    """What a release is made from: the curated parts (named by their rows' keys and paths), the
    schemas, the code version and what the policy leaves out."""
    digest = hashlib.sha256(code_version().encode())
    digest.update(release_code_version().encode())
    digest.update(policy.digest().encode())
    for name in sorted(schemas):
        digest.update(repr(schemas[name]).encode())
    digest.update(stage_digest(curated).encode())
    return digest.hexdigest()


def _unchanged_release(root: Path, input_key: str) -> tuple[Release, StageStats] | None:
    """The latest release and its counts when it was made from exactly this input, else None."""
    latest = read_latest(root)
    if latest is None:
        return None
    manifest = read_manifest(root, latest)
    if manifest.get("input_key") != input_key:
        return None
    counts = manifest.get("counts", {})
    tallies = {
        "rule": Counter(counts.get("removed_by_rule", {})),
        "language": Counter(counts.get("languages", {})),
        "section_language": Counter(counts.get("section_languages", {})),
        "redaction": Counter(counts.get("redactions_by_type", {})),
    }
    stats = StageStats(counts.get("seen", 0), CacheStats(), manifest.get("skipped", []), tallies)
    message = f"made from the same input as {latest}; nothing new"
    release = Release(latest, root / latest, False, manifest["content_hash"], manifest["rows"], message)
    return release, stats
