"""How far the long stages are: each stage counts its documents on a `Progress`, which

- tells every listener of this process of each advance (the `webcurate` command draws progress bars
  from them on a terminal), and
- writes a line to the stage's log (in Dagster, its event log: the UI and plain console output) every
  PROGRESS_EVERY_S seconds, with documents done, docs/s and the time left, and a last one when done.

Pure: no Dagster. A stage that is not watched costs a counter and a clock read per batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

import pyarrow as pa

Log = Callable[[str], None]
PROGRESS_EVERY_S = 5.0


def quiet(message: str) -> None:
    """The default log: nothing."""


class ProgressListener(Protocol):
    """Something that shows the stages' progress as it happens (the CLI's progress bars)."""

    def started(self, stage: str, total: int | None, unit: str) -> None:
        """A stage began: `total` items to do (None when not known up front)."""

    def advanced(self, stage: str, done: int, reused: int) -> None:
        """A stage has `done` items done, `reused` of them from the cache."""

    def finished(self, stage: str, done: int, seconds: float) -> None:
        """A stage ended after `seconds`."""


_listeners: list[ProgressListener] = []


@contextmanager
def listening(listener: ProgressListener) -> Iterator[None]:
    """Tell `listener` of every stage's progress in this process while the block runs."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


def duration(seconds: float) -> str:
    """Seconds as a short duration: `45 s`, `3 min 20 s`, `2 h 05 min`."""
    whole = max(round(seconds), 0)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


@dataclass
class Progress:
    """The progress of one stage: told to the listeners at every advance, logged every PROGRESS_EVERY_S."""

    stage: str
    total: int | None
    log: Log = quiet
    unit: str = "documents"
    done: int = 0
    reused: int = 0
    started: float = field(default_factory=time.perf_counter)
    last: float = field(default_factory=time.perf_counter)

    def __post_init__(self) -> None:
        """Tell the listeners the stage began."""
        for listener in list(_listeners):
            listener.started(self.stage, self.total, self.unit)

    def rate(self, now: float | None = None) -> float:
        """Items per second so far."""
        elapsed = (time.perf_counter() if now is None else now) - self.started
        return self.done / max(elapsed, 1e-9)

    def line(self, now: float) -> str:
        """The log line of the progress so far: done of total, rate, time left, reused."""
        rate = self.rate(now)
        if self.total is None:
            text = f"{self.stage}: {self.done:,} {self.unit}, {rate:,.0f} {self.unit_short}/s"
        else:
            share = self.done / self.total if self.total else 1.0
            left = (self.total - self.done) / rate if rate > 0 else None
            eta = f", {duration(left)} left" if left is not None else ""
            text = (
                f"{self.stage}: {self.done:,}/{self.total:,} {self.unit} ({share:.0%}), "
                f"{rate:,.0f} {self.unit_short}/s{eta}"
            )
        return text + (f" ({self.reused:,} reused)" if self.reused else "")

    @property
    def unit_short(self) -> str:
        """The unit in rates: docs/s for documents."""
        return "docs" if self.unit == "documents" else self.unit

    def advance(self, rows: int, *, reused: int | None = None) -> None:
        """Count `rows` more items done; `reused`: how many of all done so far came from the cache."""
        self.done += rows
        if reused is not None:
            self.reused = reused
        for listener in list(_listeners):
            listener.advanced(self.stage, self.done, self.reused)
        now = time.perf_counter()
        if now - self.last >= PROGRESS_EVERY_S:
            self.last = now
            self.log(self.line(now))

    def finish(self, note: str = "", *, log: bool = True) -> float:
        """Tell the listeners and log the totals (unless the stage logs its own); the seconds taken."""
        now = time.perf_counter()
        seconds = now - self.started
        for listener in list(_listeners):
            listener.finished(self.stage, self.done, seconds)
        if log:
            rate = f", {self.rate(now):,.0f} {self.unit_short}/s" if seconds >= 0.05 else ""
            self.log(f"{self.stage}: {self.done:,} {self.unit} in {seconds:.1f} s{rate}{note}")
        return seconds


def counted(batches: Iterable[pa.RecordBatch], progress: Progress) -> Iterator[pa.RecordBatch]:
    """The batches, each one's rows counted on `progress` as it is taken."""
    for batch in batches:
        progress.advance(batch.num_rows)
        yield batch
