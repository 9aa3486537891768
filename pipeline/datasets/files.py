"""Stage files: Parquet written batch by batch and renamed into place, read back batch by batch.

A per-document stage (parsed and curated documents, sections, language tags) is a folder of part files
plus `parts.json`, the ordered list of its parts. Parts are cut where the documents' paths say (see
`part_ends`), not by position, and named by a digest of what they were made from; so a run that changes
one file rewrites that file's part and keeps every other part file as it is, unread.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

PARTS_FILE = "parts.json"
# Mean documents per part: one edited file rewrites about this many rows of each per-document stage.
PART_ROWS = 1_000
EMPTY_PART = "empty.parquet"


class StageFileMissing(FileNotFoundError):
    """An upstream stage file does not exist: the upstream asset was never materialized here."""


# `.<name>.<pid>-<random>.tmp`: a file being written by process <pid> (AtomicParquetWriter, parts.json).
TEMPORARY = re.compile(r"\..+\.(\d+)-[0-9a-f]+\.tmp")


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists."""
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True


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


def part_ends(paths: Sequence[str], target: int = PART_ROWS) -> list[int]:
    """Where the parts of documents in this order end: after a path whose crc32 says so, in parts of
    `target` / 2 to 3 x `target` / 2 documents.

    The cuts depend on the paths around them only, so adding, removing or editing a file moves at most
    the cuts of its own part and leaves every other part as it was (content-defined chunking). Why the
    two odds (FastCDC's normalised chunking): an edit redoes its whole part, and a part picked by an edit
    is a large one more often; with one odds for every size, parts of 250 to 4,000 documents made the
    part of an edited file 1,900 documents on average at 100k, with these 1,100.
    """
    ends: list[int] = []
    start = 0
    for index, path in enumerate(paths):
        size = index + 1 - start
        if size < target // 2:
            continue
        # Rarely below the target, four times as often above it.
        odds = target if size < target else max(1, target // 4)
        if zlib.crc32(path.encode("utf-8", "surrogateescape")) % odds == 0 or size >= target + target // 2:
            ends.append(index + 1)
            start = index + 1
    if start < len(paths):
        ends.append(len(paths))
    return ends


def read_parts(path: Path) -> list[dict[str, Any]]:
    """The parts of a parted stage in order (name, rows and what the writer recorded); [] if none."""
    try:
        return list(json.loads((path / PARTS_FILE).read_text(encoding="utf-8"))["parts"])
    except (OSError, ValueError, KeyError, TypeError):
        return []


class PartedStageWriter:
    """Writes a parted stage: keeps parts of the previous run, writes new ones, then lists them all in
    parts.json (renamed into place, the commit point) and removes the part files it no longer lists."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        self.schema = schema
        self.parts: list[dict[str, Any]] = []
        if path.is_file():  # a single-file stage of an older webcurate: no cache, replaced by the folder
            path.unlink()
        path.mkdir(parents=True, exist_ok=True)
        self.previous = {part["name"]: part for part in read_parts(path)}

    def has(self, name: str) -> bool:
        """Whether the previous run wrote part `name` (same inputs, same code, same schema)."""
        return name in self.previous and (self.path / name).is_file()

    def keep(self, name: str) -> None:
        """List a part of the previous run as the next part."""
        self.parts.append(self.previous[name])

    def write(
        self, name: str, tables: Sequence[pa.Table | pa.RecordBatch], info: Mapping[str, Any] | None = None
    ) -> None:
        """Write part `name` (one row group per table) and list it as the next part."""
        with AtomicParquetWriter(self.path / name, self.schema) as writer:
            for table in tables:
                writer.write(table)
        self.parts.append({"name": name, "rows": writer.rows, **(info or {})})

    def commit(self) -> None:
        """Make the listed parts the stage's content, then remove every other part file."""
        if not self.parts:  # no documents: one empty part keeps the schema on disk for readers
            self.write(EMPTY_PART, [])
        temporary = self.path / f".{PARTS_FILE}.{os.getpid()}-{os.urandom(4).hex()}.tmp"
        temporary.write_text(json.dumps({"parts": self.parts}), encoding="utf-8")
        os.replace(temporary, self.path / PARTS_FILE)
        listed = {part["name"] for part in self.parts}
        for stale in self.path.glob("*.parquet"):
            if stale.name not in listed:
                stale.unlink(missing_ok=True)
        # A writer killed mid-part leaves its temporary file; a live writer's (another run's) is kept.
        for temporary in self.path.glob(".*.tmp"):
            match = TEMPORARY.fullmatch(temporary.name)
            if match and not pid_alive(int(match.group(1))):
                temporary.unlink(missing_ok=True)


def stage_files(path: Path) -> list[Path]:
    """The Parquet files of a stage in order: the file itself, or a parted stage's parts."""
    if path.is_file():
        return [path]
    if (path / PARTS_FILE).is_file():
        return [path / part["name"] for part in read_parts(path)]
    raise StageFileMissing(f"{path} is missing: materialize its upstream asset first")


def stage_digest(path: Path) -> str:
    """A digest of a parted stage's parts in order: equal digests mean equal content (parts are named by
    what they were made from)."""
    names = "\n".join(part["name"] for part in read_parts(path))
    return hashlib.sha256(names.encode()).hexdigest()


def read_batches(
    path: Path, columns: Sequence[str] | None = None, batch_size: int = 1_000
) -> Iterator[pa.RecordBatch]:
    """The rows of a stage in batches of at most `batch_size` (a batch never spans two part files)."""
    for file in stage_files(path):
        yield from pq.ParquetFile(file).iter_batches(
            batch_size=batch_size, columns=list(columns) if columns else None
        )


def read_stage(path: Path, columns: Sequence[str] | None = None) -> pa.Table:
    """A whole stage as one table (for small stages and tests)."""
    files = stage_files(path)
    tables = [pq.ParquetFile(file).read(columns=list(columns) if columns else None) for file in files]
    return pa.concat_tables(tables)


def count_rows(path: Path) -> int:
    """Number of rows of a stage."""
    return sum(int(pq.ParquetFile(file).metadata.num_rows) for file in stage_files(path))
