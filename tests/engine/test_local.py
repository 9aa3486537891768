"""The local engine: order, failures, hangs and worker replacement, with real processes."""

from __future__ import annotations

import os
import re
import time
from typing import Any

import pyarrow as pa

from pipeline.engine import Engine
from pipeline.engine.local import TASK_ROWS, LocalEngine, batches_of

SCHEMA = pa.schema([("x", pa.int64()), ("y", pa.int64()), ("error", pa.string())])


def work(row: dict[str, Any]) -> dict[str, Any]:
    """Doubles x; 3 raises; 5 hangs in C code (catastrophic regex backtracking no signal can interrupt)."""
    if row["x"] == 3:
        raise ValueError("three is not welcome")
    if row["x"] == 5:
        re.match(r"(a+)+$", "a" * 64 + "b")
    return {"x": row["x"], "y": row["x"] * 2, "error": None}


def failed(row: dict[str, Any], reason: str) -> dict[str, Any]:
    return {"x": row["x"], "y": None, "error": reason}


def table(n: int) -> pa.Table:
    return pa.table({"x": list(range(n))})


def run(engine: Engine, n: int, batch: int) -> list[dict[str, Any]]:
    out = list(engine.map(batches_of(table(n), batch), SCHEMA))
    assert all(b.schema == SCHEMA for b in out)
    rows: list[dict[str, Any]] = pa.Table.from_batches(out, schema=SCHEMA).to_pylist()
    return rows


def test_results_come_back_in_order_with_failures_recorded_and_hangs_cut_off() -> None:
    engine = LocalEngine(work, failed, workers=2, timeout_s=2.0)
    started = time.monotonic()
    rows = run(engine, 40, 7)
    assert [r["x"] for r in rows] == list(range(40))
    assert [r["y"] for r in rows if r["x"] not in (3, 5)] == [2 * x for x in range(40) if x not in (3, 5)]
    assert rows[3]["error"].startswith("failed: ValueError: three is not welcome")
    assert rows[5]["error"] == "timed out after 2 s"
    assert (engine.timed_out, engine.restarted) == (1, 1)
    assert time.monotonic() - started < 30  # the hang cost one time limit, not the run


def test_one_worker_and_two_workers_give_the_same_table() -> None:
    one = run(LocalEngine(work, failed, workers=1, timeout_s=2.0), 23, 4)
    two = run(LocalEngine(work, failed, workers=2, timeout_s=2.0), 23, 4)
    assert one == two


def test_empty_input_and_empty_batches() -> None:
    engine = LocalEngine(work, failed, workers=2)
    assert list(engine.map(iter([]), SCHEMA)) == []
    empty = pa.RecordBatch.from_pylist([], schema=pa.schema([("x", pa.int64())]))
    (out,) = engine.map(iter([empty]), SCHEMA)
    assert out.num_rows == 0


def test_workers_start_as_batches_wait_so_one_document_forks_one_worker() -> None:
    engine = LocalEngine(work, failed, workers=2, timeout_s=10.0)
    assert [r["y"] for r in run(engine, 1, 4)] == [0]
    assert len(engine.slots) == 1
    assert [r["y"] for r in run(engine, 3, 1)] == [0, 2, 4]  # three batches: both workers
    assert len(engine.slots) == 2


def which_worker(row: dict[str, Any]) -> dict[str, Any]:
    """The row with the id of the process that ran it."""
    return {"x": row["x"], "y": os.getpid(), "error": None}


def test_one_batch_is_shared_by_the_workers_and_comes_back_in_order() -> None:
    # Why: a worker per batch left the other cores idle at the end of every stage for up to a batch.
    rows = run(LocalEngine(which_worker, failed, workers=2), 3 * TASK_ROWS, 3 * TASK_ROWS)
    assert [r["x"] for r in rows] == list(range(3 * TASK_ROWS))
    assert len({r["y"] for r in rows}) == 2
    assert os.getpid() not in {r["y"] for r in rows}


class Prepared:
    """A document function that works on a task's rows together first (as CurateStep does): `prepare`
    computes every row's result; a row of x == 5 makes it hang in C code, as a catastrophic user regex
    would, so no document's own time limit may be charged for it."""

    def __init__(self) -> None:
        self.ready: dict[int, int] = {}

    def prepare(self, rows: list[dict[str, Any]]) -> None:
        if any(row["x"] == 5 for row in rows):
            re.match(r"(a+)+$", "a" * 64 + "b")
        self.ready = {row["x"]: row["x"] * 2 + 1000 for row in rows}  # marked: made by prepare

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        if row["x"] == 5:
            return {"x": 5, "y": 10, "error": None}  # alone, the hanging document is fine
        return {"x": row["x"], "y": self.ready.pop(row["x"], row["x"] * 2), "error": None}


def test_rows_are_prepared_together_and_a_hang_there_blames_no_document() -> None:
    engine = LocalEngine(Prepared(), failed, workers=2, timeout_s=2.0)
    rows = run(engine, 20, 10)
    assert [r["x"] for r in rows] == list(range(20))
    assert all(r["error"] is None for r in rows)
    # The task without x == 5 used its prepared results; the one holding it was redone row by row.
    assert [r["y"] for r in rows[10:]] == [2 * x + 1000 for x in range(10, 20)]
    assert [r["y"] for r in rows[:10]] == [2 * x for x in range(10)]
    assert (engine.timed_out, engine.restarted) == (0, 1)


def environment_value(row: dict[str, Any]) -> dict[str, Any]:
    """The worker's value of WEBCURATE_TEST_VALUE, as y."""
    return {"x": row["x"], "y": int(os.environ.get("WEBCURATE_TEST_VALUE", "-1")), "error": None}


def test_workers_see_the_environment_of_when_the_engine_starts_them(monkeypatch: Any) -> None:
    """A fork server started by an earlier run holds the environment of then; a variable set since (the
    credentials of an object store) still reaches the workers."""
    run(LocalEngine(environment_value, failed, workers=1), 2, 2)  # the fork server is up from here on
    monkeypatch.setenv("WEBCURATE_TEST_VALUE", "7")
    assert [r["y"] for r in run(LocalEngine(environment_value, failed, workers=1), 2, 2)] == [7, 7]
