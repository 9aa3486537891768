"""The published release of the five samples against the gold: text, removals, sections, languages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipeline.datasets import load_table
from tests.conftest import load_gold, normalise_ws
from tests.defs.test_materialize import materialize

GOLD = load_gold()


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    tmp = tmp_path_factory.mktemp("release")
    assert materialize(tmp).success
    root = tmp / "output" / "curated"
    return {name: load_table(name, root=root) for name in ("documents", "sections", "removed")}


def document(release: dict[str, pd.DataFrame], entry: dict[str, Any]) -> pd.Series:
    docs = release["documents"]
    (row,) = docs[docs.source_path == entry["file"]].itertuples(index=False)
    return pd.Series(row._asdict())


@pytest.mark.parametrize("entry", GOLD, ids=lambda e: e["file"][:3])
def test_text_keeps_the_article_and_loses_the_chrome(
    release: dict[str, pd.DataFrame], entry: dict[str, Any]
) -> None:
    text = normalise_ws(document(release, entry).text)
    assert [s for s in entry["must_keep"] if normalise_ws(s) not in text] == []
    assert [s for s in entry["must_drop"] + entry.get("should_drop", []) if normalise_ws(s) in text] == []


@pytest.mark.parametrize("entry", GOLD, ids=lambda e: e["file"][:3])
def test_every_removal_is_recorded_with_its_rule(
    release: dict[str, pd.DataFrame], entry: dict[str, Any]
) -> None:
    doc = document(release, entry)
    removed = release["removed"][release["removed"].doc_id == doc.doc_id]
    assert len(removed) == doc.n_removed
    assert (removed.rule.str.len() > 0).all() and (removed.rule_group.str.len() > 0).all()
    assert int((removed.char_end - removed.char_start).sum()) == doc.removed_chars
    assert (removed.text.str.len() == removed.char_end - removed.char_start).all()


@pytest.mark.parametrize("entry", GOLD, ids=lambda e: e["file"][:3])
def test_sections_carry_the_gold_headings_in_order(
    release: dict[str, pd.DataFrame], entry: dict[str, Any]
) -> None:
    doc = document(release, entry)
    sections = release["sections"][release["sections"].doc_id == doc.doc_id].sort_values("section_index")
    headings = list(sections.heading.dropna())
    positions = [headings.index(h) for h in entry["headings"]]
    assert positions == sorted(positions)
    for heading in entry.get("should_headings", []):
        assert heading in headings
    levels = dict(zip(sections.heading, sections.level, strict=True))
    for heading, level in entry.get("heading_levels", {}).items():
        assert levels[heading] == level
    for section in sections.itertuples():
        assert doc.text[section.char_start : section.char_end] == section.text
    assert sections.char_start.iloc[0] == 0 and sections.char_end.iloc[-1] == len(doc.text)
    assert (sections.char_start.iloc[1:].to_numpy() == sections.char_end.iloc[:-1].to_numpy()).all()


@pytest.mark.parametrize("entry", GOLD, ids=lambda e: e["file"][:3])
def test_languages_of_documents_and_sections(release: dict[str, pd.DataFrame], entry: dict[str, Any]) -> None:
    doc = document(release, entry)
    assert doc.language == entry["language"]
    assert doc.needs_translation == (entry["language"] != "en")
    sections = release["sections"][release["sections"].doc_id == doc.doc_id]
    # Every section carries the document's language: a heading-only one ("Strategic Approach to Machine
    # Learning"), too short to tell on its own, inherits it and says so.
    assert set(sections.language) == {entry["language"]}
    assert not sections.language_inherited.isna().any()
    assert not sections[sections.n_chars > 200].language_inherited.any()
    inherited = sections[sections.language_inherited]
    assert (inherited.language_score == doc.language_score).all()
    if entry["file"].startswith(("002_", "003_")):
        assert len(inherited) >= 1
    assert pd.isna(doc.translated_text)


def test_sample_002_sections_start_at_their_video_time(release: dict[str, pd.DataFrame]) -> None:
    doc = document(release, GOLD[2])
    sections = release["sections"][release["sections"].doc_id == doc.doc_id]
    times = dict(zip(sections.heading.fillna(""), sections.start_time, strict=True))
    assert times[""] == 6 and times["Amazon's ML Offerings"] == 20
    assert times["Data Gravity as a Key Advantage"] == 59


def test_author_from_the_bio_block_of_sample_000(release: dict[str, pd.DataFrame]) -> None:
    doc = document(release, GOLD[0])
    assert (doc.author, doc.author_source) == ("Sejuti Das", "bio_block")
    others = release["documents"][release["documents"].source_path != GOLD[0]["file"]]
    assert others.author.isna().all()


def test_the_dataset_card_lists_tables_and_counts(tmp_path: Path) -> None:
    assert materialize(tmp_path).success
    card = (tmp_path / "output" / "curated" / "v0001" / "README.md").read_text()
    for needle in (
        "| documents | 5 |",
        "### sections",
        "### removed",
        "## Removed spans per rule",
        "| de | 1 |",
    ):
        assert needle in card
