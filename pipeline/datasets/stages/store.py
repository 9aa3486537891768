"""Where stage files live: a `StageStore` (a root on a filesystem) hands out lazy `StageHandle`s by name.

This is the one seam for storage: the stages read and write through the paths the store gives them, and
the Dagster IO manager hands downstream assets handles from it. Today the root is a local folder (pyarrow's
LocalFileSystem); a store whose filesystem is another pyarrow filesystem (S3: `StageStore.from_uri(
"s3://bucket/prefix")`) is accepted here, and the stages' readers and writers are what must follow it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs

from pipeline.datasets import files

SUFFIX = ".parquet"


@dataclass(frozen=True)
class StageStore:
    """The stage files of one work folder: `<root>/<stage name>.parquet` on `filesystem`."""

    root: str
    filesystem: pafs.FileSystem = field(default_factory=pafs.LocalFileSystem, compare=False)

    @classmethod
    def from_uri(cls, uri: str | Path) -> StageStore:
        """A store at a local folder or a filesystem URI (`file:///…`, `s3://bucket/prefix`)."""
        text = str(uri)
        if "://" not in text:
            return cls(str(Path(text).resolve()))
        filesystem, root = pafs.FileSystem.from_uri(text)
        return cls(root, filesystem)

    @property
    def is_local(self) -> bool:
        """Whether the root is a local folder (the stages read and write it with local paths)."""
        return isinstance(self.filesystem, pafs.LocalFileSystem)

    def handle(self, name: str) -> StageHandle:
        """The stage `name` (nothing is read until asked)."""
        return StageHandle(self, name)

    def path(self, name: str) -> Path:
        """The local path of stage `name`; a store on another filesystem has none (NotImplementedError)."""
        if not self.is_local:
            raise NotImplementedError(f"stage files on {self.filesystem.type_name} are not written yet")
        return Path(self.root) / f"{name}{SUFFIX}"


@dataclass(frozen=True)
class StageHandle:
    """A lazy handle to one stage of a store: what a downstream asset gets for its upstream stage."""

    store: StageStore
    name: str

    @property
    def path(self) -> Path:
        """The stage's local path (a Parquet file, or a folder of parts with parts.json)."""
        return self.store.path(self.name)

    def exists(self) -> bool:
        """Whether the stage was written (a single file, or a parted stage's parts.json)."""
        path = self.path
        return path.is_file() or (path / files.PARTS_FILE).is_file()

    def files(self) -> list[Path]:
        """The stage's Parquet files in order (StageFileMissing if it was never written)."""
        return files.stage_files(self.path)

    def read_batches(
        self, columns: Sequence[str] | None = None, batch_size: int = 1_000
    ) -> Iterator[pa.RecordBatch]:
        """The stage's rows in batches (see files.read_batches)."""
        return files.read_batches(self.path, columns, batch_size)

    def read(self, columns: Sequence[str] | None = None) -> pa.Table:
        """The whole stage as one table (small stages and tests)."""
        return files.read_stage(self.path, columns)

    def count_rows(self) -> int:
        """How many rows the stage holds."""
        return files.count_rows(self.path)

    def version(self) -> str:
        """A digest of the stage's content: equal digests, equal rows (Dagster's data version).

        A parted stage's parts are named by what they were made from, so their list says it; a whole-corpus
        stage records what it was made from beside it; any other file is hashed."""
        path = self.path
        if path.is_dir():
            return files.stage_digest(path)
        found = hashlib.sha256()
        record = path.with_name(path.name + ".inputs.json")
        for source in (record if record.is_file() else path,):
            try:
                found.update(source.read_bytes())
            except FileNotFoundError as exc:
                raise files.StageFileMissing(
                    f"{path} is missing: materialize its upstream asset first"
                ) from exc
        return found.hexdigest()
