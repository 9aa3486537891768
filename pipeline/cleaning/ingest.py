"""Walk the seeds folder: every regular file becomes a RawDocument, anything else a recorded Skipped."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
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


def _read_regular(path: Path, max_bytes: int) -> bytes:
    """Read a regular file without following a symlink swapped in after the walk looked at it."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError("not a regular file")
        if info.st_size > max_bytes:
            raise OSError(f"file too large ({info.st_size} bytes > {max_bytes})")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise OSError(f"file too large (> {max_bytes} bytes)")
        return data
    finally:
        os.close(fd)


def walk_seeds(root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[RawDocument | Skipped]:
    """Yield every entry below `root` in path order: regular files read, others skipped with a reason.

    Symlinks are never followed (a link could lead outside the seeds folder), hidden entries
    (names starting with ".") are ignored as editor and sync-tool droppings.
    """
    if not root.is_dir():
        raise FileNotFoundError(f"seeds folder {root} does not exist or is not a folder")
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        base = Path(dirpath)
        # Symlinked folders are listed in dirnames but os.walk does not descend them; record them.
        for name in list(dirnames):
            if name.startswith("."):
                dirnames.remove(name)
            elif (base / name).is_symlink():
                source = relative_posix(base / name, root)
                yield Skipped(make_doc_id(source), source, "symlink (not followed)")
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = base / name
            source = relative_posix(path, root)
            doc_id = make_doc_id(source)
            try:
                mode = os.lstat(path).st_mode
                if stat.S_ISLNK(mode):
                    yield Skipped(doc_id, source, "symlink (not followed)")
                    continue
                if not stat.S_ISREG(mode):
                    yield Skipped(doc_id, source, "not a regular file")
                    continue
                data = _read_regular(path, max_bytes)
            except OSError as exc:
                yield Skipped(doc_id, source, f"unreadable: {exc.strerror or exc}")
                continue
            yield RawDocument(doc_id, source, data, hashlib.sha256(data).hexdigest())
