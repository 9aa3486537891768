"""The oracle region of bench/oracle_region.py: its span from the labels, and its use in a real cleaning."""

from __future__ import annotations

import numpy as np

from bench.boilerplate_data import Page
from bench.oracle_region import kept_with, oracle_mask
from pipeline.cleaning.boilerplate import region, remove

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


def test_the_oracle_region_keeps_the_labelled_article_and_is_undone_after() -> None:
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
    originals = (remove.document_evidence, remove._run_pass, region.main_region)
    kept = kept_with([page], "both")[0]
    assert len(kept) == len(lines)
    assert all(kept[len(menu) : len(menu) + len(article)])
    assert (remove.document_evidence, remove._run_pass, region.main_region) == originals
