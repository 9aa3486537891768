"""The parse cache's code version covers every module parse_step runs, and no more than that."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from pipeline.cleaning.ingest import DEFAULT_MAX_BYTES
from pipeline.datasets.steps import _PARSE_ROOTS, SeedsConfig, code_files, parse_step
from tests.conftest import REPO, SEEDS, raw_row

DEV_DATA = REPO.parent / "shared" / "dev-data"
PACKAGE = REPO / "pipeline"


def _inputs(folder: Path) -> Iterator[Path]:
    """Files of every kind parse_step meets: the samples, HTML, mojibake, undecodable and empty bytes."""
    yield from sorted(SEEDS.iterdir())
    yield from sorted((DEV_DATA / "html-gold" / "pages").iterdir())[:3]
    for k, line in enumerate((DEV_DATA / "mojibake" / "cases.jsonl").read_text().splitlines()[:20]):
        case = json.loads(line)
        path = folder / f"mojibake-{k}.txt"
        path.write_text(f"Title\n\n{case['original']}\n", encoding="utf-8")
        yield path
    (folder / "binary.bin").write_bytes(bytes(range(256)) * 4)
    (folder / "empty.txt").write_bytes(b"")
    yield folder / "binary.bin"
    yield folder / "empty.txt"


def _traced_files(paths: list[Path]) -> set[Path]:
    """The package's source files whose functions run while parse_step parses each of `paths`."""
    seen: set[str] = set()

    def trace(frame: FrameType, event: str, arg: Any) -> None:
        """Record the file of every Python call (no line tracing: it returns None)."""
        seen.add(frame.f_code.co_filename)

    sys.settrace(trace)  # type: ignore[arg-type]
    try:
        for path in paths:
            parse_step(SeedsConfig(str(path.parent), DEFAULT_MAX_BYTES), raw_row(path))
    finally:
        sys.settrace(None)
    return {Path(name).resolve() for name in seen if Path(name).resolve().is_relative_to(PACKAGE)}


@pytest.mark.skipif(not DEV_DATA.is_dir(), reason="needs ../shared/dev-data")
def test_parse_code_version_covers_what_parse_step_runs(tmp_path: Path) -> None:
    """A module parse_step runs that its code version leaves out would let a stale parsed row be reused."""
    ran = _traced_files(list(_inputs(tmp_path)))
    covered = {path.resolve() for path in code_files(_PARSE_ROOTS)}
    assert PACKAGE / "cleaning" / "formats" / "html.py" in ran  # the trace saw the HTML path
    assert PACKAGE / "cleaning" / "decode.py" in ran
    assert sorted(ran - covered) == []
    # And the boilerplate classifier is not part of it: a new model keeps the parse cache.
    assert PACKAGE / "cleaning" / "boilerplate" / "remove.py" not in covered
