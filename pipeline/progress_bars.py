"""Progress bars for `webcurate run` on a terminal: one per stage (items done, docs/s, time left), drawn by
rich from the stages' progress (pipeline/datasets/progress.py). Off a terminal the stages' log lines
(Dagster's console output) are the progress instead.

The bars are drawn on a duplicate of the terminal's descriptor taken before the run starts: during the
run Dagster captures the process's stdout and stderr into its compute logs (copied on to the terminal by
a thread), and neither the logs nor the UI should get the bars' escape codes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from pipeline.datasets.progress import listening


class RateColumn(ProgressColumn):
    """Items per second of a task, in its unit (`docs/s`)."""

    def render(self, task: Task) -> Text:
        """The task's rate: over the last seconds while it runs, over its whole time once done."""
        speed = task.fields.get("final_rate") if task.finished else task.speed
        unit = task.fields.get("rate_unit", "docs")
        if speed is None:
            return Text(f"– {unit}/s", style="progress.data.speed")
        return Text(f"{speed:,.0f} {unit}/s", style="progress.data.speed")


class ProgressBars:
    """A progress listener drawing one bar per stage on a rich console."""

    def __init__(self, console: Console) -> None:
        """Bars on `console` (started by `start`)."""
        self.display = Progress(
            TextColumn("[bold]{task.description:<14}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[unit]}"),
            RateColumn(),
            TimeRemainingColumn(elapsed_when_finished=True),
            TextColumn("{task.fields[note]}", style="dim"),
            console=console,
            redirect_stdout=False,  # Dagster redirects the descriptors itself during the run
            redirect_stderr=False,
            refresh_per_second=5,
        )
        self.tasks: dict[str, TaskID] = {}

    def started(self, stage: str, total: int | None, unit: str) -> None:
        """A new bar for the stage (the same one again if it runs twice)."""
        rate_unit = "docs" if unit == "documents" else unit
        if stage in self.tasks:
            task = self.tasks[stage]
            self.display.reset(
                task, total=total, completed=0, unit=unit, rate_unit=rate_unit, note="", final_rate=None
            )
        else:
            task = self.display.add_task(stage, total=total, unit=unit, rate_unit=rate_unit, note="")
            self.tasks[stage] = task

    def advanced(self, stage: str, done: int, reused: int) -> None:
        """Move the stage's bar to `done`."""
        if stage in self.tasks:
            note = f"{reused:,} reused" if reused else ""
            self.display.update(self.tasks[stage], completed=done, note=note)

    def finished(self, stage: str, done: int, seconds: float) -> None:
        """Fill the stage's bar: its total is what was done."""
        if stage in self.tasks:
            rate = done / seconds if seconds > 0 else None
            self.display.update(self.tasks[stage], total=done, completed=done, final_rate=rate)

    def start(self) -> None:
        """Begin drawing."""
        self.display.start()

    def stop(self) -> None:
        """Draw the bars a last time and stop."""
        self.display.refresh()
        self.display.stop()


def terminal_wanted(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """True when `stream` is a terminal that can draw bars (not TERM=dumb)."""
    try:
        return stream.isatty() and environ.get("TERM", "") != "dumb"
    except (AttributeError, ValueError):  # a closed or fake stream
        return False


@contextmanager
def progress_bars(stream: TextIO | None = None, *, force: bool = False) -> Iterator[ProgressBars]:
    """Draw the stages' progress as bars on `stream` (default: stderr) while the block runs; `force` draws
    them even when it is not a terminal (as escape codes)."""
    stream = stream or sys.stderr
    terminal = os.fdopen(os.dup(stream.fileno()), "w", encoding="utf-8", errors="replace", closefd=True)
    try:
        console = Console(file=terminal, force_terminal=True if force else None)
        bars = ProgressBars(console)
        bars.start()
        try:
            with listening(bars):
                yield bars
        finally:
            bars.stop()
    finally:
        terminal.close()
