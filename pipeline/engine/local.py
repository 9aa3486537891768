"""The local engine: a pool of worker processes runs a pure per-document function over Arrow batches.

Every document gets a time limit. A worker reports each finished document, so the parent always knows
which document a worker is on and since when; one that overruns is killed, that document is recorded
as failed ("timed out"), a fresh worker takes its place and the rest of the batch goes on. A function
that raises fails only its own document. Batches come back in input order, and at most two batches
per worker are in flight, so memory is bounded by the batch size, not the corpus.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

import pyarrow as pa

Row = dict[str, Any]
DocumentFunction = Callable[[Row], Row]
# Builds the output row of a document that failed (raised or timed out) from its input row and the reason.
FailureRow = Callable[[Row, str], Row]

DEFAULT_TIMEOUT_S = 60.0


def describe_error(exc: BaseException) -> str:
    """`Type: message at file:line` of the innermost frame, the reason recorded for a failed document."""
    last = traceback.extract_tb(exc.__traceback__)[-1:]
    where = f" at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno}" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _worker(fn: DocumentFunction, conn: Connection) -> None:
    """Worker loop: receive (batch id, first index, rows), send back (batch id, index, ok, result) per row."""
    while True:
        task = conn.recv()
        if task is None:
            return
        batch_id, first, rows = task
        for offset, row in enumerate(rows):
            try:
                result: Any = (True, fn(row))
            except Exception as exc:
                result = (False, describe_error(exc))
            conn.send((batch_id, first + offset, *result))


@dataclass
class _Slot:
    """One worker process and what it is doing."""

    process: Any
    conn: Connection
    batch_id: int | None = None
    next_index: int = 0  # the document it is on
    end_index: int = 0
    since: float = 0.0  # when it started that document


@dataclass
class _Batch:
    """A batch in flight: its rows and the results gathered so far."""

    rows: list[Row]
    results: list[Row | None] = field(default_factory=list)
    pending: int = 0


class LocalEngine:
    """Runs a document function over record batches in `workers` processes with a per-document time limit."""

    def __init__(
        self,
        fn: DocumentFunction,
        on_failure: FailureRow,
        *,
        workers: int | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        start_method: str = "forkserver",
        preload: Sequence[str] = (),
    ) -> None:
        self.fn = fn
        self.on_failure = on_failure
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.timeout_s = timeout_s
        # forkserver: workers fork from a single-threaded server process, which is safe beside Dagster's
        # threads (a plain fork is not) and, with `preload`, imports the document code once, not per worker.
        self.context: Any = mp.get_context(start_method)
        if start_method == "forkserver" and preload:
            self.context.set_forkserver_preload(list(preload))
        self.slots: list[_Slot] = []
        self.timed_out = 0
        self.restarted = 0

    def _start(self) -> _Slot:
        """Start one worker process."""
        parent, child = self.context.Pipe()
        process = self.context.Process(target=_worker, args=(self.fn, child), daemon=True)
        process.start()
        child.close()
        return _Slot(process, parent)

    def _replace(self, slot: _Slot) -> _Slot:
        """Kill a worker that overran its time limit and start a fresh one in its place."""
        slot.process.kill()
        slot.process.join()
        slot.conn.close()
        self.restarted += 1
        fresh = self._start()
        self.slots[self.slots.index(slot)] = fresh
        return fresh

    def _assign(self, slot: _Slot, batch_id: int, batch: _Batch, first: int) -> None:
        """Give a worker the rows of a batch from index `first` on."""
        slot.batch_id, slot.next_index, slot.end_index = batch_id, first, len(batch.rows)
        slot.since = time.monotonic()
        slot.conn.send((batch_id, first, batch.rows[first:]))

    def map(self, batches: Iterable[pa.RecordBatch], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
        """The output batches, in input order, one per input batch, with `schema`."""
        self.slots = []  # started with the first batch that has rows: a fully cached run starts none
        try:
            yield from self._run(iter(batches), schema)
        finally:
            for slot in self.slots:
                with contextlib.suppress(OSError):  # a worker killed at the end has no pipe left
                    slot.conn.send(None)
            for slot in self.slots:
                slot.process.join(timeout=5)
                if slot.process.is_alive():
                    slot.process.kill()
                slot.conn.close()

    def _run(self, batches: Iterator[pa.RecordBatch], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
        """The scheduling loop: keep workers busy, enforce time limits, emit finished batches in order."""
        in_flight: dict[int, _Batch] = {}
        waiting: deque[int] = deque()  # batch ids not yet given to a worker
        next_id = next_out = 0
        exhausted = False
        while True:
            while not exhausted and len(in_flight) < 2 * self.workers:
                batch = next(batches, None)
                if batch is None:
                    exhausted = True
                    break
                rows = batch.to_pylist()
                in_flight[next_id] = _Batch(rows, [None] * len(rows), len(rows))
                if rows:  # an empty batch has nothing to do; it is emitted in its turn
                    waiting.append(next_id)
                next_id += 1
            if waiting and not self.slots:
                self.slots = [self._start() for _ in range(self.workers)]
            for slot in self.slots:
                if slot.batch_id is None and waiting:
                    batch_id = waiting.popleft()
                    self._assign(slot, batch_id, in_flight[batch_id], 0)
            while next_out in in_flight and in_flight[next_out].pending == 0:
                done = in_flight.pop(next_out)
                yield pa.RecordBatch.from_pylist(done.results, schema=schema)
                next_out += 1
            if exhausted and not in_flight:
                return
            busy = [slot for slot in self.slots if slot.batch_id is not None]
            if not busy:
                continue
            now = time.monotonic()
            deadline = min(slot.since for slot in busy) + self.timeout_s
            for conn in wait([slot.conn for slot in busy], timeout=max(0.0, deadline - now)):
                slot = next(s for s in busy if s.conn is conn)
                self._receive(slot, in_flight)
            for slot in list(busy):
                if slot.batch_id is not None and time.monotonic() - slot.since > self.timeout_s:
                    self._receive(slot, in_flight)  # it may have finished just at the deadline
                    if slot.batch_id is not None and time.monotonic() - slot.since > self.timeout_s:
                        self._time_out(slot, in_flight)

    def _receive(self, slot: _Slot, in_flight: dict[int, _Batch]) -> None:
        """Take every result the worker has sent."""
        while slot.conn.poll():
            batch_id, index, ok, value = slot.conn.recv()
            batch = in_flight[batch_id]
            row = batch.rows[index]
            batch.results[index] = value if ok else self.on_failure(row, f"failed: {value}")
            batch.pending -= 1
            slot.next_index = index + 1
            slot.since = time.monotonic()
            if slot.next_index >= slot.end_index:
                slot.batch_id = None

    def _time_out(self, slot: _Slot, in_flight: dict[int, _Batch]) -> None:
        """Record the overrunning document as failed, replace the worker, and resume the batch after it."""
        assert slot.batch_id is not None
        batch_id, index = slot.batch_id, slot.next_index
        batch = in_flight[batch_id]
        batch.results[index] = self.on_failure(batch.rows[index], f"timed out after {self.timeout_s:g} s")
        batch.pending -= 1
        self.timed_out += 1
        fresh = self._replace(slot)
        if index + 1 < len(batch.rows):
            self._assign(fresh, batch_id, batch, index + 1)


def batches_of(table: pa.Table, size: int) -> Iterator[pa.RecordBatch]:
    """A table as record batches of at most `size` rows."""
    yield from table.to_batches(max_chunksize=size)
