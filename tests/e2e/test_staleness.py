"""Staleness in the UI: after a run, a changed rules file or setting marks exactly the assets it shapes
stale, as Dagster's GraphQL API reports it to the UI; a run makes them fresh again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ASSET_NAMES, SEEDS
from tests.e2e.conftest import dagster_dev, graphql, launch_curate_job, wait_for, wait_for_run

pytestmark = pytest.mark.e2e

STALENESS = "{ assetNodes { assetKey { path } staleStatus staleCauses { key { path } reason category } } }"
RELOAD = """
mutation { reloadRepositoryLocation(repositoryLocationName: "webcurate") {
  __typename ... on WorkspaceLocationEntry { locationOrLoadError { __typename } } } }"""
RULES = "rules:\n  - name: ask_bot\n    group: community\n    phrase: ask the bot\n    why: a chat widget\n"
CURATED = {"clean_documents", "sections", "language_tags"}


def staleness(port: int) -> dict[str, str]:
    """Each asset's stale status (FRESH, STALE, MISSING) as the UI gets it."""
    nodes = graphql(port, STALENESS)["assetNodes"]
    return {"/".join(node["assetKey"]["path"]): node["staleStatus"] for node in nodes}


def causes(port: int, asset: str) -> list[str]:
    """Why an asset is stale, as the UI lists it."""
    nodes = graphql(port, STALENESS)["assetNodes"]
    node = next(n for n in nodes if "/".join(n["assetKey"]["path"]) == asset)
    return [cause["reason"] for cause in node["staleCauses"]]


def run_job(port: int) -> None:
    """Run curate_job once and wait for it to succeed."""
    assert wait_for_run(port, launch_curate_job(port)) == "SUCCESS"


def stale(port: int) -> set[str]:
    """The assets the UI shows as stale."""
    return {name for name, status in staleness(port).items() if status == "STALE"}


def test_a_changed_rules_file_or_setting_marks_the_assets_it_shapes_stale(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    with dagster_dev(tmp_path, seeds, WEBCURATE_RULES_FILE=str(rules)) as port:
        assert set(staleness(port).values()) == {"MISSING"}
        run_job(port)
        assert staleness(port) == dict.fromkeys(ASSET_NAMES, "FRESH")
        # A rule edited in place: the curated assets' code version changes once the code location reloads.
        rules.write_text(RULES.replace("ask the bot", "ask our bot"), encoding="utf-8")
        assert graphql(port, RELOAD)["reloadRepositoryLocation"]["__typename"] == "WorkspaceLocationEntry"
        wait_for(lambda: bool(stale(port)), 60, "the reloaded code location")
        # Only what the rules shape: parsing and the repeated lines stay fresh. What is downstream stays
        # fresh too until the curated stages have new content (each asset's data version is a digest of
        # its stage, so an unchanged stage leaves its readers fresh).
        assert stale(port) == CURATED
        for asset in CURATED:
            assert causes(port, asset) == ["has a new code version"]
        run_job(port)
        assert stale(port) == set()
    # A setting (the duplicates threshold) changed for the next start: only duplicates and the release.
    with dagster_dev(
        tmp_path, seeds, WEBCURATE_DEDUP_THRESHOLD="0.7", WEBCURATE_RULES_FILE=str(rules)
    ) as port:
        assert stale(port) == {"duplicates"}
        assert any("code version" in reason for reason in causes(port, "duplicates"))
        run_job(port)
        assert stale(port) == set()
