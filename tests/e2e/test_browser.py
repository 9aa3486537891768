"""The Dagster UI as a person sees it: headless Chromium opens `dagster dev` and finds the asset graph.

The browser is Debian's `chromium` (/usr/bin/chromium, installed by scripts/ensure_browser.sh), driven by
the `playwright` wheel's bundled driver; no browser build is ever downloaded. A screenshot of the graph
is kept in test-artifacts/ui-asset-graph.png (and ui-failure.png when a check fails).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import struct
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

from tests.conftest import ASSET_NAMES, REPO
from tests.e2e.conftest import ASSETS_QUERY, graphql

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page, ViewportSize

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
SCREENSHOT = ARTIFACTS / "ui-asset-graph.png"
FAILURE_SCREENSHOT = ARTIFACTS / "ui-failure.png"
LOCATION = "webcurate"
GROUP = "curation"
ASSETS = ASSET_NAMES
VIEWPORT: ViewportSize = {"width": 1600, "height": 1000}
# The flags; the background-networking ones keep Chromium off the (closed) network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # A small /dev/shm (containers) crashes renderers; Debian's wrapper only sometimes adds this.
    "--disable-dev-shm-usage",
]
TIMEOUT_MS = 30_000
# On a loopback origin Dagster's UI opens a "Join the Dagster community" dialog a second after the first
# page load. Its Skip button does both of these: a localStorage flag, and a mutation that records in
# DAGSTER_HOME that the dialog was seen. The test does the same, so the dialog never covers the graph.
DISMISS_COMMUNITY_DIALOG = "try { window.localStorage.setItem('communityNux', '\"1\"'); } catch (e) {}"
SET_NUX_SEEN = "mutation { setNuxSeen }"


def _unavailable(reason: str) -> NoReturn:
    """Fail under CI (a missing browser is a broken setup there); skip with the reason elsewhere."""
    hint = "run scripts/ensure_browser.sh and `pip install -e '.[dev]'` (make test does both)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; {hint}", pytrace=False)
    pytest.skip(f"{reason}; {hint}")


@pytest.fixture()
def browser_page() -> Iterator[Page]:
    """A Playwright page in a fresh headless Chromium with its own temporary profile."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"no Chromium at {CHROMIUM} (Debian package `chromium`)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the Python package `playwright` is not installed")
    profile = Path(tempfile.mkdtemp(prefix="webcurate-chromium-"))
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(profile),
                executable_path=str(CHROMIUM),
                headless=True,
                args=CHROMIUM_ARGS,
                viewport=VIEWPORT,
            )
            try:
                context.set_default_timeout(TIMEOUT_MS)
                context.add_init_script(DISMISS_COMMUNITY_DIALOG)
                yield context.new_page()
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def _wait_inside_viewport(page: Page, nodes: list[Locator], timeout_s: float = 15) -> None:
    """Wait until every node is drawn wholly inside the viewport (the graph's zoom-to-fit has settled)."""
    deadline = time.monotonic() + timeout_s
    while True:
        boxes = [node.bounding_box() for node in nodes]
        if all(
            box
            and box["width"] > 0
            and box["x"] >= 0
            and box["y"] >= 0
            and box["x"] + box["width"] <= VIEWPORT["width"]
            and box["y"] + box["height"] <= VIEWPORT["height"]
            for box in boxes
        ):
            return
        assert time.monotonic() < deadline, f"asset nodes not all inside the viewport: {boxes}"
        page.wait_for_timeout(250)


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk; fails if the file is not a PNG."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


# `browser_page` comes before `ui`: a missing browser is reported before `dagster dev` is started.
def test_asset_graph_and_asset_page_render(browser_page: Page, ui: tuple[int, Path]) -> None:
    from playwright.sync_api import expect

    page = browser_page
    port, _ = ui
    base = f"http://127.0.0.1:{port}"
    descriptions = {
        "/".join(node["assetKey"]["path"]): node["description"]
        for node in graphql(port, ASSETS_QUERY)["assetNodes"]
    }
    # The UI renders descriptions as Markdown: look for the first paragraph's words, without code ticks.
    first_paragraph = (descriptions.get("curated_dataset") or "").strip().split("\n\n")[0]
    description = " ".join(first_paragraph.replace("`", "").split())
    assert description, f"curated_dataset has no description: {descriptions}"

    with contextlib.suppress(AssertionError):  # a Dagster without this mutation: the other two ways remain
        graphql(port, SET_NUX_SEEN)

    ARTIFACTS.mkdir(exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    FAILURE_SCREENSHOT.unlink(missing_ok=True)
    try:
        # The group's lineage graph: each asset is a node drawn inside the graph's SVG.
        page.goto(f"{base}/locations/{LOCATION}/asset-groups/{GROUP}")
        graph = page.locator("svg foreignObject")
        nodes = [graph.get_by_text(key, exact=True).first for key in ASSETS]
        for node in nodes:
            expect(node).to_be_visible()
        _wait_inside_viewport(page, nodes)
        page.wait_for_timeout(1_500)  # past the dialog's one-second delay, and the zoom's last frames
        community_dialog = page.get_by_text("Join the Dagster community")
        if community_dialog.is_visible():  # neither dismissal was honoured: press Skip as a person would
            page.get_by_role("button", name="Skip").click()
        expect(community_dialog).to_have_count(0)
        page.screenshot(path=str(SCREENSHOT))

        # The asset's own page shows its definition's description.
        page.goto(f"{base}/assets/curated_dataset")
        expect(page.get_by_text("curated_dataset", exact=True).first).to_be_visible()
        expect(page.get_by_text(description).first).to_be_visible()
    except Exception:
        with contextlib.suppress(Exception):
            page.screenshot(path=str(FAILURE_SCREENSHOT))
        raise

    width, height = _png_size(SCREENSHOT)
    assert (width, height) == (VIEWPORT["width"], VIEWPORT["height"])
    assert SCREENSHOT.stat().st_size > 20_000, "the screenshot is too small to show the graph"
