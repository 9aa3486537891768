"""The oracle region of bench/oracle_region.py: its span from the labels, and its use in a real cleaning."""

from __future__ import annotations

from unittest import mock

import numpy as np

from bench import oracle_region as oracle
from bench.boilerplate_data import Page
from bench.oracle_region import oracle_mask
from pipeline.cleaning.boilerplate import guess_language, region, remove

LABELS = np.array([0, 1, 0, 1, 0], dtype=bool)
SHIPPED = np.array([1, 1, 1, 0, 0], dtype=bool)


def test_the_oracle_spans_the_first_to_the_last_content_line() -> None:
    assert oracle_mask(SHIPPED, LABELS, "both").tolist() == [False, True, True, True, False]


def test_one_edge_from_the_labels_and_the_other_from_the_shipped_region() -> None:
    assert oracle_mask(SHIPPED, LABELS, "end").tolist() == [True, True, True, True, False]
    assert oracle_mask(SHIPPED, LABELS, "start").tolist() == [False, True, True, False, False]
    # No shipped region: the labels give both edges.
    assert oracle_mask(np.zeros(5, dtype=bool), LABELS, "end").tolist() == [False, True, True, True, False]


def test_a_page_without_content_has_no_region() -> None:
    assert not oracle_mask(SHIPPED, np.zeros(5, dtype=bool), "both").any()


def test_the_oracle_draws_on_the_labels_of_the_lines_the_stage_sees() -> None:
    article = [
        "The council met on Tuesday evening to discuss the new budget for the coming year.",
        "Several members said that the plan would cut the money for the library and the pool.",
        "The mayor replied that the town had no other way to pay for the repairs to the bridge.",
        "A final vote on the budget is expected at the next meeting of the council in March.",
    ]
    menu = ["Home", "News", "Sport", "Weather", "Contact"]
    teasers = ["Bridge repairs to start in May", "Library hours change next week", "Pool closed for works"]
    lines = [*menu, *article, *teasers]
    labels = [0] * len(menu) + [1] * len(article) + [0] * len(teasers)
    page = Page("t-1", "line-labels", "dev", "en", lines, labels)
    seen: list[list[bool]] = []

    def spy(shipped: np.ndarray, page_labels: np.ndarray, which: str) -> np.ndarray:
        """The oracle, its labels recorded."""
        seen.append(page_labels.tolist())
        return oracle_mask(shipped, page_labels, which)

    originals = (remove.document_evidence, remove._run_pass, region.main_region)
    with mock.patch.object(oracle, "oracle_mask", spy):
        kept = oracle.kept_with([page], "both")[0]
    # The first pass draws its region over the lines no certain rule took, with their own labels.
    open_lines = remove.document_evidence(page.text, language=guess_language(page.text)).open_lines
    assert seen[0] == [bool(labels[i]) for i in open_lines]
    assert all(kept[len(menu) : len(menu) + len(article)])
    assert (remove.document_evidence, remove._run_pass, region.main_region) == originals
