"""The instance's storage: Dagster's SQLite storage with its event log's database connections kept open,
and Dagster's local compute logs mirrored to the terminal by a thread.

Why: Dagster's `SqliteEventLogStorage` builds a new SQLAlchemy engine for every statement batch and
disposes of it after: each time, SQLite opens the file, SQLAlchemy compiles the statement afresh, and
closing the last connection checkpoints the write-ahead log. A run uses the index database about a hundred
times (asset events mirrored there, their tags, check results, asset records read back) and its own
database once per event (about 60). On a 10k corpus that nothing changed in, opening and closing the
index database took about a quarter of the run, the run's own database another fifth.

Here each database keeps one engine with one pooled connection: the index database for the storage's
life, a run's database until the run ends (and the last few a reader such as the UI used). The UI
follows a live run by watching its database file change, and in WAL mode a commit writes only the -wal
file: after each write to a run database the log is checkpointed into the file, as Dagster's closing
the connection did. A new run's database is a copy of an empty one Dagster made (once per Dagster
version), not made afresh. Runs, schedules and the files' layout are Dagster's own, so an instance can
switch to and from this storage and keep its history.

The compute logs (each run's stdout and stderr, shown in the UI) are Dagster's files too; only the
copy to the terminal is made by a thread instead of processes (see MirroringComputeLogManager).

Used by `.dagster/dagster.yaml`:

    storage:
      custom:
        module: pipeline.defs.storage
        class: WebcurateSqliteStorage
        config:
          base_dir:
            env: DAGSTER_HOME
    compute_logs:
      module: pipeline.defs.storage
      class: MirroringComputeLogManager
      config:
        base_dir:
          env: DAGSTER_HOME
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

from dagster._core.events import DagsterEventType
from dagster._core.events.log import EventLogEntry
from dagster._core.execution.compute_logs import redirect_to_file
from dagster._core.storage.compute_log_manager import CapturedLogContext, ComputeIOType
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
from dagster._core.storage.local_compute_log_manager import IO_TYPE_EXTENSION, LocalComputeLogManager
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from dagster._serdes import ConfigurableClassData
from dagster._utils import ensure_file, touch_file
from dagster.version import __version__ as dagster_version
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

# How much captured output the mirror copies per read, and how often it looks for more.
MIRROR_CHUNK = 1 << 16
MIRROR_INTERVAL_S = 0.1
# Run databases whose connections stay open: the run being written, and a few the UI reads.
KEPT_RUN_DATABASES = 4
# The events after which a run writes no more: its database is closed.
RUN_ENDS = {DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE, DagsterEventType.RUN_CANCELED}


class KeptConnectionEventLogStorage(SqliteEventLogStorage):
    """Dagster's run-sharded SQLite event log, with its databases' engines and connections kept: the index
    database's for the storage's life, a run database's until the run ends or KEPT_RUN_DATABASES others
    have been used since."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        """As Dagster's storage; each database's engine is made on its first use."""
        self._engines: OrderedDict[str, Engine] = OrderedDict()  # shard -> engine, least recently used first
        self._engines_pid = os.getpid()  # the process the engines were made in
        super().__init__(base_dir, inst_data)

    def _kept_engine(self, shard: str = INDEX_SHARD_NAME) -> Engine:
        """The engine of a shard's database in this process, made on first use; call under `_db_lock`.

        A forked child makes its own (a pooled SQLite connection must never be used by two processes)
        and leaves the parent's connections open: closing them would drop the parent's file locks."""
        if self._engines_pid != os.getpid():
            for inherited in self._engines.values():
                inherited.dispose(close=False)
            self._engines, self._engines_pid = OrderedDict(), os.getpid()
        engine = self._engines.get(shard)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                # Dagster serialises the connections of one storage with its _db_lock: one is enough.
                pool_size=1,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
            )
            self._engines[shard] = engine
            for name in self._run_shards()[:-KEPT_RUN_DATABASES]:
                self._close(name)
        self._engines.move_to_end(shard)
        return engine

    def _run_shards(self) -> list[str]:
        """The run databases with a kept engine, least recently used first."""
        return [name for name in self._engines if name != INDEX_SHARD_NAME]

    def _close(self, shard: str) -> None:
        """Close a kept database's connection if this process made it; call under `_db_lock`."""
        if self._engines_pid == os.getpid() and shard in self._engines:
            self._engines.pop(shard).dispose()

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        """A connection in a transaction, on the shard's kept engine; a run database is checkpointed after
        a write, so that its file changes as it would when Dagster closes the connection."""
        with self._db_lock:
            engine = self._kept_engine(shard)
            if shard not in self._initialized_dbs:
                if shard == INDEX_SHARD_NAME or not self._made_from_template(shard):
                    self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn:
                sqlite = conn.connection.driver_connection
                assert isinstance(sqlite, sqlite3.Connection)
                changes = sqlite.total_changes
                with conn.begin():
                    yield conn
                if shard != INDEX_SHARD_NAME and sqlite.total_changes != changes:
                    # In WAL mode a commit writes only the -wal file; the UI follows a live run by watching
                    # the database file itself, which a checkpoint writes.
                    sqlite.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def store_event(self, event: EventLogEntry) -> None:
        """Store an event as Dagster does; after a run's last one, close the run's database (the last close
        folds its write-ahead log in and removes the -wal and -shm files, which a kept connection keeps)."""
        super().store_event(event)
        if event.dagster_event_type in RUN_ENDS:
            with self._db_lock:
                self._close(event.run_id)

    def _made_from_template(self, shard: str) -> bool:
        """Create a new run's database as a copy of an empty one made by Dagster; False if it exists.

        Why: Dagster creates each run's database afresh (its tables, indexes and migration stamp, about
        45 ms of every run); the copy is the same file, made once per Dagster version."""
        path = self.path_for_shard(shard)
        if os.path.exists(path):
            return False
        template = os.path.join(self._base_dir, f".run-template-{dagster_version}.sqlite")
        if not os.path.exists(template):
            self._make_template(template)
        temporary = f"{path}.{os.getpid()}.tmp"
        shutil.copyfile(template, temporary)
        try:
            os.link(temporary, path)  # never over a database another process made meanwhile
        except FileExistsError:
            return False
        finally:
            os.unlink(temporary)
        return True

    def _make_template(self, template: str) -> None:
        """An empty run database made by Dagster's own set-up, renamed into place at `template`."""
        temporary = f"{template}.{os.getpid()}.tmp"
        engine = create_engine(f"sqlite:///{temporary}", poolclass=NullPool)
        try:
            self._initdb(engine)
        finally:
            engine.dispose()  # closing the last connection checkpoints: the file holds everything
        os.replace(temporary, template)

    def wipe(self) -> None:
        """Close the kept run databases' connections, then delete the databases, as Dagster does."""
        with self._db_lock:
            for shard in self._run_shards():
                self._close(shard)
        super().wipe()

    def dispose(self) -> None:
        """Stop watching, as Dagster's storage does, and close the kept connections."""
        super().dispose()
        with self._db_lock:
            if self._engines_pid == os.getpid():
                for engine in self._engines.values():
                    engine.dispose()
            self._engines = OrderedDict()


class WebcurateSqliteStorage(DagsterSqliteStorage):
    """Dagster's default SQLite storage (same folders, same run and schedule storage), with the event log
    of `KeptConnectionEventLogStorage`."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        """The three storages under `base_dir`, laid out as Dagster lays them out."""
        # Not DagsterSqliteStorage.__init__: it would open Dagster's own event log storage first.
        base_dir = os.path.abspath(base_dir)
        self.base_dir = base_dir
        self._run_storage = SqliteRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = KeptConnectionEventLogStorage(_event_logs_directory(base_dir))
        self._schedule_storage = SqliteScheduleStorage.from_local(_schedule_directory(base_dir))
        self._inst_data = inst_data
        super(DagsterSqliteStorage, self).__init__()  # type: ignore[no-untyped-call]  # Dagster: untyped

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: Any) -> WebcurateSqliteStorage:
        """The storage of a dagster.yaml `storage: custom:` block."""
        return cls.from_local(inst_data=inst_data, **config_value)


@contextmanager
def mirrored(stream: TextIO, path: str) -> Iterator[None]:
    """What is written to `stream`'s file descriptor (by Python or native code) goes to `path`, and a
    thread copies it on to where the descriptor pointed before, as Dagster's `tail -F` process does."""
    ensure_file(path)
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test runner's capture)
        with redirect_to_file(stream, path):
            yield
        return
    before = os.dup(descriptor)
    done = threading.Event()

    def copy() -> None:
        """Copy the file's new bytes to the old descriptor until told to stop, then what is left."""
        with open(path, "rb") as source, contextlib.suppress(OSError):  # a closed terminal: stop copying
            while True:
                finished = done.is_set()
                while chunk := memoryview(source.read(MIRROR_CHUNK)):
                    while chunk:  # a write to a pipe may take part of the chunk
                        chunk = chunk[os.write(before, chunk) :]
                if finished:
                    return
                done.wait(MIRROR_INTERVAL_S)

    thread = threading.Thread(target=copy, name="compute-log-mirror", daemon=True)
    thread.start()
    try:
        with redirect_to_file(stream, path):
            yield
    finally:
        done.set()
        thread.join()
        os.close(before)


class MirroringComputeLogManager(LocalComputeLogManager):
    """Dagster's local compute log manager (same files, read the same way by the UI), with captured output
    mirrored to the terminal by a thread.

    Why: Dagster's starts a `tail -F` process and a Python watcher process per stream for every run, and
    waits for them to die at its end: 30 to 60 ms of each run (a run over an unchanged 10k corpus takes
    about 0.55 s).
    """

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> MirroringComputeLogManager:
        """The manager of a dagster.yaml `compute_logs:` block. Its `base_dir` is the Dagster home, as in the
        `storage:` block; the logs go to its storage/ folder, where Dagster's default manager keeps them."""
        config = {**config_value, "base_dir": os.path.join(config_value["base_dir"], "storage")}
        return cls(inst_data=inst_data, **config)

    @contextmanager
    def capture_logs(self, log_key: Sequence[str]) -> Iterator[CapturedLogContext]:
        """Capture stdout and stderr into the log files of `log_key`, as Dagster's manager does."""
        out = self.get_captured_local_path(log_key, IO_TYPE_EXTENSION[ComputeIOType.STDOUT])
        err = self.get_captured_local_path(log_key, IO_TYPE_EXTENSION[ComputeIOType.STDERR])
        with mirrored(sys.stdout, out), mirrored(sys.stderr, err):
            yield CapturedLogContext(log_key)
        # The mark of a finished capture, as Dagster leaves it.
        touch_file(self.complete_artifact_path(log_key))  # type: ignore[no-untyped-call]  # Dagster: untyped
