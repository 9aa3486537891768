"""Run a pure per-document function over batches (local processes; Ray for clusters)."""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

import pyarrow as pa

from pipeline.engine.local import DEFAULT_TIMEOUT_S, DocumentFunction, FailureRow, LocalEngine

ENGINES = ("local", "ray")
# Imported once by the local engine's fork server, so that workers start with the document code loaded
# (and the language model, the Markdown parser and the boilerplate rules ready).
PRELOAD = ("pipeline.datasets.warm",)


class Engine(Protocol):
    """Maps a document function over record batches: one output batch per input batch, in order."""

    def map(self, batches: Iterable[pa.RecordBatch], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
        """The output batches."""
        ...


@dataclass(frozen=True)
class EngineSpec:
    """Which engine runs the per-document steps, and how."""

    kind: str = "local"
    workers: int | None = None  # local: processes (default: every core)
    timeout_s: float = DEFAULT_TIMEOUT_S  # per document
    ray_address: str | None = None  # ray: a cluster's address; None starts a local one

    def __post_init__(self) -> None:
        """Refuse an unknown engine name with the known ones."""
        if self.kind not in ENGINES:
            raise ValueError(f"unknown engine {self.kind!r}; choose one of {', '.join(ENGINES)}")

    def warm_up(self) -> None:
        """Start the local engine's fork server now: it imports the step code beside what the caller does
        next (reading the seeds folder) instead of before the first batch."""
        if self.kind == "local":
            from multiprocessing import forkserver

            mp.get_context("forkserver").set_forkserver_preload(list(PRELOAD))
            forkserver.ensure_running()

    def build(self, fn: DocumentFunction, on_failure: FailureRow) -> Engine:
        """An engine running `fn`, recording a failed document with `on_failure`."""
        if self.kind == "ray":
            from pipeline.engine.ray_engine import RayEngine

            return RayEngine(fn, on_failure, address=self.ray_address, timeout_s=self.timeout_s)
        return LocalEngine(fn, on_failure, workers=self.workers, timeout_s=self.timeout_s, preload=PRELOAD)
