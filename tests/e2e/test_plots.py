"""The asset page's plots after three runs: Dagster plots each asset's numeric metadata (documents,
computed, reused, removed share per group, language shares) across materializations. A screenshot is kept
in test-artifacts/asset-plots.png."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import SEEDS
from tests.e2e.conftest import dagster_dev, graphql, launch_curate_job, wait_for_run
from tests.e2e.test_browser import (  # noqa: F401  (browser_page is a fixture)
    ARTIFACTS,
    SET_NUX_SEEN,
    VIEWPORT,
    _png_size,
    browser_page,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

SCREENSHOT = ARTIFACTS / "asset-plots.png"
FAILURE_SCREENSHOT = ARTIFACTS / "asset-plots-failure.png"
ASSET = "clean_documents"
METADATA = """
query Events($key: AssetKeyInput!) { assetOrError(assetKey: $key) { ... on Asset {
  assetMaterializations { metadataEntries { label __typename } } } } }"""
GERMAN = "004_a96622498b1f3992.txt"


def plotted_labels(port: int, asset: str) -> list[set[str]]:
    """The numeric metadata labels of each materialization of an asset (what the Plots tab draws)."""
    data = graphql(port, METADATA, {"key": {"path": [asset]}})["assetOrError"]
    numeric = {"IntMetadataEntry", "FloatMetadataEntry"}
    return [
        {e["label"] for e in event["metadataEntries"] if e["__typename"] in numeric}
        for event in data["assetMaterializations"]
    ]


def test_asset_plots_over_three_runs(browser_page: Page, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page = browser_page
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    with dagster_dev(tmp_path, seeds) as port:
        # Three runs, the corpus growing between them (a German copy, then an English one), so the
        # plotted numbers move: documents, computed against reused, the language shares.
        for run in range(3):
            if run == 1:
                german = (seeds / GERMAN).read_text(encoding="utf-8")
                (seeds / "900_german_copy.txt").write_text(german + "\nNoch ein Absatz.\n", encoding="utf-8")
            if run == 2:
                english = (seeds / "000_053669e5178234e8.txt").read_text(encoding="utf-8")
                (seeds / "901_english.txt").write_text(english + "\nOne more paragraph.\n", encoding="utf-8")
            assert wait_for_run(port, launch_curate_job(port)) == "SUCCESS"
        labels = plotted_labels(port, ASSET)
        assert len(labels) == 3
        wanted = {"documents", "computed", "reused_from_cache", "skipped", "removed_share"}
        assert all(wanted <= found for found in labels), labels
        assert all(any(label.startswith("removed_share_") for label in found) for found in labels)
        languages = plotted_labels(port, "language_tags")
        assert all({"language_share_en", "language_share_de"} <= found for found in languages), languages

        with contextlib.suppress(AssertionError):
            graphql(port, SET_NUX_SEEN)
        ARTIFACTS.mkdir(exist_ok=True)
        SCREENSHOT.unlink(missing_ok=True)
        FAILURE_SCREENSHOT.unlink(missing_ok=True)
        try:
            # The asset's overview: its metadata card switched from its table to its plots (Dagster 1.13).
            page.goto(f"http://127.0.0.1:{port}/assets/{ASSET}")
            page.get_by_text("Plots", exact=True).first.click()
            # Each numeric entry is a chart titled with its label.
            for label in ("documents", "computed", "removed_share"):
                expect(page.get_by_text(label, exact=True).first).to_be_visible()
            # The card's heading at the top of the view, so the screenshot is of plots, not of the schema.
            heading = page.get_by_text("Metadata", exact=True).first
            heading.evaluate("node => node.scrollIntoView({block: 'start'})")
            page.wait_for_timeout(2_000)  # the charts' drawing
            community_dialog = page.get_by_text("Join the Dagster community")
            if community_dialog.is_visible():
                page.get_by_role("button", name="Skip").click()
            expect(community_dialog).to_have_count(0)
            page.screenshot(path=str(SCREENSHOT))
        except Exception:
            with contextlib.suppress(Exception):
                page.screenshot(path=str(FAILURE_SCREENSHOT))
            raise
    assert _png_size(SCREENSHOT) == (VIEWPORT["width"], VIEWPORT["height"])
    assert SCREENSHOT.stat().st_size > 20_000, "the screenshot is too small to show the plots"
