"""Dagster's SQLite instance storage, with one kept connection to the event log's index database.

Why: Dagster's `SqliteEventLogStorage` builds a new SQLAlchemy engine for every statement batch and
disposes of it after: each time, SQLite opens the file, SQLAlchemy compiles the statement afresh, and
closing the last connection checkpoints the write-ahead log. A run uses the index database about a hundred
times (asset events mirrored there, their tags, check results, asset records read back), and on a 10k
corpus that nothing changed in, opening and closing them was about a quarter of the run.

Only the index database keeps its connection. Each run's own database is still opened and closed per
write, as Dagster does: the UI follows a live run by watching that file change, and in WAL mode only a
checkpoint (on closing the last connection) changes it. Runs, schedules and the files' layout are
Dagster's own, so an instance can switch to and from this storage and keep its history.

Used by `.dagster/dagster.yaml`:

    storage:
      custom:
        module: pipeline.defs.storage
        class: WebcurateSqliteStorage
        config:
          base_dir:
            env: DAGSTER_HOME
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
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
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine


class KeptIndexEventLogStorage(SqliteEventLogStorage):
    """Dagster's run-sharded SQLite event log; the index database's engine and connection are kept."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        """As Dagster's storage; the index engine is made on first use."""
        self._index_engine: tuple[int, Engine] | None = None  # (the process that made it, the engine)
        super().__init__(base_dir, inst_data)

    def _kept_engine(self) -> Engine:
        """The index database's engine of this process, made on first use under `_db_lock` (a forked
        child makes its own: a pooled SQLite connection must never be shared by two processes)."""
        if self._index_engine is None or self._index_engine[0] != os.getpid():
            engine = create_engine(
                self.conn_string_for_shard(INDEX_SHARD_NAME),
                # Dagster serialises the connections of one storage with its _db_lock: one is enough.
                pool_size=1,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
            )
            self._index_engine = (os.getpid(), engine)
        return self._index_engine[1]

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        """A connection in a transaction: the kept one for the index, a fresh one for a run's database."""
        if shard != INDEX_SHARD_NAME:
            with super()._connect(shard) as conn:
                yield conn
            return
        with self._db_lock:
            engine = self._kept_engine()
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        """Stop watching, as Dagster's storage does, and close the kept connection."""
        super().dispose()
        with self._db_lock:
            if self._index_engine is not None and self._index_engine[0] == os.getpid():
                self._index_engine[1].dispose()
            self._index_engine = None


class WebcurateSqliteStorage(DagsterSqliteStorage):
    """Dagster's default SQLite storage (same folders, same run and schedule storage), with the event log
    of `KeptIndexEventLogStorage`."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        """The three storages under `base_dir`, laid out as Dagster lays them out."""
        # Not DagsterSqliteStorage.__init__: it would open Dagster's own event log storage first.
        base_dir = os.path.abspath(base_dir)
        self.base_dir = base_dir
        self._run_storage = SqliteRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = KeptIndexEventLogStorage(_event_logs_directory(base_dir))
        self._schedule_storage = SqliteScheduleStorage.from_local(_schedule_directory(base_dir))
        self._inst_data = inst_data
        super(DagsterSqliteStorage, self).__init__()  # type: ignore[no-untyped-call]  # Dagster: untyped

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: Any) -> WebcurateSqliteStorage:
        """The storage of a dagster.yaml `storage: custom:` block."""
        return cls.from_local(inst_data=inst_data, **config_value)
