"""curate_step on single rows: the counts it derives from the sections agree with the text."""

from __future__ import annotations

import pytest

from pipeline.cleaning.document import Heading, ParsedDocument
from pipeline.datasets.steps import CurateConfig, curate_step
from pipeline.datasets.tables import parsed_row

BODY = (
    "Intro line with a few words.\n\n"
    "Main Findings\n\n"
    "The council voted on the budget for the next year, and the debate went on until late at night.\n"
    "Tabs\tand\u00a0no-break spaces\u2003and other\u3000spaces separate words too.\n\n"
    "Share on Facebook\n\n"
    "Next Steps\n\n"
    "Work starts in spring; the school and the library are first in line for the money."
)


@pytest.mark.parametrize("headings", [[], [Heading("Main Findings", 2), Heading("Next Steps", 2)]])
def test_word_count_is_the_text_split_on_whitespace(headings: list[Heading]) -> None:
    doc = ParsedDocument("d1", "d1.txt", "0" * 64, len(BODY), "text", None, "utf-8", BODY, headings=headings)
    row = curate_step(CurateConfig(), {**parsed_row(doc), "repeated_hashes": []})
    assert row["skip_reason"] is None and row["n_sections"] >= 2
    assert row["n_words"] == len(row["text"].split())
    assert row["n_words"] == sum(section["n_words"] for section in row["sections"])
    assert "".join(section["text"] for section in row["sections"]) == row["text"]
