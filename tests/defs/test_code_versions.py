"""Each asset's code version follows exactly the code, model, rules and settings that shape it, so the
UI marks those assets stale when one changes (tests/e2e/test_staleness.py sees it through GraphQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.datasets import steps
from pipeline.defs.assets import code_versions
from pipeline.defs.resources import WebcurateSettings
from tests.conftest import ASSET_NAMES, REPO

CURATED = {"clean_documents", "sections", "language_tags"}
RULES = "rules:\n  - name: ask_bot\n    group: community\n    phrase: ask the bot\n    why: a chat widget\n"


@pytest.fixture(autouse=True)
def fresh_code_version() -> Iterator[None]:
    """The code versions are cached per process: start and end each test without a cached digest."""
    steps.code_version.cache_clear()
    steps.parse_code_version.cache_clear()
    yield
    steps.code_version.cache_clear()
    steps.parse_code_version.cache_clear()


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    """The assets whose code version differs."""
    return {name for name in before if before[name] != after[name]}


def test_every_asset_has_a_code_version() -> None:
    versions = code_versions(WebcurateSettings())
    assert set(versions) == set(ASSET_NAMES) and all(versions.values())
    assert code_versions(WebcurateSettings()) == versions  # the same settings, the same versions


@pytest.mark.parametrize(
    ("settings", "affected"),
    [
        ({"dedup_threshold": 0.7}, {"duplicates"}),
        ({"boilerplate_threshold": 0.6}, CURATED),
        ({"keep_comments": True}, CURATED),
        ({"target_language": "de"}, CURATED),
        ({"repeated_min_docs": 3}, {"repeated_lines"}),
        ({"max_file_bytes": 1 << 20}, {"raw_documents", "parsed_documents"}),
        ({"seeds_dir": "elsewhere"}, {"raw_documents"}),
        ({"keep_duplicates": True}, {"curated_dataset"}),
        # How the work is run never changes what it makes: no asset is stale for it.
        ({"batch_size": 7, "workers": 1, "engine": "ray", "doc_timeout_s": 5.0}, set()),
    ],
)
def test_a_setting_changes_the_versions_of_the_assets_it_shapes(
    settings: dict[str, object], affected: set[str]
) -> None:
    before = code_versions(WebcurateSettings())
    assert changed(before, code_versions(WebcurateSettings(**settings))) == affected  # type: ignore[arg-type]


def test_a_rules_file_is_part_of_the_curated_versions_by_content(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    settings = WebcurateSettings(rules_file=str(rules))
    first = code_versions(settings)
    assert changed(code_versions(WebcurateSettings()), first) == CURATED
    rules.write_text(RULES.replace("ask the bot", "ask our bot"), encoding="utf-8")
    assert changed(first, code_versions(settings)) == CURATED
    rules.unlink()  # unreadable: a version of its own (the run then fails with the reason)
    assert changed(first, code_versions(settings)) == CURATED


def test_quality_thresholds_and_schemas_are_part_of_the_release_version(tmp_path: Path) -> None:
    quality = tmp_path / "quality.yaml"
    quality.write_text("min_words: 5\n", encoding="utf-8")
    base = code_versions(WebcurateSettings())
    assert changed(base, code_versions(WebcurateSettings(quality_file=str(quality)))) == {"curated_dataset"}
    schemas = tmp_path / "schemas"
    for path in (REPO / "schemas").glob("*.json"):
        text = path.read_text(encoding="utf-8")
        (schemas / path.name).parent.mkdir(exist_ok=True)
        (schemas / path.name).write_text(text.replace('"description": "', '"description": "Edited: ', 1))
    assert changed(base, code_versions(WebcurateSettings(schemas_dir=str(schemas)))) == {"curated_dataset"}


def versions_with_edited_model(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The code versions once the model file `steps.<name>` has changed (a copy with a byte added)."""
    model = tmp_path / getattr(steps, name).name
    model.write_bytes(getattr(steps, name).read_bytes() + b"\n")
    monkeypatch.setattr(steps, name, model)
    steps.code_version.cache_clear()
    steps.parse_code_version.cache_clear()  # both digests computed afresh: each must decide for itself
    return code_versions(WebcurateSettings())


def test_a_changed_boilerplate_model_changes_the_versions_of_what_it_recomputes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = code_versions(WebcurateSettings())
    # The line model is part of the curation code's version, which keys every curated row, and of the
    # release's; parsing never runs it, so the parsed documents stay.
    after = versions_with_edited_model("MODEL_FILE", tmp_path, monkeypatch)
    assert changed(before, after) == {*CURATED, "curated_dataset"}


def test_a_changed_html_block_model_changes_parsing_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = code_versions(WebcurateSettings())
    after = versions_with_edited_model("HTML_BLOCK_MODEL_FILE", tmp_path, monkeypatch)
    assert changed(before, after) == {"parsed_documents", *CURATED, "curated_dataset"}
