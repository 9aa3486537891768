"""Issue 8 through the asset graph: duplicates, quality thresholds, personal data, schema evolution and
drift, materialized with dagster.materialize into temporary folders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pyarrow.parquet as pq

from pipeline.defs import assets
from pipeline.defs.io import resources_for
from pipeline.defs.resources import WebcurateSettings
from tests.conftest import REPO, SEEDS

ORIGINAL = "001_ca23b936812034eb.txt"
EMAIL, PHONE, IP = "jane.doe@example.org", "+49 30 1234567", "192.168.17.42"


def run(
    tmp: Path,
    seeds: Path,
    schemas: Path = REPO / "schemas",
    selection: dg.AssetSelection | None = None,
    **settings: Any,
) -> dg.ExecuteInProcessResult:
    """Materialize the whole graph (or `selection`) over `seeds` into `tmp`."""
    options = {
        "seeds_dir": str(seeds),
        "output_dir": str(tmp / "output"),
        "work_dir": str(tmp / "work"),
        "schemas_dir": str(schemas),
        **settings,
    }
    resources = resources_for(WebcurateSettings(**options))
    return dg.materialize(assets.ASSETS, resources=resources, raise_on_error=False, selection=selection)


def check_alone(name: str) -> dg.AssetSelection:
    """One check of the release, run on its own (no asset materialized)."""
    return dg.AssetSelection.checks(dg.AssetCheckKey(dg.AssetKey("curated_dataset"), name))


def seeds_with_copies(tmp: Path) -> Path:
    """The samples plus an exact copy of one (CRLF line ends) and a near copy (one line added)."""
    seeds = tmp / "seeds"
    shutil.copytree(SEEDS, seeds)
    text = (SEEDS / ORIGINAL).read_text(encoding="utf-8")
    (seeds / "900_exact_copy.txt").write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    lines = text.splitlines()
    lines.insert(len(lines) // 2, "One more sentence, written only into this copy of the article.")
    (seeds / "901_near_copy.txt").write_text("\n".join(lines), encoding="utf-8")
    return seeds


def table(tmp: Path, name: str, version: str = "v0001") -> pd.DataFrame:
    """A release table."""
    return pd.read_parquet(tmp / "output" / "curated" / version / name)


def manifest(tmp: Path, version: str) -> dict[str, Any]:
    """A version's manifest."""
    return dict(json.loads((tmp / "output" / "curated" / version / "manifest.json").read_text()))


def checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    """The asset check evaluations of a run, by check name."""
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_duplicates_leave_documents_and_are_recorded_with_the_kept_one(tmp_path: Path) -> None:
    """The exact and the near copy are left out; each is a removed row naming the original."""
    assert run(tmp_path, seeds_with_copies(tmp_path)).success
    docs = table(tmp_path, "documents")
    assert sorted(docs.source_path) == sorted(p.name for p in SEEDS.iterdir())
    original = docs.set_index("source_path").loc[ORIGINAL, "doc_id"]
    removed = table(tmp_path, "removed")
    dropped = removed[removed.rule_group == "duplicate"].set_index("rule")
    assert set(dropped.index) == {"exact_duplicate", "near_duplicate"}
    assert set(dropped.duplicate_of) == {original}
    assert not set(dropped.doc_id) & set(docs.doc_id)
    card = (tmp_path / "output" / "curated" / "v0001" / "README.md").read_text()
    assert "Exact duplicates: 1; near duplicates (word 5-gram Jaccard of at least 0.8): 1." in card
    assert "## Quality signals" in card and "`stop_word_fraction`" in card


def test_keep_duplicates_keeps_them_pointing_at_the_kept_one(tmp_path: Path) -> None:
    """With keep_duplicates every file is a document; the copies name the original in duplicate_of."""
    assert run(tmp_path, seeds_with_copies(tmp_path), keep_duplicates=True).success
    docs = table(tmp_path, "documents").set_index("source_path")
    assert len(docs) == 7
    original = docs.loc[ORIGINAL, "doc_id"]
    assert isinstance(original, str)
    assert docs.loc["900_exact_copy.txt", "duplicate_of"] == original
    assert docs.loc["901_near_copy.txt", "duplicate_of"] == original
    assert docs.duplicate_of.notna().sum() == 2


def test_quality_thresholds_filter_and_are_recorded(tmp_path: Path) -> None:
    """A min_word_count above the shortest sample removes exactly the documents under it, with its rule."""
    baseline = tmp_path / "baseline"
    assert run(baseline, SEEDS).success
    counts = table(baseline, "documents").set_index("source_path").word_count
    bound = int(counts.sort_values().iloc[1])  # the two shortest fall under it
    thresholds = tmp_path / "quality.yaml"
    thresholds.write_text(f"min_word_count: {bound + 1}\n", encoding="utf-8")
    assert run(tmp_path, SEEDS, quality_file=str(thresholds)).success
    docs = table(tmp_path, "documents")
    assert sorted(docs.source_path) == sorted(counts[counts > bound].index)
    removed = table(tmp_path, "removed")
    quality = removed[removed.rule == "quality_min_word_count"]
    assert len(quality) == 2 and (quality.rule_group == "quality").all()
    card = (tmp_path / "output" / "curated" / "v0001" / "README.md").read_text()
    assert f"| `min_word_count` | {bound + 1} | 2 |" in card


def test_a_bad_quality_file_fails_the_release_naming_the_line(tmp_path: Path) -> None:
    """An unknown key in the thresholds file fails the run with file:line, and nothing is published."""
    thresholds = tmp_path / "quality.yaml"
    thresholds.write_text("min_word_count: 5\nmin_wrods: 3\n", encoding="utf-8")
    result = run(tmp_path, SEEDS, quality_file=str(thresholds))
    assert not result.success
    message = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message  # type: ignore[union-attr]
    assert f"{thresholds}:2" in message
    assert not (tmp_path / "output" / "curated" / "LATEST").exists()


def test_personal_data_is_replaced_and_recorded_without_its_value(tmp_path: Path) -> None:
    """An address, a phone number and an IP address become placeholders; no value reaches the release."""
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    (seeds / "910_contact.txt").write_text(
        "Contact page\n\nWrite to our editor at "
        f"{EMAIL} or call {PHONE} during office hours. The old server at {IP} is gone, and the "
        "archive moved to a new home where every article of the last ten years can be read again.\n",
        encoding="utf-8",
    )
    assert run(tmp_path, seeds).success
    doc = table(tmp_path, "documents").set_index("source_path").loc["910_contact.txt"]
    assert "[EMAIL]" in doc.text and "[PHONE]" in doc.text and "[IP]" in doc.text
    assert doc.n_redactions == 3
    redactions = table(tmp_path, "redactions")
    mine = redactions[redactions.doc_id == doc.doc_id].sort_values("char_start")
    assert list(mine.type) == ["email", "phone", "ip"]
    assert [doc.text[a:b] for a, b in zip(mine.char_start, mine.char_end, strict=True)] == [
        "[EMAIL]",
        "[PHONE]",
        "[IP]",
    ]
    for path in (tmp_path / "output").rglob("*.parquet"):
        values = json.dumps(pq.read_table(path).to_pylist(), default=str)
        assert EMAIL not in values and PHONE not in values and IP not in values, path


def schemas_copy(tmp: Path) -> Path:
    """A copy of the schema files to edit."""
    return Path(shutil.copytree(REPO / "schemas", tmp / "schemas"))


def edit_documents_schema(schemas: Path, edit: Any, name: str = "documents.v1.json") -> None:
    """Apply `edit` to the documents schema file's data and write it as `name`."""
    data = json.loads((schemas / "documents.v1.json").read_text())
    edit(data)
    (schemas / name).write_text(json.dumps(data, indent=2))


def test_schema_evolution_blocks_a_breaking_change_without_a_new_major(tmp_path: Path) -> None:
    """v1 published; a column removed from documents.v1.json blocks the release (LATEST stays); the same
    change as documents.v2.json publishes. A retype in place is blocked as well."""
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    assert run(tmp_path, seeds).success
    schemas = schemas_copy(tmp_path)

    def remove(data: dict[str, Any]) -> None:
        """Without translated_text."""
        data["columns"] = [c for c in data["columns"] if c["name"] != "translated_text"]

    def retype(data: dict[str, Any]) -> None:
        """n_words as int32."""
        next(c for c in data["columns"] if c["name"] == "n_words")["type"] = "int32"

    for edit, change in ((remove, "documents.translated_text: column_removed"), (retype, "column_retyped")):
        edit_documents_schema(schemas_copy(tmp_path / edit.__name__), edit)
        edited = tmp_path / edit.__name__ / "schemas"
        # The check run on its own (as from the UI after editing schemas/) says the release would break.
        alone = run(tmp_path, seeds, edited, check_alone("schema_evolution"))
        assert not alone.get_asset_materialization_events()  # a check alone materializes nothing
        evaluation = checks(alone)["schema_evolution"]
        assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
        assert change in str(evaluation.metadata["details"].value)
        # The release refuses it as well: the run fails with the change named, nothing is published.
        blocked = run(tmp_path, seeds, edited)
        assert not blocked.success
        failure = next(e for e in blocked.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
        assert failure.step_key == "curated_dataset" and change in str(failure.event_specific_data)
        assert "schema_evolution" not in checks(blocked)  # not run after a release that failed
        assert (tmp_path / "output" / "curated" / "LATEST").read_text().strip() == "v0001"

    def major(data: dict[str, Any]) -> None:
        """The removal, as a new major version."""
        remove(data)
        data["version"] = 2

    edit_documents_schema(schemas, major, "documents.v2.json")
    assert run(tmp_path, seeds, schemas).success
    assert manifest(tmp_path, "v0002")["schemas"]["documents"] == "documents.v2.json"
    assert "translated_text" not in table(tmp_path, "documents", "v0002").columns


def test_schema_evolution_allows_an_added_nullable_column(tmp_path: Path) -> None:
    """A nullable column added to documents.v1.json publishes, with the change listed as allowed."""
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    assert run(tmp_path, seeds).success
    schemas = schemas_copy(tmp_path)

    def add(data: dict[str, Any]) -> None:
        """A nullable column the curated rows have but v1 did not publish: the exact-duplicate key."""
        data["columns"].append({"name": "dedup_key", "type": "int64", "nullable": True})

    edit_documents_schema(schemas, add)
    result = run(tmp_path, seeds, schemas)
    evolution = manifest(tmp_path, "v0002")["schema_evolution"]
    assert result.success and evolution["passed"]
    assert [c["kind"] for c in evolution["changes"]] == ["column_added_nullable"]


def test_drift_warns_when_half_the_corpus_goes_but_the_release_publishes(tmp_path: Path) -> None:
    """Dropping three of five documents is past the count threshold: a warning, with the numbers."""
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    first = run(tmp_path, seeds)
    assert first.success and checks(first)["drift"].passed
    for path in sorted(seeds.iterdir())[:3]:
        path.unlink()
    second = run(tmp_path, seeds)
    assert second.success
    evaluation = checks(second)["drift"]
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["document_count"].value == 2
    assert "document_count" in str(evaluation.metadata["past_threshold"].value)
    card = (tmp_path / "output" / "curated" / "v0002" / "README.md").read_text()
    assert "## Drift against v0001" in card and "**past threshold**" in card
