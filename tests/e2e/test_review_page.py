"""The review page of published versions as a curator sees it: headless Chromium opens it from disk.

Two versions are published through the real CLI: v0001 from the five seeds, v0002 from the seeds plus
an exact copy of one and an empty file, under a quality threshold, so that every chart has numbers
(duplicates, skipped files, thresholds, drift). Each page must load with no console error and no
request but the file itself, draw every chart, and show its samples' removed spans with their rules.
Screenshots: test-artifacts/review.png (v0002's charts) and review-samples.png (v0001's samples).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.parquet as pq
import pytest

from pipeline.cleaning.quality import SIGNAL_NAMES
from tests.conftest import SEEDS
from tests.e2e.conftest import BIN, e2e_env, run_cli
from tests.e2e.test_browser import ARTIFACTS, browser_page  # noqa: F401 (the fixture)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

CHARTS = [
    "kept-removed",
    "removed-by-group",
    "removed-by-rule",
    "language-documents",
    "language-characters",
    "length",
    "duplicates",
    "skipped",
    *(f"quality-{name}" for name in SIGNAL_NAMES),
    "drift",
]
SCREENSHOT = ARTIFACTS / "review.png"
SAMPLES_SCREENSHOT = ARTIFACTS / "review-samples.png"


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The release root with v0001 (the five seeds) and v0002 (plus a duplicate and a skipped file, under
    a quality threshold), both published by `webcurate run`."""
    tmp = tmp_path_factory.mktemp("review")
    seeds = tmp / "seeds"
    shutil.copytree(SEEDS, seeds)
    first = run_cli([str(BIN / "webcurate"), "run"], e2e_env(tmp, seeds))
    assert "published: v0001" in first.stdout, first.stderr[-3000:]
    files = sorted(seeds.iterdir())
    shutil.copy(files[0], seeds / "copy_of_the_first.txt")
    (seeds / "empty.txt").write_bytes(b"")
    quality = tmp / "quality.yaml"
    quality.write_text("max_frac_lines_bullet: 0.3\n")
    second = run_cli(
        [str(BIN / "webcurate"), "run"], e2e_env(tmp, seeds, WEBCURATE_QUALITY_FILE=str(quality))
    )
    assert "published: v0002" in second.stdout, second.stderr[-3000:]
    yield tmp / "output" / "curated"


def open_page(page: Page, path: Path) -> tuple[list[str], list[str]]:
    """Load a page from disk; the console errors and the URLs it requested."""
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return errors, requests


def check_charts(page: Page, *, all_drawn: bool) -> None:
    """Every chart is on the page, visible; with `all_drawn`, each has marks (bars or histogram bins)."""
    from playwright.sync_api import expect

    assert page.eval_on_selector_all("figure.chart", "fs => fs.map(f => f.dataset.chart)") == CHARTS
    for chart in CHARTS:
        figure = page.locator(f"figure[data-chart='{chart}']")
        expect(figure).to_be_visible()
        if all_drawn:
            assert figure.locator("svg .mark").count() > 0, f"{chart} has no marks"


def check_samples(page: Page, version: Path) -> None:
    """Every sampled document shows each of its removed spans, labelled with its rule and group."""
    from playwright.sync_api import expect

    removed = pq.read_table(version / "removed").to_pylist()
    articles = page.locator("article.sample")
    assert articles.count() > 0
    shown_spans = 0
    for index in range(articles.count()):
        article = articles.nth(index)
        doc_id = (article.get_attribute("id") or "").removeprefix("doc-")
        spans = sorted((r for r in removed if r["doc_id"] == doc_id), key=lambda r: r["line_start"])
        blocks = article.locator("div.removed")
        assert blocks.count() == len(spans)
        for number, span in enumerate(spans):
            block = blocks.nth(number)
            expect(block).to_be_visible()
            label = block.locator(".span-label")
            expect(label).to_contain_text(f"removed by {span['rule']} · group {span['rule_group']}")
            first_line = span["text"].split("\n")[0].strip()
            if first_line:
                expect(block).to_contain_text(first_line[:60])
            shown_spans += 1
    assert shown_spans > 0


def test_the_review_pages_render_from_disk_with_every_chart_and_the_samples_spans(
    browser_page: Page,  # noqa: F811 (the fixture)
    versions: Path,
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    ARTIFACTS.mkdir(exist_ok=True)
    for stale in (SCREENSHOT, SAMPLES_SCREENSHOT):
        stale.unlink(missing_ok=True)
    try:
        first = versions / "v0001" / "review" / "index.html"
        errors, requests = open_page(page, first)
        check_charts(page, all_drawn=False)
        check_samples(page, versions / "v0001")
        assert page.locator("article.sample").count() == 5  # the five seeds, one stratum each
        # The filters: one rule shows only the documents it removed from, and dims the other spans.
        rule = page.locator("article.sample div.removed").first.get_attribute("data-rule")
        page.select_option("#filter-rule", rule)
        for index in range(page.locator("article.sample").count()):
            article = page.locator("article.sample").nth(index)
            has_rule = rule in (article.get_attribute("data-rules") or "").split()
            if has_rule:
                expect(article).to_be_visible()
            else:
                expect(article).to_be_hidden()
        page.select_option("#filter-rule", "")
        page.select_option("#filter-language", "de")
        expect(page.locator("article.sample:visible")).to_have_count(1)
        page.select_option("#filter-language", "")
        page.locator("#samples").scroll_into_view_if_needed()
        page.evaluate("document.getElementById('samples').scrollIntoView()")
        page.screenshot(path=str(SAMPLES_SCREENSHOT))
        assert errors == [], errors
        assert requests == [first.as_uri()], requests

        page.close()
        page = browser_page.context.new_page()
        second = versions / "v0002" / "review" / "index.html"
        errors, requests = open_page(page, second)
        check_charts(page, all_drawn=True)
        check_samples(page, versions / "v0002")
        expect(page.locator("figure[data-chart='quality-frac_lines_bullet'] .threshold")).to_have_count(1)
        expect(page.locator("table[data-table='drift']")).to_contain_text("document_count")
        expect(page.locator("figure[data-chart='skipped']")).to_contain_text("empty")
        page.screenshot(path=str(SCREENSHOT))
        assert errors == [], errors
        assert requests == [second.as_uri()], requests
    except Exception:
        with contextlib.suppress(Exception):
            page.screenshot(path=str(ARTIFACTS / "review-failure.png"))
        raise
    assert SCREENSHOT.stat().st_size > 20_000 and SAMPLES_SCREENSHOT.stat().st_size > 20_000
