"""The instance storage of .dagster/dagster.yaml: Dagster's SQLite storage with kept connections."""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from pipeline.defs import storage as storage_module
from pipeline.defs.storage import KeptConnectionEventLogStorage
from tests.conftest import REPO


@dg.asset
def numbers() -> list[int]:
    """A tiny asset: one materialization per run; it says so on stdout, and natively on stderr's fd."""
    print("numbers: printed")
    os.write(sys.stderr.fileno(), b"numbers: written to the fd\n")
    return [1, 2, 3]


@dg.asset_check(asset=numbers)
def numbers_are_positive() -> dg.AssetCheckResult:
    """A check, whose evaluation is mirrored in the index database too."""
    return dg.AssetCheckResult(passed=True)


JOB = dg.define_asset_job("numbers_job", selection=[numbers])
DEFS = dg.Definitions(assets=[numbers], asset_checks=[numbers_are_positive], jobs=[JOB])


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Dagster home with the project's dagster.yaml."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / ".dagster" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


@pytest.fixture
def instance(home: Path) -> Iterator[dg.DagsterInstance]:
    """The instance of that home, disposed of after the test."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        yield instance


def run_numbers(instance: dg.DagsterInstance, run_id: str | None = None) -> dg.ExecuteInProcessResult:
    """Materialize `numbers` (and its check) into the instance."""
    return DEFS.get_job_def("numbers_job").execute_in_process(instance=instance, run_id=run_id)


def event_log(instance: dg.DagsterInstance) -> KeptConnectionEventLogStorage:
    """The instance's event log storage, which must be ours."""
    storage = instance.event_log_storage
    assert isinstance(storage, KeptConnectionEventLogStorage)
    return storage


def test_the_project_instance_uses_the_storage_in_dagsters_folders(
    home: Path, instance: dg.DagsterInstance
) -> None:
    event_log(instance)
    assert isinstance(instance.run_storage, SqliteRunStorage)
    assert run_numbers(instance).success
    # Dagster's own layout, so an instance's history carries over in either direction.
    assert (home / "history" / "runs.db").is_file()
    assert (home / "history" / "runs" / "index.db").is_file()


def count_connections(engine: Engine, name: str, opened: Counter[str], used: Counter[str]) -> None:
    """Count an engine's new connections and its uses under `name`."""
    event.listen(engine, "connect", lambda dbapi, record: opened.update([name]))
    event.listen(engine, "checkout", lambda dbapi, record, proxy: used.update([name]))


def test_a_run_opens_each_database_once(
    instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = event_log(instance)
    assert run_numbers(instance).success
    opened: Counter[str] = Counter()
    used: Counter[str] = Counter()
    count_connections(storage._kept_engine(), "index", opened, used)

    def counted_engine(url: str, **options: Any) -> Engine:
        """A new engine (the next run's database), counted."""
        engine = create_engine(url, **options)
        count_connections(engine, "run", opened, used)
        return engine

    monkeypatch.setattr(storage_module, "create_engine", counted_engine)
    assert run_numbers(instance).success
    # Every mirrored event, tag and check result went through the index connection the first run opened,
    # and every event of the second run through one connection to its own database (Dagster's own storage
    # opens and closes one for each).
    assert used["index"] > 10 and used["run"] > 10
    assert opened["index"] == 0 and opened["run"] == 1
    records = instance.fetch_materializations(dg.AssetKey("numbers"), limit=10).records
    assert len(records) == 2


def test_a_finished_run_closes_its_database(home: Path, instance: dg.DagsterInstance) -> None:
    storage = event_log(instance)
    run_id = run_numbers(instance).run_id
    assert run_id not in storage._engines
    # Closed, the database has folded its write-ahead log in: no -wal or -shm file is left beside it.
    runs = home / "history" / "runs"
    assert sorted(p.name for p in runs.glob(f"{run_id}.*")) == [f"{run_id}.db"]
    assert len(instance.all_logs(run_id)) > 10


def test_a_reader_keeps_only_the_last_run_databases_it_read_open(instance: dg.DagsterInstance) -> None:
    storage = event_log(instance)
    runs = [run_numbers(instance).run_id for _ in range(storage_module.KEPT_RUN_DATABASES + 1)]
    assert len(instance.all_logs(runs[0])) > 10  # read through a connection that is kept
    closed: list[object] = []
    event.listen(storage._engines[runs[0]], "close", lambda dbapi, record: closed.append(dbapi))
    for run_id in runs[1:]:
        assert len(instance.all_logs(run_id)) > 10
    assert len(closed) == 1
    assert set(storage._engines) == {INDEX_SHARD_NAME, *runs[1:]}


def test_wipe_closes_the_run_databases_before_deleting_them(home: Path, instance: dg.DagsterInstance) -> None:
    storage = event_log(instance)
    run_id = run_numbers(instance).run_id
    assert len(instance.all_logs(run_id)) > 10  # read, as the UI does: its connection is kept
    closed: list[object] = []
    event.listen(storage._engines[run_id], "close", lambda dbapi, record: closed.append(dbapi))
    instance.wipe()
    assert len(closed) == 1
    assert not (home / "history" / "runs" / f"{run_id}.db").exists()
    assert run_numbers(instance).success


def schema_of(database: Path) -> tuple[list[tuple[str, str, str]], list[tuple[str]], str]:
    """A SQLite database's tables and indexes, migration stamp and journal mode."""
    with closing(sqlite3.connect(database)) as conn:
        objects = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").fetchall()
        stamp = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        return objects, stamp, conn.execute("PRAGMA journal_mode").fetchone()[0]


def test_a_new_run_database_is_a_copy_of_one_dagster_made(
    home: Path, instance: dg.DagsterInstance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = event_log(instance)
    assert run_numbers(instance).success  # the first run database of this Dagster version makes the template
    set_up: list[Engine] = []
    real_initdb = SqliteEventLogStorage._initdb
    monkeypatch.setattr(
        SqliteEventLogStorage,
        "_initdb",
        lambda self, engine, **kw: set_up.append(engine) or real_initdb(self, engine, **kw),
    )
    run_id = run_numbers(instance).run_id
    assert set_up == []  # no tables made, no migration stamp checked: a copy
    assert len(instance.all_logs(run_id)) > 10
    dagsters = SqliteEventLogStorage(str(tmp_path / "dagster_made"))
    with dagsters.run_connection("by_dagster"):
        pass
    copied = schema_of(Path(storage.path_for_shard(run_id)))
    assert copied == schema_of(tmp_path / "dagster_made" / "by_dagster.db")
    assert copied[1] and copied[2] == "wal"
    # The template is no run: Dagster lists run databases by their *.db names.
    assert run_id in storage.get_all_run_ids() and len(storage.get_all_run_ids()) == 2


def test_an_existing_run_database_is_never_replaced(instance: dg.DagsterInstance) -> None:
    storage = event_log(instance)
    first = run_numbers(instance).run_id
    events = len(instance.all_logs(first))
    fresh = KeptConnectionEventLogStorage(storage._base_dir)  # another process, which never saw the run
    try:
        with fresh.run_connection(first):
            pass
        assert len(fresh.get_logs_for_run(first)) == events
    finally:
        fresh.dispose()


def test_what_one_instance_writes_another_reads_while_it_is_open(home: Path) -> None:
    with dg.DagsterInstance.from_config(str(home)) as writer:
        result = run_numbers(writer)
        assert result.success
        # The writer still holds its index connection: a second reader (the UI, a sensor) sees the run.
        with dg.DagsterInstance.from_config(str(home)) as reader:
            record = reader.get_latest_materialization_event(dg.AssetKey("numbers"))
            assert record is not None and record.run_id == result.run_id
            check = reader.event_log_storage.get_latest_asset_check_execution_by_key(
                [numbers_are_positive.check_key]
            )
            assert check[numbers_are_positive.check_key].run_id == result.run_id


def test_a_watcher_sees_a_run_written_by_another_instance(home: Path, instance: dg.DagsterInstance) -> None:
    # The UI follows a live run by watching the run's own database file: it must change with each write,
    # which is why the writer checkpoints a run's database after each write.
    run_id = str(uuid.uuid4())
    seen: list[str] = []
    finished = threading.Event()

    def on_event(entry: dg.EventLogEntry, cursor: str) -> None:
        """Note each event's type; stop at the run's end."""
        if entry.dagster_event is not None:
            seen.append(entry.dagster_event.event_type_value)
            if entry.dagster_event.event_type_value == "PIPELINE_SUCCESS":
                finished.set()

    # The run's database exists before the watch starts, as it does when the UI opens a run's page.
    with dg.DagsterInstance.from_config(str(home)) as writer:
        with writer.event_log_storage.run_connection(run_id):
            pass
        instance.event_log_storage.watch(run_id, None, on_event)
        try:
            assert run_numbers(writer, run_id=run_id).success
            assert finished.wait(timeout=30), f"the watcher saw only {seen}"
        finally:
            instance.event_log_storage.end_watch(run_id, on_event)
    assert "ASSET_MATERIALIZATION" in seen and seen[-1] == "PIPELINE_SUCCESS"


def _use_after_fork(storage: KeptConnectionEventLogStorage, inherited: object, answer: mp.Queue) -> None:  # type: ignore[type-arg]
    """In a forked child: read the index, then report whether the engine used is a new one."""
    keys = storage.all_asset_keys()
    answer.put((storage._kept_engine() is not inherited, [key.to_string() for key in keys]))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_makes_its_own_index_connection(instance: dg.DagsterInstance) -> None:
    assert run_numbers(instance).success
    storage = event_log(instance)
    inherited = storage._kept_engine()
    context = mp.get_context("fork")
    answer = context.Queue()
    child = context.Process(target=_use_after_fork, args=(storage, inherited, answer))
    child.start()
    own_engine, keys = answer.get(timeout=60)
    child.join(timeout=60)
    assert child.exitcode == 0
    assert own_engine
    assert keys == ['["numbers"]']
    # The parent's connection was never touched by the child and still works.
    assert storage._kept_engine() is inherited
    assert instance.get_latest_materialization_event(dg.AssetKey("numbers")) is not None


def test_dispose_closes_the_kept_connection(home: Path) -> None:
    instance = dg.DagsterInstance.from_config(str(home))
    storage = event_log(instance)
    assert run_numbers(instance).success
    closed: list[object] = []
    event.listen(storage._kept_engine(), "close", lambda dbapi, record: closed.append(dbapi))
    instance.dispose()
    assert len(closed) == 1


def test_captured_output_reaches_the_log_files_and_the_terminal(
    instance: dg.DagsterInstance, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = instance.compute_log_manager
    assert isinstance(manager, storage_module.MirroringComputeLogManager)

    def no_process(*args: object, **kwargs: object) -> None:
        """Dagster's own manager starts `tail` and watcher processes: this one must not."""
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(subprocess, "Popen", no_process)
    result = run_numbers(instance)
    assert result.success
    captured = [e for e in instance.all_logs(result.run_id) if e.dagster_event_type == "LOGS_CAPTURED"]
    key = [result.run_id, "compute_logs", captured[0].dagster_event.logs_captured_data.file_key]
    # In the files the UI reads, Python's prints and native writes alike, and the capture marked complete.
    assert "numbers: printed" in Path(manager.get_captured_local_path(key, "out")).read_text()
    assert "numbers: written to the fd" in Path(manager.get_captured_local_path(key, "err")).read_text()
    assert manager.is_capture_complete(key)
    # Mirrored to where the streams went before (here pytest's capture), as Dagster's `tail` does.
    terminal = capfd.readouterr()
    assert "numbers: printed" in terminal.out and "numbers: written to the fd" in terminal.err


def test_a_closed_terminal_stops_only_the_mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    failures: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", failures.append)
    log = tmp_path / "captured.out"
    read, write = os.pipe()
    os.close(read)  # nobody reads the terminal any more: copying to it fails
    with os.fdopen(write, "w") as terminal, storage_module.mirrored(terminal, str(log)):
        terminal.write("still captured\n")
    assert log.read_text() == "still captured\n"
    assert failures == []  # the mirror thread stopped quietly
