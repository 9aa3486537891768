"""The cross-validation's folds hold a site's pages out together (bench/cv_boilerplate.py)."""

from __future__ import annotations

from bench.boilerplate_data import Page
from bench.cv_boilerplate import site_fold, site_groups


def page(page_id: str, *lines: str) -> Page:
    """A labelled page of `lines` (labels do not matter to the folds)."""
    return Page(page_id, "line-labels", "train", "en", list(lines), [1] * len(lines))


def test_pages_sharing_a_long_line_are_one_site_transitively() -> None:
    footer = "Copyright 2012 Example News. All rights reserved."
    menu = "Home | World | Business | Sport | Weather"
    pages = [
        page("a", "First story of the day, told at length.", footer),
        page("b", "Another story entirely.", "  Copyright 2012   Example News. All rights reserved. "),
        page("c", menu, "A third story, from the same site's other section."),
        page("d", menu, footer),  # joins a-b (footer) with c (menu)
        page("e", "Home", "Share", "A page from another site that shares only short lines."),
    ]
    groups = site_groups(pages)
    assert groups == {"a": "a", "b": "a", "c": "a", "d": "a", "e": "e"}
    assert len({site_fold(p, groups, 4) for p in "abcd"}) == 1


def test_short_shared_lines_do_not_join_sites() -> None:
    pages = [page("x", "Read more", "Home"), page("y", "Read more", "Home")]
    assert site_groups(pages) == {"x": "x", "y": "y"}
