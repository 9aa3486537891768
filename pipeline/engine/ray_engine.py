"""The Ray engine: the same document function over the same batches, as Ray tasks on a local or remote
cluster.

Ray is optional (`pip install '.[ray]'`). Time limits: inside a task each document gets an alarm, which
stops a hang in Python code; a hang in C code (a regex backtracking) outlives the alarm, so a batch
that overruns its whole budget is cancelled (Ray replaces the killed worker) and its documents are
re-run one task each, so only the hanging one is recorded as timed out. Output equals the local engine's.
"""

from __future__ import annotations

import signal
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa

from pipeline.engine.local import (
    DEFAULT_TIMEOUT_S,
    DocumentFunction,
    FailureRow,
    Row,
    describe_error,
    prepare_rows,
)


class _Alarm(Exception):
    """Raised in a task when a document overruns its time limit."""


def _on_alarm(signum: int, frame: Any) -> None:
    """Turn SIGALRM into an exception in the task's code."""
    raise _Alarm


def process_rows(fn: DocumentFunction, rows: list[Row], timeout_s: float) -> list[tuple[str, Any]]:
    """Run fn over rows: ("ok", result), ("failed", reason) or ("timeout", None) per row."""
    out: list[tuple[str, Any]] = []
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        if len(rows) > 1:
            # The rows together first (as the local engine's workers do); past the time limit, alone.
            signal.setitimer(signal.ITIMER_REAL, timeout_s)
            try:
                prepare_rows(fn, rows)
            except _Alarm:
                pass
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        for row in rows:
            signal.setitimer(signal.ITIMER_REAL, timeout_s)
            try:
                out.append(("ok", fn(row)))
            except _Alarm:
                out.append(("timeout", None))
            except Exception as exc:
                out.append(("failed", describe_error(exc)))
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)
    return out


class RayEngine:
    """Runs a document function over record batches as Ray tasks, with the local engine's semantics."""

    def __init__(
        self,
        fn: DocumentFunction,
        on_failure: FailureRow,
        *,
        address: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_in_flight: int = 8,
        num_cpus: int | None = None,
    ) -> None:
        try:
            import ray
        except ImportError as exc:
            raise RuntimeError("the ray engine needs Ray: pip install '.[ray]'") from exc
        self.ray = ray
        self.fn = fn
        self.on_failure = on_failure
        self.address = address
        self.timeout_s = timeout_s
        self.max_in_flight = max_in_flight
        self.num_cpus = num_cpus
        self.timed_out = 0

    def _connect(self) -> None:
        """Join the cluster at `address`, or start a local one (no dashboard, quiet workers)."""
        if self.ray.is_initialized():
            return
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if self.address:
            self.ray.init(address=self.address, **options)
        else:
            self.ray.init(num_cpus=self.num_cpus, **options)

    def map(self, batches: Iterable[pa.RecordBatch], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
        """The output batches, in input order, one per input batch, with `schema`."""
        self._connect()
        task = self.ray.remote(process_rows).options(max_retries=0)
        fn_ref = self.ray.put(self.fn)
        window: deque[tuple[list[Row], Any]] = deque()
        for batch in batches:
            rows = batch.to_pylist()
            # An empty batch (every row cached) needs no task.
            window.append((rows, task.remote(fn_ref, rows, self.timeout_s) if rows else None))
            if len(window) >= self.max_in_flight:
                yield self._collect(*window.popleft(), task, fn_ref, schema)
        while window:
            yield self._collect(*window.popleft(), task, fn_ref, schema)

    def _collect(
        self, rows: list[Row], ref: Any, task: Any, fn_ref: Any, schema: pa.Schema
    ) -> pa.RecordBatch:
        """Wait for one batch; on an overrun, cancel it and isolate the hanging document."""
        if ref is None:
            return pa.RecordBatch.from_pylist([], schema=schema)
        budget = self.timeout_s * max(1, len(rows)) + 5
        ready, _ = self.ray.wait([ref], timeout=budget)
        if ready:
            outcomes = self.ray.get(ref)
        else:
            self.ray.cancel(ref, force=True)
            outcomes = []
            for row in rows:
                single = task.remote(fn_ref, [row], self.timeout_s)
                done, _ = self.ray.wait([single], timeout=self.timeout_s + 5)
                if done:
                    outcomes.extend(self.ray.get(single))
                else:
                    self.ray.cancel(single, force=True)
                    outcomes.append(("timeout", None))
        results = []
        for row, (status, value) in zip(rows, outcomes, strict=True):
            if status == "ok":
                results.append(value)
            elif status == "failed":
                results.append(self.on_failure(row, f"failed: {value}"))
            else:
                self.timed_out += 1
                results.append(self.on_failure(row, f"timed out after {self.timeout_s:g} s"))
        return pa.RecordBatch.from_pylist(results, schema=schema)
