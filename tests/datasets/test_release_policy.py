"""The release's policy: duplicates and documents outside a quality threshold leave `documents` and become
`removed` rows with their rule; kept documents keep their sections, spans and redactions."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from pipeline.cleaning.quality import SIGNAL_NAMES, QualityThresholds
from pipeline.datasets.dedup import DECISIONS_SCHEMA
from pipeline.datasets.release import RELEASE_TABLES, ReleasePolicy, release_chunk
from pipeline.datasets.schema import TableSchema, load_schema, validate
from tests.conftest import REPO

SPAN = {
    "rule": "newsletter_signup",
    "rule_group": "newsletter",
    "text": "Sign up!",
    "char_start": 0,
    "char_end": 8,
    "line_start": 1,
    "line_end": 1,
    "score": 0.25,  # a float, so that the inferred struct has the column typed as the stage's
}


@pytest.fixture(scope="module")
def schemas() -> dict[str, TableSchema]:
    """The repository's release schemas."""
    return {name: load_schema(REPO / "schemas", name) for name in RELEASE_TABLES}


def curated(rows: list[dict[str, Any]]) -> pa.Table:
    """A few curated rows with the columns the release reads."""
    full = [
        {
            "doc_id": row["doc_id"],
            "skip_reason": None,
            "text": row["text"],
            "n_chars": len(row["text"]),
            **dict.fromkeys(SIGNAL_NAMES),
            "word_count": len(row["text"].split()),
            "removed": [SPAN],
            "sections": [{"section_index": 0, "text": row["text"]}],
            "redactions": [{"type": "email", "char_start": 0, "char_end": 7}],
        }
        for row in rows
    ]
    return pa.Table.from_pylist(full)


def decisions(rows: list[tuple[str, str, str]]) -> pa.Table:
    """Dedup decisions: (doc_id, duplicate_of, rule)."""
    return pa.Table.from_pylist(
        [
            {"doc_id": d, "duplicate_of": k, "rule": r, "similarity": 1.0, "canonical_in_input": True}
            for d, k, r in rows
        ],
        schema=DECISIONS_SCHEMA,
    )


DOCS = curated(
    [
        {"doc_id": "a" * 16, "text": "first document\nwith two lines"},
        {"doc_id": "b" * 16, "text": "first document\nwith two lines"},
        {"doc_id": "c" * 16, "text": "short"},
    ]
)


def test_duplicates_leave_documents_and_become_removed_rows(schemas: dict[str, TableSchema]) -> None:
    """A duplicate goes with its sections and spans; its removed row names the kept document and rule."""
    policy = ReleasePolicy(decisions([("b" * 16, "a" * 16, "exact_duplicate")]))
    chunk = release_chunk(DOCS, schemas, policy)
    assert chunk["documents"].column("doc_id").to_pylist() == ["a" * 16, "c" * 16]
    assert chunk["documents"].column("duplicate_of").to_pylist() == [None, None]
    assert set(chunk["sections"].column("doc_id").to_pylist()) == {"a" * 16, "c" * 16}
    assert set(chunk["redactions"].column("doc_id").to_pylist()) == {"a" * 16, "c" * 16}
    removed = chunk["removed"].to_pylist()
    whole = [r for r in removed if r["rule"] == "exact_duplicate"]
    assert whole == [
        {
            "doc_id": "b" * 16,
            "rule": "exact_duplicate",
            "rule_group": "duplicate",
            "text": "",
            "char_start": 0,
            "char_end": 29,
            "line_start": 1,
            "line_end": 2,
            "duplicate_of": "a" * 16,
            "score": None,
        }
    ]
    assert {r["doc_id"] for r in removed if r["rule"] == "newsletter_signup"} == {"a" * 16, "c" * 16}


def test_keep_duplicates_keeps_them_with_duplicate_of(schemas: dict[str, TableSchema]) -> None:
    """With keep_duplicates the duplicate stays, pointing at the kept one, and no removed row is added."""
    policy = ReleasePolicy(decisions([("b" * 16, "a" * 16, "near_duplicate")]), keep_duplicates=True)
    chunk = release_chunk(DOCS, schemas, policy)
    assert chunk["documents"].column("duplicate_of").to_pylist() == [None, "a" * 16, None]
    assert "near_duplicate" not in chunk["removed"].column("rule").to_pylist()


def test_quality_threshold_removes_with_its_rule(schemas: dict[str, TableSchema]) -> None:
    """A document under min_word_count leaves with a quality_min_word_count row; the others stay."""
    chunk = release_chunk(DOCS, schemas, ReleasePolicy(thresholds=QualityThresholds(min_word_count=2)))
    assert chunk["documents"].column("doc_id").to_pylist() == ["a" * 16, "b" * 16]
    quality = [r for r in chunk["removed"].to_pylist() if r["rule_group"] == "quality"]
    assert [(r["doc_id"], r["rule"]) for r in quality] == [("c" * 16, "quality_min_word_count")]


def test_no_policy_keeps_everything(schemas: dict[str, TableSchema]) -> None:
    """Without decisions or thresholds every document is released."""
    chunk = release_chunk(DOCS, schemas)
    assert chunk["documents"].num_rows == 3
    assert chunk["removed"].column("rule").to_pylist() == ["newsletter_signup"] * 3


def test_policy_digest_follows_what_is_left_out() -> None:
    """Equal policies have equal digests; a decision, the keep flag or a threshold changes it."""
    base = ReleasePolicy(decisions([("b" * 16, "a" * 16, "exact_duplicate")]))
    same = ReleasePolicy(decisions([("b" * 16, "a" * 16, "exact_duplicate")]))
    assert base.digest() == same.digest()
    others = [
        ReleasePolicy(),
        ReleasePolicy(base.duplicates, keep_duplicates=True),
        ReleasePolicy(base.duplicates, thresholds=QualityThresholds(min_word_count=5)),
    ]
    assert len({base.digest(), *(p.digest() for p in others)}) == 4


def test_removed_rows_of_whole_documents_validate(schemas: dict[str, TableSchema]) -> None:
    """The rows added for dropped documents satisfy the removed table's schema."""
    policy = ReleasePolicy(decisions([("b" * 16, "a" * 16, "exact_duplicate")]))
    removed = release_chunk(DOCS, schemas, policy)["removed"]
    assert validate(removed.cast(schemas["removed"].arrow), schemas["removed"]) == []
