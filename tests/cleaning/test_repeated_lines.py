"""The corpus signal: CCNet-style normalisation, per-document counting, selection, and removal."""

from __future__ import annotations

from collections import Counter

import pytest

from pipeline.cleaning.boilerplate import count_lines, normalise_line, remove_boilerplate, select_repeated
from pipeline.cleaning.boilerplate.repeated import DEFAULT_MIN_DOCS, MIN_LINE_CHARS
from tests.conftest import SEEDS

FOOTER = "Subscribe to the Harbour Gazette for just 2.99 a month!"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("  Hello   World  ", "hello world"),
        ("Price: 12.99 EUR", "price 00 00 eur"),
        ("Call 555-0199 today!", "call 000 0000 today"),
        ("Größe   und Café", "große und cafe"),  # accents go, letters like ß stay
        ("TAB\tSEPARATED\u00a0TEXT", "tab separated text"),
        ("© 2024 — All rights reserved.", "0000 all rights reserved"),
        ("", ""),
    ],
)
def test_normalise_line(line: str, expected: str) -> None:
    """Lowercase, digits folded to 0, accents and punctuation dropped, whitespace collapsed (as CCNet)."""
    assert normalise_line(line) == expected


def test_lines_differing_only_in_digits_and_case_are_one_line() -> None:
    """A footer with a changing date is the same normalised line on every page."""
    assert normalise_line("© 2023 ACME Media, all rights reserved") == normalise_line(
        "(C) 2024 acme media - All Rights Reserved"
    ).replace("c 0000", "0000")
    assert normalise_line("Page 3 of 17") == normalise_line("page 4 of 12")


def test_count_lines_counts_each_line_once_per_document() -> None:
    """A line repeated inside one document counts once for that document."""
    docs = [
        f"{FOOTER}\n{FOOTER}\nA first article about the harbour and its ferries.",
        f"A second article about the islands and the weather.\n{FOOTER}",
        "A third article without the footer at all, about the old lighthouse.",
    ]
    counts = count_lines(docs)
    assert counts[normalise_line(FOOTER)] == 2
    assert counts[normalise_line("A first article about the harbour and its ferries.")] == 1


def test_short_and_empty_lines_are_never_candidates() -> None:
    """'Home', a date or an empty line repeat everywhere naturally: they are not counted."""
    docs = ["Home\n\n12.03.2024\nShare\n" + "x" * 30] * 50
    counts = count_lines(docs)
    assert set(counts) == {"x" * 30}
    assert all(len(line) >= MIN_LINE_CHARS for line in counts)
    assert select_repeated(Counter({"home": 500, "": 500}), 1000) == frozenset()


def test_small_corpus_selects_nothing_from_article_lines() -> None:
    """Five documents of the repository's seeds, even with a shared line: nothing is selected."""
    texts = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    assert len(texts) == 5
    shared = [f"{text}\n{FOOTER}" for text in texts]  # a line in all five documents
    assert select_repeated(count_lines(texts), len(texts)) == frozenset()
    assert select_repeated(count_lines(shared), len(shared)) == frozenset()


def test_line_in_a_third_of_a_large_corpus_is_selected() -> None:
    """A line in 30% of 1000 documents is selected; a line in 0.5% (5 documents) is not."""
    rare = "A sentence that five articles happen to quote from the same report."
    docs = []
    for i in range(1000):
        body = f"Article number {i} talks about topic {i % 37} in some detail for the readers."
        lines = [body]
        if i % 10 < 3:
            lines.append(FOOTER)
        if i < 5:
            lines.append(rare)
        docs.append("\n".join(lines))
    selected = select_repeated(count_lines(docs), len(docs))
    assert normalise_line(FOOTER) in selected
    assert normalise_line(rare) not in selected
    # The article lines differ only in digits: they fold into one normalised line, which is in every
    # document, so the digit folding makes them a template line, as CCNet intends.
    assert normalise_line(docs[0].split("\n")[0]) in selected


def test_thresholds_are_configurable() -> None:
    """min_docs and min_share both have to be met."""
    counts = Counter({"a line that appears in twelve documents": 12})
    assert select_repeated(counts, 100) == frozenset(counts)  # 12 >= 10 docs and 12% >= 1%
    assert select_repeated(counts, 100, min_docs=20) == frozenset()
    assert select_repeated(counts, 100, min_share=0.2) == frozenset()
    assert select_repeated(counts, 0) == frozenset()
    assert DEFAULT_MIN_DOCS > 5  # a 5-document corpus can never select anything


def test_repeated_lines_are_removed_with_the_corpus_rule() -> None:
    """Lines whose normalised form was selected are removed as repeated_line / corpus; others stay."""
    article = (
        "The harbour authority opened the new ferry terminal on Friday, two years after the old one was "
        "damaged by a storm."
    )
    footer = "Subscribe to the Harbour Gazette for just 3.49 a month!"  # FOOTER with another price
    text = f"{article}\n\n{footer}\n\nMore on the ferries soon."
    repeated = frozenset({normalise_line(FOOTER)})
    assert remove_boilerplate(text, language="en").removed == []  # the lines are now in the seen-lines cache
    result = remove_boilerplate(text, language="en", repeated_lines=repeated)
    assert [(s.rule, s.rule_group) for s in result.removed] == [("repeated_line", "corpus")]
    assert result.text == f"{article}\n\nMore on the ferries soon."
    assert remove_boilerplate(text, language="en").text == text  # without the corpus signal it stays again
