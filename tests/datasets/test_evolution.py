"""Checks between versions: each schema-evolution case, and drift within and past its thresholds."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.datasets.evolution import (
    Change,
    DriftThresholds,
    check_evolution,
    drift,
    parse_file_name,
    release_schemas,
    schema_changes,
    schema_major,
)
from pipeline.datasets.schema import ColumnSpec, TableSchema, load_schema, read_schema
from pipeline.datasets.versions import publish, read_manifest
from tests.conftest import REPO
from tests.datasets.test_schema import good_row

SCHEMAS = REPO / "schemas"


def table(version: int, *columns: tuple[str, pa.DataType, bool]) -> TableSchema:
    specs = tuple(ColumnSpec(name, type_, nullable, f"the {name}") for name, type_, nullable in columns)
    return TableSchema("documents", version, "test table", specs)


V1 = table(1, ("doc_id", pa.string(), False), ("text", pa.string(), False), ("n_words", pa.int64(), True))


def kinds(changes: list[Change]) -> list[tuple[str | None, str]]:
    return [(c.column, c.kind) for c in changes]


# --- schema_changes ------------------------------------------------------------------------------


def test_no_change() -> None:
    assert schema_changes(V1, V1) == []


def test_added_nullable_column_is_allowed() -> None:
    current = table(1, *_columns(V1), ("score", pa.float64(), True))
    changes = schema_changes(V1, current)
    assert kinds(changes) == [("score", "column_added_nullable")]
    assert not changes[0].breaking


def test_added_required_column_is_breaking() -> None:
    current = table(1, *_columns(V1), ("score", pa.float64(), False))
    changes = schema_changes(V1, current)
    assert kinds(changes) == [("score", "column_added_required")]
    assert changes[0].breaking


def test_removed_column_is_breaking() -> None:
    current = table(1, ("doc_id", pa.string(), False), ("text", pa.string(), False))
    changes = schema_changes(V1, current)
    assert kinds(changes) == [("n_words", "column_removed")]
    assert changes[0].breaking


def test_retyped_column_is_breaking_even_when_widened() -> None:
    current = table(
        1, ("doc_id", pa.string(), False), ("text", pa.string(), False), ("n_words", pa.int32(), True)
    )
    changes = schema_changes(V1, current)
    assert kinds(changes) == [("n_words", "column_retyped")]
    assert changes[0].detail == "int64 -> int32"
    assert changes[0].breaking
    assert str(changes[0]) == "documents.n_words: column_retyped (int64 -> int32)"


def test_nullability_tightened_is_breaking_and_relaxed_is_allowed() -> None:
    tightened = table(
        1, ("doc_id", pa.string(), False), ("text", pa.string(), False), ("n_words", pa.int64(), False)
    )
    assert [(c.kind, c.breaking) for c in schema_changes(V1, tightened)] == [("nullability_tightened", True)]
    relaxed = table(
        1, ("doc_id", pa.string(), False), ("text", pa.string(), True), ("n_words", pa.int64(), True)
    )
    assert [(c.kind, c.breaking) for c in schema_changes(V1, relaxed)] == [("nullability_relaxed", False)]


def test_reordered_columns_are_allowed() -> None:
    current = table(
        1, ("text", pa.string(), False), ("doc_id", pa.string(), False), ("n_words", pa.int64(), True)
    )
    changes = schema_changes(V1, current)
    assert kinds(changes) == [(None, "columns_reordered")]
    assert not changes[0].breaking


def test_a_published_parquet_schema_compares_equal_to_its_schema_file(tmp_path: Path) -> None:
    documents = load_schema(SCHEMAS, "documents")
    path = tmp_path / "part.parquet"
    pq.write_table(documents.arrow.empty_table(), path)
    published = pq.read_schema(path)
    assert schema_changes(published, documents, table="documents") == []  # list<element> == list<item>
    assert schema_major(published) == documents.version == 1


def _columns(schema: TableSchema) -> list[tuple[str, pa.DataType, bool]]:
    return [(c.name, c.type, c.nullable) for c in schema.columns]


# --- check_evolution -----------------------------------------------------------------------------


def test_first_release_passes() -> None:
    result = check_evolution({}, {"documents": V1})
    assert result.passed
    assert kinds(result.changes) == [(None, "table_added")]


def test_allowed_change_in_the_same_major_passes() -> None:
    current = table(1, *_columns(V1), ("score", pa.float64(), True))
    result = check_evolution({"documents": V1}, {"documents": current})
    assert result.passed
    assert result.metadata()["breaking_changes"] == 0
    assert result.metadata()["allowed_changes"] == 1


@pytest.mark.parametrize(
    "current",
    [
        table(1, ("doc_id", pa.string(), False), ("text", pa.string(), False)),  # removed
        table(1, ("doc_id", pa.string(), False), ("text", pa.string(), False), ("n_words", pa.int32(), True)),
        table(1, *_columns(V1), ("score", pa.float64(), False)),  # added required
        table(
            1, ("doc_id", pa.string(), False), ("text", pa.string(), False), ("n_words", pa.int64(), False)
        ),
    ],
    ids=["removed", "retyped", "added_required", "tightened"],
)
def test_breaking_change_in_the_same_major_blocks(current: TableSchema) -> None:
    result = check_evolution({"documents": V1}, {"documents": current})
    assert not result.passed
    (problem,) = result.problems
    assert "needs a new major schema file (documents.v2.json), not an edit of documents.v1.json" in problem
    assert "**blocked**" in result.markdown()


def test_breaking_change_with_a_new_major_file_passes() -> None:
    v2 = table(2, ("doc_id", pa.string(), False), ("text", pa.string(), False))
    result = check_evolution(
        {"documents": V1},
        {"documents": v2},
        previous_files={"documents": "documents.v1.json"},
        available=["documents.v1.json", "documents.v2.json"],
    )
    assert result.passed, result.problems
    assert result.warnings == []
    assert kinds(result.changes) == [("n_words", "column_removed")]


def test_the_previous_major_comes_from_the_manifest_file_name() -> None:
    # The previous release used v1; the schema read back says nothing about it (plain Arrow, no metadata).
    v2 = table(2, ("doc_id", pa.string(), False), ("text", pa.string(), False))
    previous = V1.arrow.remove_metadata()
    assert check_evolution(
        {"documents": previous}, {"documents": v2}, previous_files={"documents": "documents.v1.json"}
    ).passed
    unknown = check_evolution({"documents": previous}, {"documents": v2})
    assert not unknown.passed
    assert "previous major version is unknown" in unknown.problems[0]


def test_going_back_a_major_version_blocks() -> None:
    v2 = replace(V1, version=2)
    result = check_evolution({"documents": v2}, {"documents": V1})
    assert not result.passed
    assert "older than the previous version's v2" in result.problems[0]


def test_removed_table_blocks_and_added_table_passes() -> None:
    sections = replace(V1, table="sections")
    assert not check_evolution({"documents": V1, "sections": sections}, {"documents": V1}).passed
    assert check_evolution({"documents": V1}, {"documents": V1, "sections": sections}).passed


def test_warnings_for_a_missing_old_file_a_skipped_major_and_a_needless_bump() -> None:
    v2 = table(2, ("doc_id", pa.string(), False), ("text", pa.string(), False))
    gone = check_evolution({"documents": V1}, {"documents": v2}, available=["documents.v2.json"])
    assert gone.passed
    assert gone.warnings == ["documents.v1.json, used by the previous version, is gone from schemas/"]
    v3 = replace(v2, version=3)
    assert check_evolution({"documents": V1}, {"documents": v3}).warnings == [
        "documents: schema jumps from v1 to v3"
    ]
    same = replace(V1, version=2)
    assert check_evolution({"documents": V1}, {"documents": same}).warnings == [
        "documents: new major v2 without a breaking change"
    ]


def test_schema_file_names() -> None:
    assert parse_file_name("documents.v12.json") == ("documents", 12)
    assert parse_file_name("schemas/removed.v1.json") == ("removed", 1)
    assert parse_file_name("documents.json") is None


def test_a_schema_file_edited_in_place_is_caught_against_the_published_release(tmp_path: Path) -> None:
    """The release's Parquet files say what v1 was; an edited documents.v1.json cannot hide a removal."""
    schemas_dir = tmp_path / "schemas"
    schemas_dir.mkdir()
    original = json.loads((SCHEMAS / "documents.v1.json").read_text(encoding="utf-8"))
    (schemas_dir / "documents.v1.json").write_text(json.dumps(original), encoding="utf-8")
    documents = read_schema(schemas_dir / "documents.v1.json")
    row = good_row()
    root = tmp_path / "curated"
    publish(
        root,
        {"documents": pa.Table.from_pylist([row], schema=documents.arrow)},
        {"documents": documents},
        {},
        lambda m: "card\n",
    )
    manifest = read_manifest(root, "v0001")
    published = release_schemas(root / "v0001", manifest)
    assert set(published) == {"documents"}
    edited = dict(original, columns=[c for c in original["columns"] if c["name"] != "author"])
    (schemas_dir / "documents.v1.json").write_text(json.dumps(edited), encoding="utf-8")
    current = {"documents": load_schema(schemas_dir, "documents")}
    result = check_evolution(published, current, previous_files=manifest["schemas"])
    assert not result.passed
    assert "documents.author: column_removed" in result.problems[0]
    assert check_evolution(published, {"documents": documents}, previous_files=manifest["schemas"]).passed


# --- drift ---------------------------------------------------------------------------------------

BASE = {
    "seen": 1000,
    "skipped": 0,
    "curated": 1000,
    "languages": {"en": 800, "de": 200},
    "removed_by_rule": {"newsletter": 500, "cookie_banner": 100, "rare_rule": 4},
    "text_chars": 3_000_000,
}


def current(**changes: object) -> dict[str, object]:
    return {**BASE, **changes}


def test_no_drift_against_itself() -> None:
    report = drift(BASE, BASE, previous_version="v0001")
    assert not report.warn
    assert {m.name: m.change for m in report.metrics if m.judged} == {
        "document_count": 0.0,
        "language_mix": 0.0,
        "mean_chars": 0.0,
        "rule_rate[cookie_banner]": 0.0,
        "rule_rate[newsletter]": 0.0,
    }
    assert report.metadata()["past_threshold"] == "none"
    assert report.metadata()["previous_version"] == "v0001"


def test_document_count_within_and_past_twenty_percent() -> None:
    within = drift(BASE, current(seen=1150, curated=1150, text_chars=3_450_000))
    assert not within.warn
    past = drift(BASE, current(seen=1300, curated=1300, text_chars=3_900_000))
    (metric,) = past.past
    assert (metric.name, metric.value, metric.previous) == ("document_count", 1300, 1000)
    assert metric.change == pytest.approx(0.3)
    assert past.metadata()["document_count_change"] == pytest.approx(0.3)


def test_language_mix_by_total_variation_distance() -> None:
    # en 80% -> 72%, de 20% -> 20%, fr 0% -> 8%: distance 0.5 * (0.08 + 0 + 0.08) = 0.08
    within = drift(BASE, current(languages={"en": 720, "de": 200, "fr": 80}))
    assert not within.warn
    assert within.language_shares["fr"] == (0.0, 0.08)
    # en 80% -> 60%: distance 0.2
    past = drift(BASE, current(languages={"en": 600, "de": 400}))
    (metric,) = past.past
    assert metric.name == "language_mix"
    assert metric.value == pytest.approx(0.2)
    assert "en 80.0% -> 60.0%" in past.markdown()


def test_mean_length_within_and_past_twenty_percent() -> None:
    assert not drift(BASE, current(text_chars=3_500_000)).warn  # 3000 -> 3500 chars: +16.7%
    past = drift(BASE, current(text_chars=2_000_000))  # 3000 -> 2000: -33%
    (metric,) = past.past
    assert (metric.name, metric.value, metric.previous) == ("mean_chars", 2000, 3000)


def test_mean_length_needs_text_chars_in_both_versions() -> None:
    old = {k: v for k, v in BASE.items() if k != "text_chars"}
    report = drift(old, BASE)
    assert "mean_chars" not in {m.name for m in report.metrics}
    assert "text_chars" in report.notes[0]


def test_rule_rate_within_and_past_fifty_percent() -> None:
    within = drift(BASE, current(removed_by_rule={"newsletter": 700, "cookie_banner": 100, "rare_rule": 4}))
    assert not within.warn  # 0.5 -> 0.7 per document: +40%
    past = drift(BASE, current(removed_by_rule={"newsletter": 500, "cookie_banner": 10, "rare_rule": 4}))
    (metric,) = past.past
    assert metric.name == "rule_rate[cookie_banner]"
    assert (metric.value, metric.previous) == (0.01, 0.1)
    assert metric.change == pytest.approx(-0.9)


def test_rules_without_support_are_reported_but_never_judged() -> None:
    report = drift(BASE, current(removed_by_rule={"newsletter": 500, "cookie_banner": 100, "rare_rule": 12}))
    rare = next(m for m in report.metrics if m.name == "rule_rate[rare_rule]")
    assert rare.change == pytest.approx(2.0)
    assert not rare.judged and not rare.past_threshold
    assert "too few to judge" in report.markdown()
    assert "rule_rate[rare_rule]" not in report.metadata()


def test_a_new_or_vanished_rule_with_support_is_past_the_threshold() -> None:
    report = drift(BASE, current(removed_by_rule={"newsletter": 500, "user_rule": 40}))
    assert {m.name for m in report.past} == {"rule_rate[cookie_banner]", "rule_rate[user_rule]"}
    new = next(m for m in report.metrics if m.name == "rule_rate[user_rule]")
    assert (new.previous, new.change) == (0.0, None)


def test_rule_rates_count_documents_a_filter_removed_whole() -> None:
    # 1000 documents reached curation, 900 were published: the rate's denominator is still 1000.
    report = drift(BASE, current(curated=900, text_chars=2_700_000))
    newsletter = next(m for m in report.metrics if m.name == "rule_rate[newsletter]")
    assert newsletter.value == 0.5


def test_thresholds_can_be_tightened() -> None:
    strict = DriftThresholds(document_count=0.05)
    assert drift(BASE, current(seen=1100, curated=1100, text_chars=3_300_000), strict).warn


def test_markdown_and_metadata_hold_every_number() -> None:
    report = drift(BASE, current(seen=1300, curated=1300, text_chars=3_900_000), previous_version="v0007")
    text = report.markdown()
    assert "| document_count | 1300 | 1000 | +30.0% | 0.2 | **past threshold** |" in text
    meta = report.metadata()
    assert meta["document_count"] == 1300
    assert meta["document_count_previous"] == 1000
    assert meta["past_threshold"] == "document_count"
    assert all(isinstance(v, int | float | str | bool) for v in meta.values())
    stored = json.loads(json.dumps(report.as_dict()))
    assert stored["warn"] is True
    assert stored["metrics"][0] == {
        "name": "document_count",
        "value": 1300,
        "previous": 1000,
        "change": pytest.approx(0.3),
        "threshold": 0.2,
        "past_threshold": True,
        "judged": True,
    }


def test_evolution_result_as_dict_is_json() -> None:
    current = table(1, ("doc_id", pa.string(), False), ("text", pa.string(), False))
    stored = json.loads(json.dumps(check_evolution({"documents": V1}, {"documents": current}).as_dict()))
    assert stored["passed"] is False
    assert stored["changes"] == [
        {
            "table": "documents",
            "column": "n_words",
            "kind": "column_removed",
            "breaking": True,
            "detail": "int64",
        }
    ]
