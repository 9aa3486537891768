"""Watching the seeds folder: a fingerprint of its listing, and when a change is safe to act on.

A change is acted on only once the listing is the same on two looks in a row, so a file still being
copied (its size or mtime still moving) is never picked up half-written; and a listing is acted on
once, so the same state never starts two runs.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow.fs as pafs

from pipeline.datasets.objectstore import StorePath


def listing(root: Path | StorePath) -> dict[str, tuple[int, int]]:
    """Every visible entry below `root` (symlinks not followed): relative path -> (size, mtime in ns)."""
    entries: dict[str, tuple[int, int]] = {}
    if isinstance(root, StorePath):  # an object store: one listing
        for info in root.listing(recursive=True):
            relative = info.path[len(root.fs_path) + 1 :]
            if info.type == pafs.FileType.File and not any(p.startswith(".") for p in relative.split("/")):
                entries[relative] = (int(info.size or 0), int(info.mtime_ns or 0))
        return entries
    if not root.is_dir():
        return entries
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            try:
                info = path.lstat()
            except OSError:  # vanished between the walk and the look: the next look sees the truth
                continue
            entries[path.relative_to(root).as_posix()] = (info.st_size, info.st_mtime_ns)
    return entries


def fingerprint(entries: dict[str, tuple[int, int]]) -> str:
    """A short hash of a listing: equal listings, equal fingerprints."""
    digest = hashlib.sha256()
    for path in sorted(entries):
        size, mtime = entries[path]
        digest.update(f"{path}\0{size}\0{mtime}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:20]


@dataclass(frozen=True)
class WatchState:
    """What the watcher remembers between looks: the last listing seen and the last one acted on."""

    seen: str | None = None
    launched: str | None = None
    launches: int = 0  # numbers the run keys, so a listing that comes back later still runs

    def dump(self) -> str:
        """The state as a cursor string."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def load(cls, cursor: str | None) -> WatchState:
        """The state from a cursor string; an empty or unreadable cursor starts afresh."""
        try:
            data = json.loads(cursor) if cursor else {}
            return cls(
                seen=data.get("seen"), launched=data.get("launched"), launches=int(data.get("launches", 0))
            )
        except (ValueError, AttributeError, TypeError):
            return cls()


@dataclass(frozen=True)
class Decision:
    """The watcher's answer for one look: act (with this key) or wait, and the state to remember."""

    launch: bool
    key: str
    state: WatchState
    reason: str


def decide(state: WatchState, current: str) -> Decision:
    """Act on `current` when it was also seen last time and differs from what was acted on last."""
    if current != state.seen:
        waiting = WatchState(current, state.launched, state.launches)
        return Decision(False, "", waiting, "seeds changed; waiting for them to settle")
    if current == state.launched:
        return Decision(False, "", state, "no change since the last run")
    launches = state.launches + 1
    return Decision(
        True, f"{launches}-{current}", WatchState(current, current, launches), "seeds changed and settled"
    )
