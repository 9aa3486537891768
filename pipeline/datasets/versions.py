"""Versioned releases: staging folder, fsync, schema check, atomic rename to `vNNNN`, then `LATEST`.

Layout under the release root (`output/curated/`):

    v0001/documents/part-00000.parquet  v0001/manifest.json  v0001/README.md
    LATEST                               one line, the newest published version

Nothing is ever overwritten: a version folder is created by one rename and never touched again; a
failed or killed run leaves the previous version and `LATEST` as they were; staging folders of dead
writers are removed by the next writer. Writers serialise on an exclusive lock file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.datasets.schema import TableSchema, Violation, validate

VERSION_NAME = re.compile(r"^v(\d{4,})$")
STAGING_PREFIX = ".staging-"
LATEST = "LATEST"
MANIFEST = "manifest.json"
# Rows per Parquet part file: large enough for efficient scans, small enough to stream.
ROWS_PER_PART = 100_000


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


def content_hash(tables: Mapping[str, pa.Table]) -> str:
    """A hash of the tables' schemas and rows (Arrow IPC bytes), independent of Parquet encoding details."""
    digest = hashlib.sha256()
    for name in sorted(tables):
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, tables[name].schema) as writer:
            writer.write_table(tables[name])
        digest.update(name.encode())
        digest.update(sink.getvalue().to_pybytes())
    return digest.hexdigest()


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


def _pid_alive(pid: int) -> bool:
    """Whether a process with this id exists."""
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True


def remove_stale_staging(root: Path) -> list[str]:
    """Remove staging folders whose writer process is gone; returns their names."""
    removed = []
    for path in root.glob(f"{STAGING_PREFIX}*"):
        match = re.match(rf"{re.escape(STAGING_PREFIX)}(\d+)-", path.name)
        if match and _pid_alive(int(match.group(1))) and int(match.group(1)) != os.getpid():
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path.name)
    return removed


def write_parquet_parts(table: pa.Table, folder: Path) -> list[Path]:
    """Write a table as `part-NNNNN.parquet` files of at most ROWS_PER_PART rows, fsynced."""
    folder.mkdir(parents=True)
    paths = []
    for index, start in enumerate(range(0, max(table.num_rows, 1), ROWS_PER_PART)):
        path = folder / f"part-{index:05d}.parquet"
        pq.write_table(table.slice(start, ROWS_PER_PART), path, compression="zstd")
        _fsync_path(path)
        paths.append(path)
    _fsync_path(folder)
    return paths


def _write_text(path: Path, text: str) -> None:
    """Write and fsync a small text file."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _point_latest(root: Path, version: str) -> None:
    """Replace `LATEST` atomically: write a temporary file, fsync, rename over, fsync the folder."""
    temporary = root / f".{LATEST}.{os.getpid()}.tmp"
    _write_text(temporary, version + "\n")
    os.replace(temporary, root / LATEST)
    _fsync_path(root)


def publish(
    root: Path,
    tables: Mapping[str, pa.Table],
    schemas: Mapping[str, TableSchema],
    manifest: Mapping[str, Any],
    render_card: Callable[[dict[str, Any]], str],
) -> Release:
    """Validate, stage and publish `tables` as the next version, unless equal to `LATEST`.

    Raises ReleaseBlocked (nothing written) when any table breaks its schema.
    """
    violations = [v for name, table in tables.items() for v in validate(table, schemas[name])]
    if violations:
        raise ReleaseBlocked(violations)
    digest = content_hash(tables)
    rows = {name: table.num_rows for name, table in tables.items()}
    root.mkdir(parents=True, exist_ok=True)
    with writer_lock(root):
        remove_stale_staging(root)
        latest = read_latest(root)
        if latest and read_manifest(root, latest).get("content_hash") == digest:
            return Release(
                latest, root / latest, False, digest, rows, f"content equals {latest}; nothing new"
            )
        staging = root / f"{STAGING_PREFIX}{os.getpid()}-{os.urandom(4).hex()}"
        staging.mkdir()
        try:
            files = {}
            for name, table in tables.items():
                for path in write_parquet_parts(table, staging / name):
                    relative = path.relative_to(staging).as_posix()
                    files[relative] = {"sha256": file_sha256(path), "rows": pq.read_metadata(path).num_rows}
            existing = list_versions(root)
            version = version_name(int(existing[-1][1:]) + 1 if existing else 1)
            full_manifest = {
                "version": version,
                "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "content_hash": digest,
                "rows": rows,
                "schemas": {name: schemas[name].file_name for name in tables},
                "files": files,
                **manifest,
            }
            _write_text(staging / MANIFEST, json.dumps(full_manifest, indent=2, ensure_ascii=False) + "\n")
            _write_text(staging / "README.md", render_card(full_manifest))
            _fsync_path(staging)
            # rename(2) would also replace an empty folder; the lock and the check keep versions unique.
            if (root / version).exists():
                raise FileExistsError(f"{root / version} exists; refusing to overwrite a version")
            os.rename(staging, root / version)
            _fsync_path(root)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _point_latest(root, version)
    return Release(version, root / version, True, digest, rows, f"published {version}")
