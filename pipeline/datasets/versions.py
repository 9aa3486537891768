"""Versioned releases: staging folder, fsync, schema check, atomic rename to `vNNNN`, then `LATEST`.

Layout under the release root (`output/curated/`):

    v0001/documents/part-00000.parquet  v0001/manifest.json  v0001/README.md
    LATEST                               one line, the newest published version

A version is written part by part (`publish_parts`); a part whose key the latest version holds is
hard-linked from it, not written again. Linked files are shared by both versions and, like every
published file, never written to.

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

On an object store (`root` a StorePath, `s3://bucket/prefix/curated`) there is no lock, link or rename;
the same promises rest on the store's conditional writes (see objectstore.py and store_release.py):
the version is staged in a local folder exactly as above, its number claimed with a create-only put,
its files uploaded (parts reused from the latest version are server-side copies), its manifest put
last with a create-only put, and `LATEST` moved with a compare-and-swap. Readers trust a version only
once its manifest exists.
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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.datasets.files import pid_alive
from pipeline.datasets.objectstore import StorePath
from pipeline.datasets.schema import StreamValidator, TableSchema, Violation

# Where releases live: a local folder, or a prefix of an object store.
Root = Path | StorePath

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
# Writes files besides the tables into a staged version (given its manifest, files listed); returns their
# paths relative to the version. The manifest lists them under "extra_files" with their sha256.
Attach = Callable[[Path, Mapping[str, Any]], Iterable[str]]


def _no_stage(name: str) -> None:
    """The default `on_stage`: nothing."""


def _attach(staging: Path, attach: Attach, manifest: Mapping[str, Any]) -> dict[str, Any]:
    """Let `attach` write its files into the staged version, fsync them; their manifest entries."""
    entries = {}
    for relative in attach(staging, manifest):
        path = staging / relative
        _fsync_path(path)
        _fsync_path(path.parent)
        entries[relative] = {"sha256": file_sha256(path), "bytes": path.stat().st_size}
    return entries


class ReleaseBlocked(Exception):
    """The tables break their schemas; nothing was published."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__(f"{len(violations)} schema violation(s): " + "; ".join(map(str, violations[:5])))
        self.violations = violations


@dataclass(frozen=True)
class Release:
    """The outcome of a publish: the version now current and whether this call created it."""

    version: str
    path: Root
    published: bool
    content_hash: str
    rows: dict[str, int] = field(default_factory=dict)
    message: str = ""


def version_name(number: int) -> str:
    """`v0007` for 7."""
    return f"v{number:04d}"


def list_versions(root: Root) -> list[str]:
    """Published version names under `root`, oldest first (on an object store, those with a manifest)."""
    if isinstance(root, StorePath):
        from pipeline.datasets.store_release import list_versions as list_stored

        return list_stored(root)
    if not root.is_dir():
        return []
    names = [p.name for p in root.iterdir() if p.is_dir() and VERSION_NAME.match(p.name)]
    return sorted(names, key=lambda name: int(name[1:]))


def read_latest(root: Root) -> str | None:
    """The version `LATEST` names, or None before the first release."""
    if isinstance(root, StorePath):
        from pipeline.datasets.store_release import read_latest as read_stored

        return read_stored(root)
    try:
        name = (root / LATEST).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name if VERSION_NAME.match(name) and (root / name).is_dir() else None


def read_manifest(root: Root, version: str) -> dict[str, Any]:
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
        if not self._pending[name]:
            return
        pending = pa.concat_tables(self._pending[name])
        whole = pending.num_rows if final else pending.num_rows - pending.num_rows % HASH_ROWS
        for start in range(0, whole, HASH_ROWS):
            piece = pending.take(pa.array(range(start, min(start + HASH_ROWS, whole)), type=pa.int64()))
            for batch in piece.combine_chunks().to_batches():
                self._digests[name].update(batch.serialize().to_pybytes())
        self._pending[name] = [pending.slice(whole)] if whole < pending.num_rows else []

    def table_digests(self) -> dict[str, str]:
        """The hash of each table's rows added so far."""
        for name in self._digests:
            self._flush(name, final=True)
        return {name: digest.hexdigest() for name, digest in self._digests.items()}

    def hexdigest(self) -> str:
        """The hash of everything added, over the tables in name order."""
        return combine_digests([self.table_digests()])


def combine_digests(parts: Sequence[Mapping[str, str]]) -> str:
    """A release's content hash from its parts' table digests, in part order within each table.

    Of one part, it is what the hash of that part's whole tables always was; so a version published
    whole keeps its hash, and a parted one equals another exactly when their parts' rows are equal.
    """
    total = hashlib.sha256()
    for name in sorted({name for part in parts for name in part}):
        total.update(name.encode())
        for part in parts:
            total.update(bytes.fromhex(part[name]))
    return total.hexdigest()


def content_hash(tables: Mapping[str, pa.Table]) -> str:
    """The ContentHasher hash of whole tables (a release of one part)."""
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
    """Writes one table as `part-NNNNN.parquet` files, fsynced: at most ROWS_PER_PART rows each, and a new
    file after each release part, so that a part's files can be linked into a later version whole."""

    def __init__(self, folder: Path, schema: pa.Schema) -> None:
        folder.mkdir(parents=True)
        self.folder = folder
        self.schema = schema
        self.paths: list[Path] = []
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._part_rows = 0
        self._part_start = 0  # where in `paths` the files of the current release part begin

    def _next_path(self) -> Path:
        """The path of the next file, listed."""
        self.paths.append(self.folder / f"part-{len(self.paths):05d}.parquet")
        return self.paths[-1]

    def _next_part(self) -> None:
        """Close the current part file and open the next one."""
        self._close_part()
        self._writer = pq.ParquetWriter(self._next_path(), self.schema, compression="zstd")
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

    def end_part(self) -> list[Path]:
        """Close the current release part's files and return them (none if it had no rows)."""
        self._close_part()
        files = self.paths[self._part_start :]
        self._part_start = len(self.paths)
        return files

    def link(self, source: Path, rows: int) -> Path:
        """Add a file of an earlier version as the next file: a hard link (a copy where links fail)."""
        self._close_part()
        path = self._next_path()
        try:
            os.link(source, path)
        except OSError:  # a file system without hard links
            shutil.copyfile(source, path)
            _fsync_path(path)
        self.rows += rows
        self._part_start = len(self.paths)
        return path

    def reserve(self, rows: int) -> Path:
        """Add a file of an earlier version as the next file without making it here (the object store
        copies it on upload); its path in the staging folder."""
        self._close_part()
        path = self._next_path()
        self.rows += rows
        self._part_start = len(self.paths)
        return path

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


def _ignore(_info: Mapping[str, Any]) -> None:
    """The default `ReleasePart.reused`: nothing."""


@dataclass(frozen=True)
class ReleasePart:
    """One part of a release: a key of what its rows are made from, and how to make them.

    When the latest version holds a part of the same key (its files all there), the part's files are
    hard-linked from it and `reused` is called with the `info` recorded then; otherwise `chunks` is
    iterated and `info` called after it. Exactly one of `chunks` and `reused` is called. `chunks` may run
    on another thread, a chunk ahead of the one written, so it must not touch what other parts share;
    `info` and `reused` are called on the publishing thread, in part order.
    """

    key: str | None  # equal keys mean equal rows of every table (same code and schemas); None: never reused
    chunks: Callable[[], Iterable[Mapping[str, pa.Table]]]
    info: Callable[[], Mapping[str, Any]] = dict
    reused: Callable[[Mapping[str, Any]], None] = _ignore


def publish(
    root: Root,
    tables: Mapping[str, pa.Table],
    schemas: Mapping[str, TableSchema],
    manifest: Mapping[str, Any],
    render_card: Callable[[dict[str, Any]], str],
    *,
    on_stage: StageHook = _no_stage,
) -> Release:
    """Validate, stage and publish whole in-memory `tables` (see publish_parts)."""
    return publish_stream(root, [tables], schemas, lambda: manifest, render_card, on_stage=on_stage)


def publish_stream(
    root: Root,
    chunks: Iterable[Mapping[str, pa.Table]],
    schemas: Mapping[str, TableSchema],
    manifest: Callable[[], Mapping[str, Any]],
    render_card: Callable[[dict[str, Any]], str],
    *,
    on_stage: StageHook = _no_stage,
    attach: Attach | None = None,
) -> Release:
    """Validate, stage and publish tables given chunk by chunk, as one part (see publish_parts)."""
    part = ReleasePart(None, lambda: chunks)
    return publish_parts(root, [part], schemas, manifest, render_card, on_stage=on_stage, attach=attach)


def publish_parts(
    root: Root,
    parts: Iterable[ReleasePart],
    schemas: Mapping[str, TableSchema],
    manifest: Callable[[], Mapping[str, Any]],
    render_card: Callable[[dict[str, Any]], str],
    *,
    on_stage: StageHook = _no_stage,
    attach: Attach | None = None,
) -> Release:
    """Validate and stage the tables part by part, chunk by chunk, then publish them as the next version,
    unless their content equals `LATEST`'s.

    Every table of `schemas` is published (empty if no chunk has rows for it). A part the latest version
    already holds (same key) is linked from it, its rows not read again. `manifest` is called after the
    last part, so it can report counts gathered on the way. Raises ReleaseBlocked, with every violation
    and nothing published, when any table breaks its schema. `on_stage` is called with each name of
    STAGES as the publish reaches it (a seam for fault-injection tests). `attach` writes other files
    (the review page) into the staged version before its manifest, which lists them as `extra_files`.
    On an object store the version is committed with conditional writes (store_release.py).
    """
    if isinstance(root, StorePath):
        from pipeline.datasets.store_release import publish_stored

        return publish_stored(root, parts, schemas, manifest, render_card, on_stage=on_stage, attach=attach)
    root.mkdir(parents=True, exist_ok=True)
    with writer_lock(root):
        on_stage("locked")
        remove_stale_staging(root, holding_lock=True, on_stage=on_stage)
        staging = root / f"{STAGING_PREFIX}{os.getpid()}-{os.urandom(4).hex()}"
        staging.mkdir()
        on_stage("staging")
        try:
            release = _stage_and_publish(
                root, staging, parts, schemas, manifest, render_card, on_stage, attach
            )
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if not release.published:
            shutil.rmtree(staging, ignore_errors=True)
        else:
            _point_latest(root, release.version, on_stage)
    return release


def _reusable_parts(folder: Root, manifest: Mapping[str, Any], tables: Iterable[str]) -> dict[str, Any]:
    """The parts of a version (its manifest's records) by key, those with every table and file there."""
    files = manifest.get("files", {})
    if isinstance(folder, StorePath):  # one listing, not a request per file
        stored = {info.path[len(folder.fs_path) + 1 :] for info in folder.listing(recursive=True)}
        present: Callable[[str], bool] = stored.__contains__
    else:
        present = lambda path: (folder / path).is_file()  # noqa: E731
    found = {}
    for record in manifest.get("parts", []):
        paths = [path for listed in record["files"].values() for path in listed]
        if (
            record["key"] is not None
            and set(record["digests"]) == set(tables)
            and all(path in files and present(path) for path in paths)
        ):
            found[record["key"]] = record
    return found


def _write_part(
    part: ReleasePart,
    chunks: Iterable[Mapping[str, pa.Table]],
    staging: Path,
    schemas: Mapping[str, TableSchema],
    writers: Mapping[str, PartWriter],
    validator: StreamValidator,
    on_stage: StageHook,
) -> dict[str, Any]:
    """Validate, write and hash a part's chunks; the part's record for the manifest."""
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
    files = {
        name: [path.relative_to(staging).as_posix() for path in writer.end_part()]
        for name, writer in writers.items()
    }
    return {"key": part.key, "files": files, "digests": hasher.table_digests(), "info": dict(part.info())}


def _link_part(
    source: Root,
    staging: Path,
    record: Mapping[str, Any],
    source_files: Mapping[str, Any],
    writers: Mapping[str, PartWriter],
    validator: StreamValidator,
    copies: dict[str, StorePath],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Link a part's files from the version in `source`; its record and the linked files' entries.

    Its rows passed this validation when first published (the key covers the schemas); only the values
    that must be unique across the release are read, to check them against the other parts'. From an
    object store nothing is linked: the file is reserved in the staging folder and noted in `copies`
    (relative path -> the stored file), for the upload to copy it inside the store.
    """
    files: dict[str, list[str]] = {}
    entries: dict[str, Any] = {}
    for name, writer in writers.items():
        files[name] = []
        unique = validator.unique_columns(name)
        for old in record["files"].get(name, []):
            rows = source_files[old]["rows"]
            if isinstance(source, StorePath):
                path = writer.reserve(rows)
                copies[path.relative_to(staging).as_posix()] = source / old
                reader = pq.ParquetFile((source / old).open_input_file()) if unique else None
            else:
                path = writer.link(source / old, rows)
                reader = pq.ParquetFile(path) if unique else None
            relative = path.relative_to(staging).as_posix()
            files[name].append(relative)
            entries[relative] = source_files[old]
            if reader is not None:
                validator.note_unique(name, reader.read(columns=unique))
    return {**record, "files": files}, entries


def _read_ahead(pool: ThreadPoolExecutor, items: Iterator[Any]) -> Iterator[Any]:
    """The items of `items`, each next one made in `pool` while the caller uses this one.

    Why: making a part's rows (reading the curated part, filtering, flattening) is mostly Arrow kernels
    that release the GIL, as are compressing, hashing and validating the chunk before; one chunk ahead
    keeps memory bounded by the chunk size, as streaming promises."""
    done = object()
    pending = pool.submit(next, items, done)
    while (item := pending.result()) is not done:
        pending = pool.submit(next, items, done)
        yield item


def _chunks_then_end(parts: Iterable[ReleasePart]) -> Iterator[Mapping[str, pa.Table] | None]:
    """Every part's chunks in turn, each part's followed by None."""
    for part in parts:
        yield from part.chunks()
        yield None


@dataclass
class StagedVersion:
    """A version written into a local staging folder, its manifest not yet written (see stage_version)."""

    staging: Path
    latest: str | None
    digest: str
    rows: dict[str, int]
    files: dict[str, Any]  # relative path -> {"sha256", "rows"} of every table file
    records: list[dict[str, Any]]
    copies: dict[str, StorePath]  # files to copy inside the object store rather than upload

    def manifest(
        self, version: str, schemas: Mapping[str, TableSchema], extra: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The manifest of this content published as `version`."""
        return {
            "version": version,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "content_hash": self.digest,
            "rows": self.rows,
            "schemas": {name: schemas[name].file_name for name in schemas},
            "files": self.files,
            **extra,
            "parts": self.records,
        }


def stage_version(
    root: Root,
    staging: Path,
    parts: Iterable[ReleasePart],
    schemas: Mapping[str, TableSchema],
    on_stage: StageHook,
) -> StagedVersion | Release:
    """Write (or link) the parts into `staging`, validating and hashing; the staged version, or the
    latest Release when the content equals it. Raises ReleaseBlocked on schema violations."""
    writers = {name: PartWriter(staging / name, schema.arrow) for name, schema in schemas.items()}
    validator = StreamValidator(schemas)
    latest = read_latest(root)
    previous = read_manifest(root, latest) if latest else {}
    reusable = _reusable_parts(root / latest, previous, schemas) if latest else {}
    records: list[dict[str, Any]] = []
    linked: dict[str, Any] = {}  # files linked from the latest version: their manifest entries
    copies: dict[str, StorePath] = {}
    parts = list(parts)
    from_latest = [part.key is not None and part.key in reusable for part in parts]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="release-part") as pool:
        fresh = [part for part, old in zip(parts, from_latest, strict=True) if not old]
        stream = _read_ahead(pool, _chunks_then_end(fresh))
        for part, old in zip(parts, from_latest, strict=True):
            if not old:
                chunks = iter(lambda: next(stream), None)  # this part's chunks: up to its None
                records.append(_write_part(part, chunks, staging, schemas, writers, validator, on_stage))
                continue
            assert latest is not None and part.key is not None
            record = reusable[part.key]
            relinked, entries = _link_part(
                root / latest, staging, record, previous["files"], writers, validator, copies
            )
            records.append(relinked)
            linked.update(entries)
            part.reused(record["info"])
    if not records:  # no parts: one empty part, so that the schemas are hashed and on disk
        records.append(
            _write_part(ReleasePart(None, list), [], staging, schemas, writers, validator, on_stage)
        )
    violations = validator.finish()
    if violations:
        on_stage("blocked")
        raise ReleaseBlocked(violations)
    digest = combine_digests([record["digests"] for record in records])
    rows = {name: writer.rows for name, writer in writers.items()}
    paths = [path for writer in writers.values() for path in writer.close()]
    on_stage("parts")
    if latest and previous.get("content_hash") == digest:
        on_stage("unchanged")
        return Release(latest, root / latest, False, digest, rows, f"content equals {latest}; nothing new")
    files = {}
    for path in paths:
        relative = path.relative_to(staging).as_posix()
        files[relative] = linked.get(relative) or {
            "sha256": file_sha256(path),
            "rows": pq.read_metadata(path).num_rows,
        }
    return StagedVersion(staging, latest, digest, rows, files, records, copies)


def write_staged_manifest(
    staged: StagedVersion,
    version: str,
    schemas: Mapping[str, TableSchema],
    manifest: Callable[[], Mapping[str, Any]],
    render_card: Callable[[dict[str, Any]], str],
    on_stage: StageHook,
    attach: Attach | None,
) -> dict[str, Any]:
    """Attach the extra files, write the manifest and the card into the staging folder, fsynced."""
    staging = staged.staging
    full_manifest = staged.manifest(version, schemas, manifest())
    if attach is not None:
        full_manifest["extra_files"] = _attach(staging, attach, full_manifest)
    _write_text(staging / MANIFEST, json.dumps(full_manifest, indent=2, ensure_ascii=False) + "\n")
    on_stage("manifest")
    _write_text(staging / "README.md", render_card(full_manifest))
    _fsync_path(staging)
    on_stage("staged")
    return full_manifest


def _stage_and_publish(
    root: Path,
    staging: Path,
    parts: Iterable[ReleasePart],
    schemas: Mapping[str, TableSchema],
    manifest: Callable[[], Mapping[str, Any]],
    render_card: Callable[[dict[str, Any]], str],
    on_stage: StageHook,
    attach: Attach | None = None,
) -> Release:
    """Write (or link) the parts into `staging`, validating and hashing, then rename it to the next
    version."""
    staged = stage_version(root, staging, parts, schemas, on_stage)
    if isinstance(staged, Release):
        return staged
    existing = list_versions(root)
    version = version_name(int(existing[-1][1:]) + 1 if existing else 1)
    write_staged_manifest(staged, version, schemas, manifest, render_card, on_stage, attach)
    # rename(2) would also replace an empty folder; the lock and the check keep versions unique.
    if (root / version).exists():
        raise FileExistsError(f"{root / version} exists; refusing to overwrite a version")
    os.rename(staging, root / version)
    _fsync_path(root)
    on_stage("renamed")
    return Release(version, root / version, True, staged.digest, staged.rows, f"published {version}")
