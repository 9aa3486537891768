"""The local engine: a pool of worker processes runs a pure per-document function over Arrow batches.

Every document gets a time limit. A worker ticks for each finished document, so the parent always knows
which document a worker is on and since when; one that overruns is killed, that document is recorded
as failed ("timed out"), a fresh worker takes its place and the rest of the batch goes on. A function
that raises fails only its own document. Rows travel as Arrow IPC streams both ways (the parent never
turns them into Python objects). A batch is handed out in tasks of up to TASK_ROWS rows, so the workers
share it; batches come back in input order, and at most two batches per worker are in flight, so memory
is bounded by the batch size, not the corpus.
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

import numpy as np
import pyarrow as pa

Row = dict[str, Any]
DocumentFunction = Callable[[Row], Row]
PREPARING = -1.0  # what a worker's state says while it prepares a task's rows (no document is to blame)
# Builds the output row of a document that failed (raised or timed out) from its input row and the reason.
FailureRow = Callable[[Row, str], Row]

DEFAULT_TIMEOUT_S = 60.0
# How long a new worker may take to start (fork, imports) before its first document's time limit runs.
STARTUP_S = 30.0


def describe_error(exc: BaseException) -> str:
    """`Type: message at file:line` of the innermost frame, the reason recorded for a failed document."""
    last = traceback.extract_tb(exc.__traceback__)[-1:]
    where = f" at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno}" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


# A worker sends its finished rows as one Arrow batch every FLUSH_ROWS rows or FLUSH_S seconds (and at the
# end of its task). What it is on, and since when, it writes to memory shared with the parent: the time
# limit costs no message per document.
FLUSH_ROWS = 64
FLUSH_S = 0.5
# A batch is given to workers in tasks of at most this many rows: one worker per batch left the others
# idle at the end of a stage for up to a whole batch (500 documents, over half a second when curating).
TASK_ROWS = 2 * FLUSH_ROWS


def pack(batch: pa.RecordBatch) -> bytes:
    """A record batch as Arrow IPC stream bytes, the form batches travel in between processes.

    Why: pickling a batch walks every array and buffer in Python (about 1 ms for 64 curated rows each
    way); the IPC stream is written and read in C++ (about 0.1 ms), and read back without a copy."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    return bytes(sink.getvalue())


def unpack(data: bytes) -> pa.RecordBatch:
    """The record batch of `pack`'s bytes (its buffers point into `data`)."""
    return pa.ipc.open_stream(pa.py_buffer(data)).read_next_batch()


def prepare_rows(fn: DocumentFunction, rows: list[Row]) -> None:
    """Let a document function that can (it has `prepare`) work on a task's rows together first; if that
    fails, each row is still run alone and fails alone."""
    prepare = getattr(fn, "prepare", None)
    if prepare is not None:
        with contextlib.suppress(Exception):
            prepare(rows)


def _worker(
    fn: DocumentFunction,
    schema: pa.Schema,
    conn: Connection,
    state: Any,
    environ: dict[str, str] | None = None,
) -> None:
    """Worker loop: receive (batch id, indices, packed rows, prepare?), run `fn` on each row, report back.

    Messages back: ("rows", batch id, indices, packed batch) with finished rows, ("failed", batch id,
    index, reason) for a row that raised. `state` holds [index being worked on (PREPARING while the
    rows are prepared together), its start time]. `environ` is the engine's environment when the worker
    was started: a fork server started earlier (by an earlier run in the same process) holds an older one,
    and a step reading from object storage needs the credentials of now.
    """
    if environ is not None:
        os.environ.update(environ)
    while True:
        task = conn.recv()
        if task is None:
            return
        batch_id, indices, packed, prepare = task
        done: list[int] = []
        results: list[Row] = []
        rows = unpack(packed).to_pylist()
        if prepare:
            state[0], state[1] = PREPARING, time.monotonic()
            prepare_rows(fn, rows)
        last_flush = time.monotonic()
        for index, row in zip(indices, rows, strict=True):
            state[0], state[1] = index, time.monotonic()
            try:
                results.append(fn(row))
                done.append(index)
            except Exception as exc:
                conn.send(("failed", batch_id, index, describe_error(exc)))
            if len(done) >= FLUSH_ROWS or (done and time.monotonic() - last_flush >= FLUSH_S):
                conn.send(("rows", batch_id, done, pack(pa.RecordBatch.from_pylist(results, schema=schema))))
                done, results, last_flush = [], [], time.monotonic()
        if done:
            conn.send(("rows", batch_id, done, pack(pa.RecordBatch.from_pylist(results, schema=schema))))


@dataclass
class _Slot:
    """One worker process and what it is doing."""

    process: Any
    conn: Connection
    state: Any  # shared [index being worked on, since when (monotonic clock, shared by processes)]
    batch_id: int | None = None
    pending: set[int] = field(default_factory=set)  # indices given, not yet received as results
    fresh: bool = True  # has not sent anything yet: it may still be starting up

    @property
    def current(self) -> int:
        """The index the worker is on."""
        return int(self.state[0])

    @property
    def since(self) -> float:
        """When it started that index."""
        return float(self.state[1])


@dataclass
class _Batch:
    """A batch in flight: its rows and the results gathered so far, as (indices, table) pieces."""

    rows: pa.RecordBatch
    pieces: list[tuple[list[int], pa.Table]] = field(default_factory=list)
    pending: int = 0

    def assemble(self, schema: pa.Schema) -> pa.RecordBatch:
        """The results in input order, as one batch."""
        combined = in_input_order(self.pieces, schema)
        return (
            combined.to_batches()[0] if combined.num_rows else pa.RecordBatch.from_pylist([], schema=schema)
        )


def in_input_order(pieces: Sequence[tuple[Sequence[int], pa.Table]], schema: pa.Schema) -> pa.Table:
    """Tables of rows with their input positions, as one table of `schema` in input order."""
    pieces = sorted((p for p in pieces if len(p[0])), key=lambda piece: piece[0][0])
    if not pieces:
        return schema.empty_table()
    positions = np.fromiter((i for indices, _ in pieces for i in indices), dtype=np.int64)
    table = pa.concat_tables([table.select(schema.names) for _, table in pieces])
    # Sorted by their first positions, pieces that are each a run of positions (the usual case) are in
    # input order: no take, which copies nested rows slowly (milliseconds per hundred).
    if np.all(positions[1:] > positions[:-1]):
        return table.combine_chunks()
    return table.take(pa.array(np.argsort(positions, kind="stable"))).combine_chunks()


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
        self.schema = pa.schema([])
        self.timed_out = 0
        self.restarted = 0

    def _start(self) -> _Slot:
        """Start one worker process."""
        parent, child = self.context.Pipe()
        state = self.context.RawArray("d", 2)
        process = self.context.Process(
            target=_worker, args=(self.fn, self.schema, child, state, dict(os.environ)), daemon=True
        )
        process.start()
        child.close()
        return _Slot(process, parent, state)

    def _replace(self, slot: _Slot) -> _Slot:
        """Kill a worker that overran its time limit and start a fresh one in its place."""
        slot.process.kill()
        slot.process.join()
        slot.conn.close()
        self.restarted += 1
        fresh = self._start()
        self.slots[self.slots.index(slot)] = fresh
        return fresh

    def _assign(
        self, slot: _Slot, batch_id: int, batch: _Batch, indices: list[int], prepare: bool = True
    ) -> None:
        """Give a worker these rows of a batch (to prepare together first, unless that overran before)."""
        slot.batch_id, slot.pending = batch_id, set(indices)
        # A fresh worker's start-up (fork, unpickling the function, imports) is no document's fault: its
        # first document's clock starts when the worker stamps it, or after STARTUP_S at the latest.
        slot.state[0], slot.state[1] = indices[0], time.monotonic() + (STARTUP_S if slot.fresh else 0.0)
        first, count = indices[0], len(indices)
        if indices[-1] - first + 1 == count:  # a task's rows are a contiguous range (sorted, unique)
            rows = batch.rows.slice(first, count)  # zero-copy: a take of 128 parsed rows cost ~6 ms
        else:  # what a timed-out worker left, around the document it hung on
            rows = batch.rows.take(pa.array(indices, type=pa.int64()))
        slot.conn.send((batch_id, indices, pack(rows), prepare))

    def map(self, batches: Iterable[pa.RecordBatch], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
        """The output batches, in input order, one per input batch, with `schema`."""
        self.schema = schema
        self.slots = []  # started as batches with rows wait (see _run): a fully cached run starts none
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
        waiting: deque[tuple[int, list[int]]] = deque()  # tasks (batch id, row indices) not yet given out
        next_id = next_out = 0
        exhausted = False
        while True:
            while not exhausted and len(in_flight) < 2 * self.workers:
                batch = next(batches, None)
                if batch is None:
                    exhausted = True
                    break
                in_flight[next_id] = _Batch(batch, pending=batch.num_rows)
                # An empty batch has no task; it is emitted in its turn.
                for start in range(0, batch.num_rows, TASK_ROWS):
                    waiting.append((next_id, list(range(start, min(start + TASK_ROWS, batch.num_rows)))))
                next_id += 1
            # Workers start as tasks wait for them: a run with one document to redo forks one, not all.
            idle = sum(slot.batch_id is None for slot in self.slots)
            for _ in range(min(len(waiting) - idle, self.workers - len(self.slots))):
                self.slots.append(self._start())
            for slot in self.slots:
                if slot.batch_id is None and waiting:
                    batch_id, indices = waiting.popleft()
                    self._assign(slot, batch_id, in_flight[batch_id], indices)
            while next_out in in_flight and in_flight[next_out].pending == 0:
                yield in_flight.pop(next_out).assemble(schema)
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
        """Take every message the worker has sent."""
        while slot.batch_id is not None and slot.conn.poll():
            kind, batch_id, *payload = slot.conn.recv()
            slot.fresh = False
            batch = in_flight[batch_id]
            if kind == "failed":
                index, reason = payload
                row = batch.rows.slice(index, 1).to_pylist()[0]
                failure = pa.Table.from_pylist(
                    [self.on_failure(row, f"failed: {reason}")], schema=self.schema
                )
                done, table = [index], failure
            else:
                done, packed = payload
                table = pa.Table.from_batches([unpack(packed)])
            batch.pieces.append((done, table))
            batch.pending -= len(done)
            slot.pending.difference_update(done)
            if not slot.pending:
                slot.batch_id = None

    def _time_out(self, slot: _Slot, in_flight: dict[int, _Batch]) -> None:
        """Record the overrunning document as failed, replace the worker, and give the rest of its rows
        (those it finished but had not sent yet included) to the fresh one. A worker that overran while
        preparing its rows together blames no document: the fresh one runs them one at a time."""
        assert slot.batch_id is not None
        batch_id, index = slot.batch_id, slot.current
        if index == PREPARING:
            rest = sorted(slot.pending)
            fresh = self._replace(slot)
            self._assign(fresh, batch_id, in_flight[batch_id], rest, prepare=False)
            return
        batch = in_flight[batch_id]
        row = batch.rows.slice(index, 1).to_pylist()[0]
        reason = f"timed out after {self.timeout_s:g} s"
        batch.pieces.append(
            ([index], pa.Table.from_pylist([self.on_failure(row, reason)], schema=self.schema))
        )
        batch.pending -= 1
        self.timed_out += 1
        rest = sorted(i for i in slot.pending if i != index)
        fresh = self._replace(slot)
        if rest:
            self._assign(fresh, batch_id, batch, rest)


def batches_of(table: pa.Table, size: int) -> Iterator[pa.RecordBatch]:
    """A table as record batches of at most `size` rows."""
    yield from table.to_batches(max_chunksize=size)
