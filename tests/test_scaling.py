"""bench/scaling.py: its shapes are documents a run curates, and its flag marks growth beyond the size."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.scaling import SHAPES, Lines, is_super_linear, measure
from pipeline.cleaning.ingest import DEFAULT_MAX_BYTES
from pipeline.datasets.steps import SeedsConfig, parse_step
from tests.conftest import raw_row

# Lines of the kind the bench draws from the dev data: article sentences, and menu items and link texts.
CONTENT = [
    "The council met on Tuesday evening to discuss the new budget for the coming year & its <costs>.",
    "Several members said that the plan would cut the money for the library and the swimming pool.",
    "A final vote on the budget is expected at the next meeting of the council in the middle of March.",
]
NOISE = ["Home", "News & Sport", "Weather", "Contact us"]


def test_growth_is_flagged_beyond_the_size_factor_on_runs_long_enough_to_tell() -> None:
    assert is_super_linear(15.0, 4, 2.0)  # a quadratic step: about the factor squared
    assert not is_super_linear(4.4, 4, 2.0)  # linear, with noise
    assert not is_super_linear(15.0, 4, 0.2)  # too short to tell


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_every_shape_is_a_document_the_parse_step_reads(name: str, tmp_path: Path) -> None:
    suffix, build = SHAPES[name]
    path = tmp_path / f"{name}{suffix}"
    path.write_text(build(Lines(CONTENT, NOISE), 6), encoding="utf-8")
    parsed = parse_step(SeedsConfig(str(tmp_path), DEFAULT_MAX_BYTES), raw_row(path))
    assert parsed["skip_reason"] is None
    assert parsed["format"] == {".txt": "text", ".md": "markdown", ".html": "html"}[suffix]
    # The HTML shapes escape their text: "&" and "<costs>" come back as text, not markup.
    if suffix == ".html" and name != "html_table":
        assert "<costs>" in parsed["text"] or "News & Sport" in parsed["text"]


def test_measure_times_both_steps_at_both_sizes(tmp_path: Path) -> None:
    result = measure(Lines(CONTENT, NOISE), "html_inline", 100, 3, 1, tmp_path)
    assert result["shape"] == "html_inline"
    small, large = result["mb"]
    assert 2.5 * small < large < 3.5 * small
    assert all(s > 0 for s in result["parse_s"] + result["curate_s"])
    assert result["growth"] > 0 and result["super_linear"] in (True, False)
    # The peer, plain trafilatura, timed on the same HTML files; a text shape has none.
    assert result["trafilatura_s"] is not None and len(result["trafilatura_s"]) == 2
    assert measure(Lines(CONTENT, NOISE), "text_prose", 20, 2, 1, tmp_path)["trafilatura_s"] is None
