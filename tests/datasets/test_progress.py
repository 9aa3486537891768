"""Progress of the stages: log lines for Dagster's event log, listeners, and the terminal's bars."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from pipeline.datasets import progress as progress_module
from pipeline.datasets import stages
from pipeline.datasets.progress import Progress, duration, listening
from pipeline.progress_bars import ProgressBars
from tests.conftest import SEEDS


class Recorder:
    """A progress listener that writes down what it is told."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def started(self, stage: str, total: int | None, unit: str) -> None:
        self.calls.append(("started", stage, str(total), unit))

    def advanced(self, stage: str, done: int, reused: int) -> None:
        self.calls.append(("advanced", stage, str(done), str(reused)))

    def finished(self, stage: str, done: int, seconds: float) -> None:
        self.calls.append(("finished", stage, str(done)))


def test_log_lines_say_done_rate_time_left_and_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress_module, "PROGRESS_EVERY_S", 0.0)
    lines: list[str] = []
    progress = Progress("parse", 1_000, lines.append)
    progress.advance(250, reused=100)
    progress.advance(250, reused=100)
    progress.finish(": 400 computed, 100 reused")
    pattern = r"parse: (250|500)/1,000 documents \((25|50)%\), [\d,]+ docs/s, [\d a-z]+ left \(100 reused\)"
    assert all(re.fullmatch(pattern, line) for line in lines[:2]), lines
    last = r"parse: 500 documents in \d+\.\d s(, [\d,]+ docs/s)?: 400 computed, 100 reused"
    assert re.fullmatch(last, lines[2]), lines[2]


def test_lines_are_logged_only_every_few_seconds() -> None:
    lines: list[str] = []
    progress = Progress("curate", 10, lines.append)
    for _ in range(10):
        progress.advance(1)
    assert lines == []  # under PROGRESS_EVERY_S: the last line only
    progress.finish()
    assert len(lines) == 1 and lines[0].startswith("curate: 10 documents in ")


@pytest.mark.parametrize(("seconds", "text"), [(4.4, "4 s"), (200, "3 min 20 s"), (7_500, "2 h 05 min")])
def test_duration(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_listeners_hear_a_real_stage_while_listening_only(tmp_path: Path) -> None:
    """The inventory of the seeds folder: an unknown total up front, five files at the end."""
    recorder = Recorder()
    with listening(recorder):
        stages.ingest.ingest(SEEDS, tmp_path / "raw.parquet", max_bytes=1 << 20)
    assert recorder.calls == [
        ("started", "ingest", "None", "files"),
        ("advanced", "ingest", "5", "0"),
        ("finished", "ingest", "5"),
    ]
    stages.ingest.ingest(SEEDS, tmp_path / "raw.parquet", max_bytes=1 << 20)
    assert len(recorder.calls) == 3


def test_bars_render_one_line_per_stage_with_count_rate_and_time(tmp_path: Path) -> None:
    """The bars as a terminal gets them: a stage of the pipeline (ingest) and a long one being worked on."""
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=140, color_system=None)
    bars = ProgressBars(console)
    bars.start()
    with listening(bars):
        stages.ingest.ingest(SEEDS, tmp_path / "raw.parquet", max_bytes=1 << 20)
        parse = Progress("parse", 4_000)
        parse.advance(1_000, reused=600)
        bars.display.refresh()
        text = out.getvalue()
        parse.advance(3_000, reused=600)
        parse.finish(log=False)
    bars.stop()
    assert re.search(r"parse +━+.* 1000/4000 documents .*docs/s .*600 reused", text), text[-500:]
    frame = "ingest" + out.getvalue().rsplit("ingest", 1)[-1]  # the last frame drawn
    assert re.search(r"ingest +━+ 5/5 +files +[\d,]+ files/s", frame), frame
    assert re.search(r"parse +━+ 4000/4000 documents +[\d,]+ docs/s", frame), frame
