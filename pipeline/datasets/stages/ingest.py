"""The ingest stage: the inventory of the seeds folder, one row per entry (a single-file stage).

Its per-row key is a file's stat signature: a file is read and hashed only when its stat changed since
the previous inventory."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.cleaning.document import Skipped
from pipeline.cleaning.ingest import SeedFile, scan_seeds
from pipeline.datasets.files import AtomicParquetWriter, read_batches
from pipeline.datasets.objectstore import StorePath
from pipeline.datasets.progress import Log, Progress
from pipeline.datasets.progress import quiet as _quiet
from pipeline.datasets.stages.core import DEFAULT_BATCH_SIZE, StageStats, digest, source_digest
from pipeline.datasets.store_seeds import scan_store
from pipeline.datasets.tables import RAW_SCHEMA, raw_row

NAME = "raw_documents"


def version(seeds: Path | StorePath, max_bytes: int) -> str:
    """What shapes the inventory besides the files: the code, the seeds folder and the size limit."""
    code = source_digest(
        "cleaning/ingest.py", "datasets/tables.py", "datasets/stages/ingest.py", "datasets/store_seeds.py"
    )
    where = str(seeds) if isinstance(seeds, StorePath) else Path(seeds).resolve()
    return digest(NAME, code, where, max_bytes)[:16]


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
    seeds: Path | StorePath,
    out: Path,
    *,
    max_bytes: int,
    batch_size: int = DEFAULT_BATCH_SIZE,
    log: Log = _quiet,
) -> StageStats:
    """The inventory of `seeds` into `out`: every file's size, stat signature and sha256, unreadable
    entries as skipped. Only files whose stat changed since the previous inventory are read."""
    stats = StageStats()
    progress = Progress("ingest", None, log, unit="files")  # how many there are is known at the end
    known = _known_files(out)
    with AtomicParquetWriter(out, RAW_SCHEMA) as writer:
        if isinstance(seeds, StorePath):  # a listing: the workers read the objects (store_seeds.py)
            scan: Iterator[SeedFile | Skipped] = scan_store(seeds, max_bytes=max_bytes)
        else:
            scan = scan_seeds(seeds, max_bytes=max_bytes, known=known)
        for batch in _batched(map(raw_row, scan), RAW_SCHEMA, batch_size):
            writer.write(batch)
            stats.observe(batch)
            stats.totals["bytes"] += int(pc.sum(batch.column("size_bytes")).as_py() or 0)
            reused = _reused(batch, known)
            stats.cache.reused += reused
            stats.cache.computed += batch.num_rows - reused
            progress.advance(batch.num_rows, reused=stats.cache.reused)
    stats.seconds = progress.finish(log=False)
    log(f"listed {stats.rows:,} entries ({stats.totals['bytes'] / 1e6:,.1f} MB) in {seeds}")
    return stats


def _reused(batch: pa.RecordBatch, known: dict[str, tuple[str, str]]) -> int:
    """How many rows of an inventory batch kept their previous stat signature (their hash was reused)."""
    columns = batch.select(["source_path", "stat_key"]).to_pydict().values()
    return sum(1 for path, key in zip(*columns, strict=True) if path in known and known[path][0] == key)


def _known_files(inventory: Path) -> dict[str, tuple[str, str]]:
    """Source path -> (stat key, sha256) of the readable files of a previous inventory (empty if none)."""
    try:
        table = pq.ParquetFile(inventory).read(columns=["source_path", "stat_key", "sha256", "skip_reason"])
    except (OSError, pa.ArrowException):
        return {}
    table = table.filter(pc.is_null(table.column("skip_reason")))
    columns = table.select(["source_path", "stat_key", "sha256"]).to_pydict().values()
    return {path: (key, sha) for path, key, sha in zip(*columns, strict=True)}


def input_fingerprint(raw: Path) -> str:
    """A hash of the input listing: every path with its content hash or skip reason, in path order."""
    rows: list[tuple[str, str | None, str | None]] = []
    for batch in read_batches(raw, columns=["source_path", "sha256", "skip_reason"], batch_size=50_000):
        rows.extend(zip(*batch.to_pydict().values(), strict=True))
    found = hashlib.sha256()
    for path, sha, reason in sorted(rows):
        found.update(f"{path}\0{sha}\0{reason}\n".encode("utf-8", "surrogateescape"))
    return found.hexdigest()
