"""The asset graph materialized with dagster.materialize into temporary folders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pytest

from pipeline.definitions import defs
from pipeline.defs import assets
from pipeline.defs.io import resources_for
from pipeline.defs.resources import WebcurateSettings, settings_from_env
from tests.cleaning.helpers import ALL_CHROME
from tests.conftest import ASSET_NAMES, REPO, SEEDS, load_gold

ASSETS = assets.ASSETS


def materialize(
    tmp: Path, seeds: Path = SEEDS, schemas: Path = REPO / "schemas"
) -> dg.ExecuteInProcessResult:
    settings = WebcurateSettings(
        seeds_dir=str(seeds),
        output_dir=str(tmp / "output"),
        schemas_dir=str(schemas),
        work_dir=str(tmp / "work"),
    )
    return dg.materialize(ASSETS, resources=resources_for(settings), raise_on_error=False)


def release_meta(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    (event,) = result.asset_materializations_for_node("curated_dataset")
    return {key: getattr(value, "value", value) for key, value in event.metadata.items()}


def release_checks(result: dg.ExecuteInProcessResult) -> list[dg.AssetCheckEvaluation]:
    """The evaluations of the release's checks, in the order they ran."""
    evaluations = result.get_asset_check_evaluations()
    return [c for c in evaluations if c.asset_key.to_user_string() == "curated_dataset"]


def test_definitions_load_with_every_asset_and_the_check() -> None:
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert keys == set(ASSET_NAMES)
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert "schema_valid" in checks


def test_graph_publishes_the_samples_matching_the_gold(tmp_path: Path) -> None:
    result = materialize(tmp_path)
    assert result.success
    meta = release_meta(result)
    assert (meta["version"], meta["published"], meta["rows_documents"]) == ("v0001", True, 5)
    assert meta["rows_sections"] >= 5 and meta["rows_removed"] >= 28
    docs = pd.read_parquet(tmp_path / "output" / "curated" / "v0001" / "documents").set_index("source_path")
    for entry in load_gold():
        row = docs.loc[entry["file"]]
        for key, expected in entry["metadata"].items():
            actual = row[key].isoformat() if key == "published" else row[key]
            assert (list(actual) if key == "tags" else actual) == expected, (entry["file"], key)
    extra = docs.loc["002_7b0ba32dec95328d.txt", "extra"]
    assert isinstance(extra, list)  # a Parquet map reads as its (key, value) pairs
    assert dict(extra)["videoId"] == "ifA0ZRiOmx0"
    # schema_valid is evaluated by the release itself; schema_evolution and drift run after it (in
    # either order) as checks of their own.
    assert {c.check_name: c.passed for c in release_checks(result)} == {
        "schema_valid": True,
        "schema_evolution": True,
        "drift": True,
    }
    assert release_checks(result)[0].check_name == "schema_valid"
    # The intermediate assets' warning checks pass on the samples, with what they measured.
    intermediate = {
        (c.asset_key.to_user_string(), c.check_name): c
        for c in result.get_asset_check_evaluations()
        if c.asset_key.to_user_string() != "curated_dataset"
    }
    assert set(intermediate) == {
        ("parsed_documents", "skip_rate"),
        ("clean_documents", "removal_rate"),
        ("language_tags", "language_mix"),
    }
    for evaluation in intermediate.values():
        assert evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert intermediate[("parsed_documents", "skip_rate")].metadata["value"].value == 0.0


def test_rerun_publishes_nothing_and_a_changed_seed_a_new_version(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    assert release_meta(materialize(tmp_path, seeds))["version"] == "v0001"
    again = release_meta(materialize(tmp_path, seeds))
    assert (again["version"], again["published"]) == ("v0001", False)
    with (seeds / "004_a96622498b1f3992.txt").open("a", encoding="utf-8") as handle:
        handle.write("\nEin weiterer Absatz über Amazons Pläne für das kommende Jahr.\n")
    changed = release_meta(materialize(tmp_path, seeds))
    assert (changed["version"], changed["published"]) == ("v0002", True)
    assert (tmp_path / "output" / "curated" / "LATEST").read_text().strip() == "v0002"


def test_bad_files_are_recorded_as_skipped_and_the_run_goes_on(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    (seeds / "empty.txt").write_bytes(b"")
    (seeds / "image.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (seeds / "index.txt").write_text(ALL_CHROME, encoding="utf-8")  # a page with no main content
    result = materialize(tmp_path, seeds)
    assert result.success and release_meta(result)["rows_documents"] == 5
    manifest = json.loads((tmp_path / "output" / "curated" / "v0001" / "manifest.json").read_text())
    assert [s["source_path"] for s in manifest["skipped"]] == ["empty.txt", "image.html", "index.txt"]
    assert manifest["skipped"][:2] == [
        {"source_path": "empty.txt", "reason": "empty file"},
        {"source_path": "image.html", "reason": "binary file (png image)"},
    ]
    assert manifest["skipped"][2]["reason"].startswith("no main content: every line is boilerplate (")
    (clean,) = [
        event
        for event in result.asset_materializations_for_node("curated_documents")
        if event.asset_key == dg.AssetKey("clean_documents")
    ]
    assert clean.metadata["skipped_no_main_content"].value == 1  # type: ignore[attr-defined]
    counts = manifest["counts"]
    assert (counts["seen"], counts["curated"], counts["skipped"]) == (8, 5, 3)
    assert counts["languages"] == {"en": 4, "de": 1}
    assert counts["removed_by_rule"]["image_credit"] >= 1


def test_a_schema_violation_blocks_the_release_and_keeps_latest(tmp_path: Path) -> None:
    assert materialize(tmp_path).success
    # A stricter schema that the samples break: every text must be shorter than 3,000 characters.
    strict = tmp_path / "schemas"
    shutil.copytree(REPO / "schemas", strict)
    spec = json.loads((strict / "documents.v1.json").read_text())
    for column in spec["columns"]:
        if column["name"] == "n_chars":
            column["constraints"]["max"] = 3000
    (strict / "documents.v1.json").write_text(json.dumps(spec))
    latest = tmp_path / "output" / "curated" / "LATEST"
    before = latest.read_text()
    result = materialize(tmp_path, schemas=strict)
    assert not result.success
    (evaluation,) = release_checks(result)
    assert (evaluation.check_name, evaluation.passed) == ("schema_valid", False)
    details = evaluation.metadata["details"]
    assert isinstance(details, dg.MarkdownMetadataValue)
    assert "documents.n_chars: max: above 3000" in details.value
    assert latest.read_text() == before
    assert sorted(p.name for p in latest.parent.iterdir() if not p.name.startswith(".")) == [
        "LATEST",
        "v0001",
    ]


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, ("seeds", "output")),
        ({"WEBCURATE_SEEDS_DIR": "/data/in", "WEBCURATE_OUTPUT_DIR": "/data/out"}, ("/data/in", "/data/out")),
    ],
)
def test_settings_default_and_follow_the_environment(
    environ: dict[str, str], expected: tuple[str, str]
) -> None:
    settings = settings_from_env(environ)
    assert (settings.seeds_dir, settings.output_dir) == expected
    assert settings.release_root == Path(expected[1]) / "curated"


def test_engine_settings_follow_the_environment_and_bad_values_are_named() -> None:
    settings = settings_from_env(
        {"WEBCURATE_ENGINE": "ray", "WEBCURATE_WORKERS": "3", "WEBCURATE_DOC_TIMEOUT": "2.5"}
    )
    spec = settings.engine_spec()
    assert (spec.kind, spec.workers, spec.timeout_s, spec.ray_address) == ("ray", 3, 2.5, None)
    with pytest.raises(ValueError, match="WEBCURATE_BATCH_SIZE='many': expected an integer"):
        settings_from_env({"WEBCURATE_BATCH_SIZE": "many"})


def test_an_unknown_engine_fails_the_run_naming_the_known_ones(tmp_path: Path) -> None:
    result = run_with(tmp_path, engine="spark")
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.step_failure_data.error.message  # type: ignore[union-attr]
    assert "unknown engine 'spark'; choose one of local, ray" in message


def run_with(tmp: Path, **settings: str) -> dg.ExecuteInProcessResult:
    # Strings for any field: WebcurateSettings (a pydantic model) validates and converts each one.
    options: dict[str, Any] = {"output_dir": str(tmp / "output"), "work_dir": str(tmp / "work"), **settings}
    return dg.materialize(ASSETS, resources=resources_for(WebcurateSettings(**options)), raise_on_error=False)


def test_a_translation_backend_fills_translated_text_where_needed(tmp_path: Path) -> None:
    assert run_with(tmp_path, translation_backend="identity").success
    docs = pd.read_parquet(tmp_path / "output" / "curated" / "v0001" / "documents").set_index("source_path")
    german = docs.loc["004_a96622498b1f3992.txt"]
    assert german.needs_translation and german.translated_text == german.text  # identity: text unchanged
    assert docs.drop(index="004_a96622498b1f3992.txt").translated_text.isna().all()
    sections = pd.read_parquet(tmp_path / "output" / "curated" / "v0001" / "sections")
    assert sections[sections.language == "de"].translated_text.notna().all()


def test_an_unavailable_translation_backend_fails_clearly(tmp_path: Path) -> None:
    result = run_with(tmp_path, translation_backend="deepl-offline")
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert failure.step_key == "raw_documents"  # the settings are checked before anything is read
    message = failure.step_failure_data.error.message  # type: ignore[union-attr]
    assert "translation backend" in message and "deepl-offline" in message and "identity" in message
    assert not (tmp_path / "output" / "curated" / "LATEST").exists()
