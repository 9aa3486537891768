"""Versioned releases: staging folder, fsync, schema check, atomic rename to `vNNNN`, then `LATEST`.

Layout under the release root (`output/curated/`):

    v0001/documents/part-00000.parquet  v0001/manifest.json  v0001/README.md
    LATEST                               one line, the newest published version

Nothing is ever overwritten: a version folder is created by one rename and never touched again; a
failed or killed run leaves the previous version and `LATEST` as they were; staging folders and
`LATEST` temporary files of dead writers are removed by the next writer. Writers serialise on an
exclusive lock file.

`LATEST` is the commit point. A writer killed after its rename but before `LATEST` moved leaves a
complete version folder that `LATEST` does not name (an "orphan"): readers that go through `LATEST` never
see it; the next writer leaves it exactly as it is (never overwritten, deleted or adopted), compares its
own content with `LATEST`'s only and numbers its version after the orphan's.

`publish_stream(..., on_stage=...)` calls `on_stage(name)` at each point of STAGES; it does nothing by
default and exists so that tests can kill the writer at every stage (tests/reliability/).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.datasets.files import pid_alive
from pipeline.datasets.schema import StreamValidator, TableSchema, Violation

VERSION_NAME = re.compile(r"^v(\d{4,})$")
STAGING_PREFIX = ".staging-"
LATEST = "LATEST"
MANIFEST = "manifest.json"
# Rows per Parquet part file: large enough for efficient scans, small enough to stream.
ROWS_PER_PART = 100_000
ROWS_PER_GROUP = 10_000  # Parquet row group: a reader's unit of work and of memory
HASH_ROWS = 4_096  # rows per hashed piece (see ContentHasher)
# The points of a publish at which `on_stage` is called, in order; "cleanup" (before each leftover is
# removed) and "chunk" (after each chunk is written, its part file still open, without a footer) repeat;
# a publish ends after "latest", or after "unchanged" or "blocked" just before its staging is removed.
STAGES = (
    "locked",
    "cleanup",
    "staging",
    "chunk",
    "parts",
    "manifest",
    "staged",
    "renamed",
    "latest_tmp",
    "latest",
    "unchanged",
    "blocked",
)
StageHook = Callable[[str], None]


def _no_stage(name: str) -> None:
    """The default `on_stage`: nothing."""


class ReleaseBlocked(Exception):
    """The tables break their schemas; nothing was published."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__(f"{len(violations)} schema violation(s): " + "; ".join(map(str, violations[:5])))
        self.violations = violations


@dataclass(frozen=True)
class Release:
    """The outcome of a publish: the version now current and whether this call created it."""

    version: str
    path: Path
    published: bool
    content_hash: str
    rows: dict[str, int] = field(default_factory=dict)
    message: str = ""


def version_name(number: int) -> str:
    """`v0007` for 7."""
    return f"v{number:04d}"


def list_versions(root: Path) -> list[str]:
    """Published version names under `root`, oldest first."""
    if not root.is_dir():
        return []
    names = [p.name for p in root.iterdir() if p.is_dir() and VERSION_NAME.match(p.name)]
    return sorted(names, key=lambda name: int(name[1:]))


def read_latest(root: Path) -> str | None:
    """The version `LATEST` names, or None before the first release."""
    try:
        name = (root / LATEST).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name if VERSION_NAME.match(name) and (root / name).is_dir() else None


def read_manifest(root: Path, version: str) -> dict[str, Any]:
    """The manifest of a published version."""
    return dict(json.loads((root / version / MANIFEST).read_text(encoding="utf-8")))


class ContentHasher:
    """A hash of tables' schemas and rows (Arrow IPC bytes), fed chunk by chunk.

    Rows are hashed in pieces of exactly HASH_ROWS, each compacted by `take`, so the hash depends on the
    rows alone, never on how they were chunked on the way (batch size, cache hits, slices).
    """

    def __init__(self) -> None:
        self._pending: dict[str, list[pa.Table]] = {}
        self._digests: dict[str, Any] = {}

    def update(self, name: str, table: pa.Table) -> None:
        """Add rows of table `name`."""
        if name not in self._digests:
            self._digests[name] = hashlib.sha256(table.schema.serialize().to_pybytes())
            self._pending[name] = []
        self._pending[name].append(table)
        if sum(t.num_rows for t in self._pending[name]) >= HASH_ROWS:
            self._flush(name, final=False)

    def _flush(self, name: str, *, final: bool) -> None:
        """Hash the whole HASH_ROWS pieces of the pending rows (and the rest too when `final`)."""
        pending = pa.concat_tables(self._pending[name])
        whole = pending.num_rows if final else pending.num_rows - pending.num_rows % HASH_ROWS
        for start in range(0, whole, HASH_ROWS):
            piece = pending.take(pa.array(range(start, min(start + HASH_ROWS, whole)), type=pa.int64()))
            for batch in piece.combine_chunks().to_batches():
                self._digests[name].update(batch.serialize().to_pybytes())
        self._pending[name] = [pending.slice(whole)] if whole < pending.num_rows else []

    def hexdigest(self) -> str:
        """The hash of everything added, over the tables in name order."""
        total = hashlib.sha256()
        for name in sorted(self._digests):
            self._flush(name, final=True)
            total.update(name.encode())
            total.update(self._digests[name].digest())
        return total.hexdigest()


def content_hash(tables: Mapping[str, pa.Table]) -> str:
    """The ContentHasher hash of whole tables."""
    hasher = ContentHasher()
    for name, table in tables.items():
        hasher.update(name, table)
    return hasher.hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_path(path: Path) -> None:
    """fsync a file or a directory, so a rename never exposes unwritten data after a crash."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def writer_lock(root: Path) -> Iterator[None]:
    """Hold the exclusive release lock of `root` (released by the OS if the process dies)."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_stale_staging(
    root: Path, *, holding_lock: bool = False, on_stage: StageHook = _no_stage
) -> list[str]:
    """Remove staging folders and `LATEST` temporary files of dead writers; returns their names.

    Without `holding_lock`, those named after a live process other than this one are kept. Under the
    writer lock every one is a dead writer's, whatever its process id: a writer creates and removes them
    only while it holds the lock. The id alone is not enough there because ids are reused (pid_max is
    often 32768, and restarted containers count from 1 again): a killed writer's staging folder named
    after an id that now belongs to an unrelated live process would otherwise be kept for ever.
    """
    removed = []
    # `.LATEST.<pid>.tmp` too: a writer killed between writing it and renaming it over LATEST leaves it
    # behind; it never becomes LATEST (only that rename does), but nothing else would ever remove it.
    leftovers = [*root.glob(f"{STAGING_PREFIX}*"), *root.glob(f".{LATEST}.*.tmp")]
    for path in sorted(leftovers):
        match = re.match(rf"(?:{re.escape(STAGING_PREFIX)}|\.{LATEST}\.)(\d+)[-.]", path.name)
        pid = int(match.group(1)) if match else None
        if not holding_lock and pid is not None and pid != os.getpid() and pid_alive(pid):
            continue
        on_stage("cleanup")
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path.name)
    return removed


class PartWriter:
    """Writes one table as `part-NNNNN.parquet` files of at most ROWS_PER_PART rows each, fsynced."""

    def __init__(self, folder: Path, schema: pa.Schema) -> None:
        folder.mkdir(parents=True)
        self.folder = folder
        self.schema = schema
        self.paths: list[Path] = []
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._part_rows = 0

    def _next_part(self) -> None:
        """Close the current part file and open the next one."""
        self._close_part()
        path = self.folder / f"part-{len(self.paths):05d}.parquet"
        self.paths.append(path)
        self._writer = pq.ParquetWriter(path, self.schema, compression="zstd")
        self._part_rows = 0

    def _close_part(self) -> None:
        """Close and fsync the open part file."""
        if self._writer is not None:
            self._writer.close()
            _fsync_path(self.paths[-1])
            self._writer = None

    def write(self, table: pa.Table) -> None:
        """Append rows (of exactly the writer's schema), starting a new part whenever one is full."""
        while table.num_rows:
            if self._writer is None or self._part_rows >= ROWS_PER_PART:
                self._next_part()
            assert self._writer is not None
            take = min(table.num_rows, ROWS_PER_PART - self._part_rows)
            self._writer.write_table(table.slice(0, take), row_group_size=ROWS_PER_GROUP)
            self._part_rows += take
            self.rows += take
            table = table.slice(take)

    def close(self) -> list[Path]:
        """Finish the last part (an empty table still gets one part, so its schema is on disk)."""
        if not self.paths:
            self._next_part()
        self._close_part()
        _fsync_path(self.folder)
        return self.paths


def _write_text(path: Path, text: str) -> None:
    """Write and fsync a small text file."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _point_latest(root: Path, version: str, on_stage: StageHook = _no_stage) -> None:
    """Replace `LATEST` atomically: write a temporary file, fsync, rename over, fsync the folder."""
    temporary = root / f".{LATEST}.{os.getpid()}.tmp"
    _write_text(temporary, version + "\n")
    on_stage("latest_tmp")
    os.replace(temporary, root / LATEST)
    on_stage("latest")
    _fsync_path(root)


def publish(
    root: Path,
    tables: Mapping[str, pa.Table],
    schemas: Mapping[str, TableSchema],
    manifest: Mapping[str, Any],
    render_card: Callable[[dict[str, Any]], str],
    *,
    on_stage: StageHook = _no_stage,
) -> Release:
    """Validate, stage and publish whole in-memory `tables` (see publish_stream)."""
    return publish_stream(root, [tables], schemas, lambda: manifest, render_card, on_stage=on_stage)


def publish_stream(
    root: Path,
    chunks: Iterable[Mapping[str, pa.Table]],
    schemas: Mapping[str, TableSchema],
    manifest: Callable[[], Mapping[str, Any]],
    render_card: Callable[[dict[str, Any]], str],
    *,
    on_stage: StageHook = _no_stage,
) -> Release:
    """Validate and stage the tables chunk by chunk, then publish them as the next version, unless their
    content equals `LATEST`'s.

    Every table of `schemas` is published (empty if no chunk has rows for it). `manifest` is called after
    the last chunk, so it can report counts gathered on the way. Raises ReleaseBlocked, with every
    violation and nothing published, when any table breaks its schema. `on_stage` is called with each
    name of STAGES as the publish reaches it (a seam for fault-injection tests).
    """
    root.mkdir(parents=True, exist_ok=True)
    with writer_lock(root):
        on_stage("locked")
        remove_stale_staging(root, holding_lock=True, on_stage=on_stage)
        staging = root / f"{STAGING_PREFIX}{os.getpid()}-{os.urandom(4).hex()}"
        staging.mkdir()
        on_stage("staging")
        try:
            release = _stage_and_publish(root, staging, chunks, schemas, manifest, render_card, on_stage)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if not release.published:
            shutil.rmtree(staging, ignore_errors=True)
        else:
            _point_latest(root, release.version, on_stage)
    return release


def _stage_and_publish(
    root: Path,
    staging: Path,
    chunks: Iterable[Mapping[str, pa.Table]],
    schemas: Mapping[str, TableSchema],
    manifest: Callable[[], Mapping[str, Any]],
    render_card: Callable[[dict[str, Any]], str],
    on_stage: StageHook,
) -> Release:
    """Write the chunks into `staging` (validating and hashing), then rename it to the next version."""
    writers = {name: PartWriter(staging / name, schema.arrow) for name, schema in schemas.items()}
    validator = StreamValidator(schemas)
    hasher = ContentHasher()
    for chunk in chunks:
        for name, table in chunk.items():
            # After a violation keep validating, so that the report lists every one, but stop writing.
            if validator.check(name, table) or validator.violations:
                continue
            table = table.cast(schemas[name].arrow)  # the schema's nullability flags, same types
            writers[name].write(table)
            hasher.update(name, table)
        on_stage("chunk")
    for name, schema in schemas.items():
        hasher.update(name, schema.arrow.empty_table())  # a table without rows still hashes its schema
    violations = validator.finish()
    if violations:
        on_stage("blocked")
        raise ReleaseBlocked(violations)
    digest = hasher.hexdigest()
    rows = {name: writer.rows for name, writer in writers.items()}
    parts = [path for writer in writers.values() for path in writer.close()]
    on_stage("parts")
    latest = read_latest(root)
    if latest and read_manifest(root, latest).get("content_hash") == digest:
        on_stage("unchanged")
        return Release(latest, root / latest, False, digest, rows, f"content equals {latest}; nothing new")
    files = {}
    for path in parts:
        relative = path.relative_to(staging).as_posix()
        files[relative] = {"sha256": file_sha256(path), "rows": pq.read_metadata(path).num_rows}
    existing = list_versions(root)
    version = version_name(int(existing[-1][1:]) + 1 if existing else 1)
    full_manifest = {
        "version": version,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "content_hash": digest,
        "rows": rows,
        "schemas": {name: schemas[name].file_name for name in schemas},
        "files": files,
        **manifest(),
    }
    _write_text(staging / MANIFEST, json.dumps(full_manifest, indent=2, ensure_ascii=False) + "\n")
    on_stage("manifest")
    _write_text(staging / "README.md", render_card(full_manifest))
    _fsync_path(staging)
    on_stage("staged")
    # rename(2) would also replace an empty folder; the lock and the check keep versions unique.
    if (root / version).exists():
        raise FileExistsError(f"{root / version} exists; refusing to overwrite a version")
    os.rename(staging, root / version)
    _fsync_path(root)
    on_stage("renamed")
    return Release(version, root / version, True, digest, rows, f"published {version}")
