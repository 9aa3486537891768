"""The steps on single rows: the counts curate_step derives from the sections agree with the text; a file
as the steps receive it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cleaning.document import Heading, ParsedDocument
from pipeline.cleaning.ingest import DEFAULT_MAX_BYTES, make_doc_id
from pipeline.datasets.steps import CurateConfig, SeedsConfig, curate_input, curate_step, parse_step, raw_row
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


def test_a_file_as_the_steps_receive_it(tmp_path: Path) -> None:
    """raw_row lists a file as the ingest stage does; curate_input gives the parsed row the hashes of its
    own lines that the corpus repeats, and nothing of the corpus's other hashes."""
    path = tmp_path / "d1.txt"
    path.write_text(BODY, encoding="utf-8")
    raw = raw_row(path.read_bytes(), "d1.txt")
    assert raw["doc_id"] == make_doc_id("d1.txt") and raw["size_bytes"] == len(BODY.encode())
    parsed = parse_step(SeedsConfig(str(tmp_path), DEFAULT_MAX_BYTES), raw)
    own = parsed["line_hashes"]
    assert own  # the body's long lines are hashed
    row = curate_input(parsed, [own[0], 12345])
    assert row["repeated_hashes"] == [own[0]] and "line_hashes" not in row
    assert curate_input(parsed)["repeated_hashes"] == []
    assert curate_step(CurateConfig(), row)["skip_reason"] is None
