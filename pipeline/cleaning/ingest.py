"""Walk the seeds folder: every regular file becomes a RawDocument, anything else a recorded Skipped."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline.cleaning.document import RawDocument, Skipped

# Larger files are recorded as skipped, not read: a scraped page is never this big, a dump or a bomb is.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


def make_doc_id(source_path: str) -> str:
    """A stable id from the path relative to the seeds folder (16 hex digits of its sha256)."""
    return hashlib.sha256(source_path.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def relative_posix(path: Path, root: Path) -> str:
    """The path relative to the seeds folder, POSIX-style, with undecodable bytes escaped."""
    return path.relative_to(root).as_posix()


def _read_regular(path: str | Path, max_bytes: int) -> bytes:
    """Read a regular file without following a symlink swapped in after the walk looked at it."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError("not a regular file")
        if info.st_size > max_bytes:
            raise OSError(f"file too large ({info.st_size} bytes > {max_bytes})")
        # Sized by fstat: reading max_bytes + 1 allocates a 64 MB buffer for every file. A file that grew
        # since is read on to the same bound.
        data = _read_upto(fd, info.st_size + 1)
        if len(data) > info.st_size:
            data += _read_upto(fd, max_bytes + 1 - len(data))
        if len(data) > max_bytes:
            raise OSError(f"file too large (> {max_bytes} bytes)")
        return data
    finally:
        os.close(fd)


def _read_upto(fd: int, limit: int) -> bytes:
    """Read until end of file or `limit` bytes, whichever comes first."""
    # os.read on the descriptor, not a buffered file object: creating one cost more than the read of a
    # typical page. os.read may return fewer bytes than asked, so it is called until EOF or the limit.
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0 and (chunk := os.read(fd, remaining)):
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class SeedFile:
    """A readable regular file of the seeds folder: its identity, size, stat signature and content hash."""

    doc_id: str
    source_path: str
    size_bytes: int
    stat_key: str  # size, mtime, ctime and inode: unchanged means the content is unchanged (as in git)
    sha256: str


def stat_key(info: os.stat_result) -> str:
    """The signature of a file's stat that any write changes (ctime cannot be set back by a tool)."""
    return f"{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}"


def _badly_named(source: str) -> Skipped | None:
    """A path that is not valid UTF-8 as Skipped, shown with `\\xNN` escapes; None for a valid one.

    Why: undecodable bytes of a name come back from the file system as lone surrogates, which no
    Parquet (UTF-8) column can hold; one such name used to fail the whole scan. Its doc_id still
    comes from the real bytes, so it cannot collide with a file really named with a backslash.
    """
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:
        shown = source.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        return Skipped(make_doc_id(source), shown, "file name is not valid UTF-8 (shown with \\x escapes)")
    return None


def _unlisted(error: OSError, root: Path) -> Skipped:
    """A folder os.walk could not list, as Skipped; the seeds folder itself raises."""
    folder = Path(error.filename) if error.filename is not None else root
    if folder == root:
        raise OSError(error.errno, f"seeds folder {root} cannot be listed: {error.strerror}")
    source = relative_posix(folder, root)
    skipped = _badly_named(source)
    return skipped or Skipped(make_doc_id(source), source, f"unreadable folder: {error.strerror or error}")


def _entries(root: Path) -> Iterator[tuple[str, str] | Skipped]:
    """Every entry below `root` in path order: (relative path, path) of regular files, Skipped otherwise.

    Symlinks are never followed (a link could lead outside the seeds folder), hidden entries
    (names starting with ".") are ignored as editor and sync-tool droppings.
    """
    if not root.is_dir():
        raise FileNotFoundError(f"seeds folder {root} does not exist or is not a folder")
    # Why: os.walk drops a folder it cannot list (no permission, vanished) without a word; every file
    # in it would be lost silently. Its errors are collected and recorded as skipped folders.
    errors: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=errors.append):
        yield from (_unlisted(error, root) for error in errors)
        errors.clear()
        dirnames.sort()
        base = Path(dirpath)
        # Symlinked folders are listed in dirnames but os.walk does not descend them; record them.
        for name in list(dirnames):
            if name.startswith("."):
                dirnames.remove(name)
            elif (base / name).is_symlink():
                source = relative_posix(base / name, root)
                yield _badly_named(source) or Skipped(make_doc_id(source), source, "symlink (not followed)")
        # Plain strings for the files: pathlib per file cost a fifth of a warm run's scan.
        folder = relative_posix(base, root)
        prefix = "" if folder == "." else folder + "/"
        for name in sorted(filenames):
            if not name.startswith("."):
                source = prefix + name
                yield _badly_named(source) or (source, os.path.join(dirpath, name))
    yield from (_unlisted(error, root) for error in errors)


def _regular(source: str, path: str) -> os.stat_result | Skipped:
    """The stat of a regular file, or the entry as Skipped (symlink, device, FIFO, vanished)."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        return Skipped(make_doc_id(source), source, f"unreadable: {exc.strerror or exc}")
    if stat.S_ISLNK(info.st_mode):
        return Skipped(make_doc_id(source), source, "symlink (not followed)")
    if not stat.S_ISREG(info.st_mode):
        return Skipped(make_doc_id(source), source, "not a regular file")
    return info


def _regular_files(root: Path) -> Iterator[tuple[str, str, os.stat_result] | Skipped]:
    """Every entry below `root` in path order: (relative path, path, stat) of regular files, else Skipped."""
    for entry in _entries(root):
        if isinstance(entry, Skipped):
            yield entry
            continue
        source, path = entry
        info = _regular(source, path)
        yield info if isinstance(info, Skipped) else (source, path, info)


def walk_seeds(root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[RawDocument | Skipped]:
    """Yield every entry below `root` in path order: regular files read, others skipped with a reason."""
    for entry in _regular_files(root):
        if isinstance(entry, Skipped):
            yield entry
            continue
        source, path, _ = entry
        try:
            data = _read_regular(path, max_bytes)
        except OSError as exc:
            yield Skipped(make_doc_id(source), source, f"unreadable: {exc.strerror or exc}")
            continue
        yield RawDocument(make_doc_id(source), source, data, hashlib.sha256(data).hexdigest())


def scan_seeds(
    root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, known: Mapping[str, tuple[str, str]] | None = None
) -> Iterator[SeedFile | Skipped]:
    """Like walk_seeds, but without keeping the bytes: each file's sha256, read and hashed only when its
    stat signature differs from the one in `known` (source path -> (stat key, sha256) of a previous scan).
    """
    known = known or {}
    for entry in _regular_files(root):
        if isinstance(entry, Skipped):
            yield entry
            continue
        source, path, info = entry
        doc_id, key = make_doc_id(source), stat_key(info)
        if info.st_size > max_bytes:
            yield Skipped(doc_id, source, f"unreadable: file too large ({info.st_size} bytes > {max_bytes})")
            continue
        previous = known.get(source)
        if previous is not None and previous[0] == key:
            yield SeedFile(doc_id, source, info.st_size, key, previous[1])
            continue
        try:
            data = _read_regular(path, max_bytes)
        except OSError as exc:
            yield Skipped(doc_id, source, f"unreadable: {exc.strerror or exc}")
            continue
        yield SeedFile(doc_id, source, len(data), key, hashlib.sha256(data).hexdigest())


def read_seed(root: Path, source_path: str, sha256: str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of a seed file the scan saw; OSError if it is gone or no longer has that content."""
    # os.path.join, not Path's "/": the path object cost as much as the read.
    data = _read_regular(os.path.join(root, source_path), max_bytes)
    if hashlib.sha256(data).hexdigest() != sha256:
        raise OSError("changed while the run was reading it (the next run picks it up)")
    return data
