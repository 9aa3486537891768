"""Stage files: Parquet written batch by batch and renamed into place, read back batch by batch."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType

import pyarrow as pa
import pyarrow.parquet as pq


class StageFileMissing(FileNotFoundError):
    """An upstream stage file does not exist: the upstream asset was never materialized here."""


class AtomicParquetWriter:
    """Writes a Parquet file under a temporary name and renames it into place only when all went well,
    so that readers (and the next run's cache) never see half a file."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        self.schema = schema
        self.rows = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        # pid and random part: concurrent runs write their own temporary files; the last rename wins.
        self._temporary = path.with_name(f".{path.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp")
        self._writer = pq.ParquetWriter(self._temporary, schema, compression="lz4")

    def write(self, batch: pa.RecordBatch | pa.Table) -> None:
        """Append rows as one row group per batch (a batch is the cache's unit of reading)."""
        if batch.num_rows:
            table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
            self._writer.write_table(table, row_group_size=max(table.num_rows, 1))
            self.rows += table.num_rows

    def __enter__(self) -> AtomicParquetWriter:
        """The writer."""
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        """Rename into place on success; remove the temporary file on failure."""
        self._writer.close()
        if kind is None:
            os.replace(self._temporary, self.path)
        else:
            self._temporary.unlink(missing_ok=True)


def read_batches(
    path: Path, columns: Sequence[str] | None = None, batch_size: int = 1_000
) -> Iterator[pa.RecordBatch]:
    """The rows of a stage file in batches of at most `batch_size`."""
    yield from _open(path).iter_batches(batch_size=batch_size, columns=list(columns) if columns else None)


def count_rows(path: Path) -> int:
    """Number of rows of a stage file."""
    return int(_open(path).metadata.num_rows)


def _open(path: Path) -> pq.ParquetFile:
    """A stage file, or StageFileMissing naming what to materialize."""
    if not path.is_file():
        raise StageFileMissing(f"{path} is missing: materialize its upstream asset first")
    return pq.ParquetFile(path)
