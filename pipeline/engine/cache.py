"""Incremental runs: reuse the rows a step produced last time for inputs whose cache key is unchanged.

A step's output files carry a `cache_key` column and are the next run's cache: only the key column is
read up front (a dict of key -> file, row group and row), and cached rows are read one row group at a time as
inputs ask for them, so memory stays bounded by a row group. Inputs with no cached row go to the engine;
both are merged back into input order, batch by batch.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.engine.local import in_input_order

log = logging.getLogger(__name__)

KEY_COLUMN = "cache_key"
# Columns that name the file a row came from: a cached row found by content is restamped with them.
IDENTITY_COLUMNS = ("doc_id", "source_path", "size_bytes")
TIMED_OUT = "timed out"


class ResultCache:
    """The rows of previous output files, found by cache key."""

    def __init__(self, files: Sequence[Path], schema: pa.Schema) -> None:
        self.schema = schema
        self._where: dict[str, tuple[int, int, int]] = {}  # key -> (file, row group, row)
        self._files: list[pq.ParquetFile | None] = []
        self._group: tuple[int, int, pa.Table] | None = None
        for path in files:
            self._files.append(self._open(len(self._files), path))

    def _open(self, index: int, path: Path) -> pq.ParquetFile | None:
        """Index the key column of `path`; a file of another schema or an unreadable one is no cache."""
        if not path.is_file():
            return None
        found: dict[str, tuple[int, int, int]] = {}
        try:
            handle = pq.ParquetFile(path)
            if not handle.schema_arrow.equals(self.schema):
                log.info("cache %s has another schema; recomputing its rows", path)
                return None
            for group in range(handle.num_row_groups):
                columns = handle.read_row_group(group, columns=[KEY_COLUMN, "skip_reason"]).to_pydict()
                for row, (key, reason) in enumerate(zip(*columns.values(), strict=True)):
                    # A time limit depends on the machine's load as much as on the document: retry those.
                    if not (reason or "").startswith(TIMED_OUT):
                        found.setdefault(key, (index, group, row))
        except (OSError, pa.ArrowException) as exc:
            log.warning("cache %s is unreadable (%s); recomputing its rows", path, exc)
            return None
        for key, where in found.items():
            self._where.setdefault(key, where)
        return handle

    def __len__(self) -> int:
        """Number of distinct cached keys."""
        return len(self._where)

    def _row_group(self, file: int, group: int) -> pa.Table:
        """One row group of a cache file, the last one kept (inputs come in the order they were cached)."""
        if self._group is None or self._group[:2] != (file, group):
            handle = self._files[file]
            assert handle is not None
            self._group = (file, group, handle.read_row_group(group))
        return self._group[2]

    def take(self, keys: Sequence[str]) -> tuple[list[int], pa.Table]:
        """Positions in `keys` that are cached, and their cached rows in that order."""
        positions = [i for i, key in enumerate(keys) if key in self._where]
        if not positions:
            return [], self.schema.empty_table()
        pieces = []
        run: list[int] = []
        run_group = (-1, -1)
        for i in positions:
            file, group, row = self._where[keys[i]]
            if (file, group) != run_group and run:
                pieces.append(self._row_group(*run_group).take(run))
                run = []
            run_group = (file, group)
            run.append(row)
        pieces.append(self._row_group(*run_group).take(run))
        return positions, pa.concat_tables(pieces)


@dataclass
class CacheStats:
    """How many rows were reused and how many computed."""

    reused: int = 0
    computed: int = 0


def _restamp(cached: pa.Table, inputs: pa.RecordBatch, positions: list[int]) -> pa.Table:
    """Cached rows with the identity of the inputs they now stand for (same content, maybe another path)."""
    take = pa.array(positions, type=pa.int64())
    for name in IDENTITY_COLUMNS:
        if name in cached.column_names and name in inputs.schema.names:
            index = cached.column_names.index(name)
            values = inputs.column(name).take(take).cast(cached.schema.field(name).type)
            cached = cached.set_column(index, cached.schema.field(name), values)
    return cached


def map_incremental(
    batches: Iterable[pa.RecordBatch],
    keys_of: Callable[[pa.RecordBatch], list[str]],
    cache: ResultCache,
    compute: Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]],
    stats: CacheStats | None = None,
) -> Iterator[pa.RecordBatch]:
    """Output batches (with `cache_key`) in input order: cached rows where the key matches, else computed.

    `compute` maps an iterator of input batches to output batches without the key column, one per input
    batch, in order (an engine's `map`); it only ever sees the rows that were not cached.
    """
    stats = stats if stats is not None else CacheStats()
    plans: deque[tuple[list[str], list[int], pa.Table, list[int]]] = deque()

    def misses() -> Iterator[pa.RecordBatch]:
        """The uncached rows of each input batch, remembering where the cached ones go."""
        for batch in batches:
            keys = keys_of(batch)
            hit_positions, hits = cache.take(keys)
            hit_set = set(hit_positions)
            miss_positions = [i for i in range(batch.num_rows) if i not in hit_set]
            if hit_positions:
                hits = _restamp(hits, batch, hit_positions)
            plans.append((keys, hit_positions, hits, miss_positions))
            stats.reused += len(hit_positions)
            stats.computed += len(miss_positions)
            yield batch.take(pa.array(miss_positions, type=pa.int64()))

    for computed in compute(misses()):
        keys, hit_positions, hits, miss_positions = plans.popleft()
        computed_table = pa.Table.from_batches([computed]).append_column(
            cache.schema.field(KEY_COLUMN), pa.array([keys[i] for i in miss_positions], type=pa.string())
        )
        pieces = [(hit_positions, hits), (miss_positions, computed_table)]
        yield from in_input_order(pieces, cache.schema).to_batches()
