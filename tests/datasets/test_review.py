"""The review page builder on the five seeds, through the pipeline's own steps and release writer."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from lxml import html

from pipeline.cleaning.ingest import DEFAULT_MAX_BYTES, make_doc_id
from pipeline.cleaning.quality import SIGNAL_NAMES, QualityThresholds
from pipeline.datasets.release import RELEASE_TABLES, REVIEW_PAGE, ReleasePolicy, render_dataset_card
from pipeline.datasets.review import MOST_REMOVED, choose_sample
from pipeline.datasets.schema import load_schema
from pipeline.datasets.stages import publish_release
from pipeline.datasets.steps import (
    PARSED_STEP_SCHEMA,
    CurateConfig,
    SeedsConfig,
    curate_input,
    curate_step,
    parse_step,
)
from pipeline.datasets.tables import CURATED_SCHEMA
from tests.conftest import REPO, SEEDS, load_gold, normalise_ws, raw_row

SCHEMAS = {name: load_schema(REPO / "schemas", name) for name in RELEASE_TABLES}
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


@pytest.fixture(scope="module")
def stages(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The parsed and curated stages of the five seeds (single-file stages), made by the real steps."""
    folder = tmp_path_factory.mktemp("stages")
    parsed_rows, curated_rows = [], []
    for path in sorted(SEEDS.iterdir()):
        parsed = parse_step(SeedsConfig(str(SEEDS), DEFAULT_MAX_BYTES), raw_row(path))
        parsed_rows.append(parsed)
        curated_rows.append(curate_step(CurateConfig(), curate_input(parsed)))
    parsed_path, curated_path = folder / "parsed.parquet", folder / "curated.parquet"
    pq.write_table(pa.Table.from_pylist(parsed_rows, schema=PARSED_STEP_SCHEMA), parsed_path)
    pq.write_table(pa.Table.from_pylist(curated_rows, schema=CURATED_SCHEMA), curated_path)
    return parsed_path, curated_path


def publish(root: Path, stages: tuple[Path, Path], policy: ReleasePolicy | None = None) -> Path:
    parsed, curated = stages
    release, _ = publish_release(
        curated,
        root,
        SCHEMAS,
        {"settings": {"dedup_threshold": 0.8}},
        lambda manifest: render_dataset_card(manifest, SCHEMAS),
        policy=policy,
        parsed=parsed,
    )
    assert release.published
    assert isinstance(release.path, Path)  # a local folder
    return release.path


def page_of(version: Path) -> Any:
    return html.fromstring((version / REVIEW_PAGE).read_text(encoding="utf-8"))


def test_the_page_is_listed_in_the_manifest_linked_from_the_card_and_fetches_nothing(
    tmp_path: Path, stages: tuple[Path, Path]
) -> None:
    version = publish(tmp_path, stages)
    manifest = json.loads((version / "manifest.json").read_text())
    entry = manifest["extra_files"][REVIEW_PAGE]
    page = (version / REVIEW_PAGE).read_bytes()
    assert entry == {"sha256": hashlib.sha256(page).hexdigest(), "bytes": len(page)}
    assert f"]({REVIEW_PAGE})" in (version / "README.md").read_text()
    tree = page_of(version)
    assert not tree.xpath("//*[@src]")  # no script, image or frame loaded from anywhere
    assert [link.get("href") for link in tree.xpath("//link")] == ["data:,"]
    assert all(not a.get("href").startswith(("http", "//")) for a in tree.xpath("//a[@href]"))
    assert "default-src 'none'" in tree.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]


def test_every_chart_is_drawn_from_the_versions_numbers(tmp_path: Path, stages: tuple[Path, Path]) -> None:
    tree = page_of(publish(tmp_path, stages))
    assert tree.xpath("//figure/@data-chart") == CHARTS
    for chart in CHARTS:
        (figure,) = tree.xpath(f"//figure[@data-chart='{chart}']")
        assert figure.xpath(".//svg") or figure.xpath(".//p[@class='empty']"), chart
    # Two languages, both with bars; the removed-by-group bars hold the removed table's counts.
    languages = tree.xpath("//figure[@data-chart='language-documents']//g[@class='mark']/title/text()")
    assert sorted(languages) == ["de: 1", "en: 4"]
    removed = pq.read_table(tmp_path / "v0001" / "removed").to_pylist()
    groups: dict[str, int] = {}
    for row in removed:
        groups[row["rule_group"]] = groups.get(row["rule_group"], 0) + 1
    shown = tree.xpath("//figure[@data-chart='removed-by-group']//g[@class='mark']/title/text()")
    assert sorted(shown) == sorted(f"{group}: {n}" for group, n in groups.items())
    # The first version has nothing to compare with: the drift chart says so.
    assert "nothing to compare" in tree.xpath("string(//figure[@data-chart='drift'])")


def test_samples_mark_every_removed_span_in_place_with_its_rule_and_sections_with_languages(
    tmp_path: Path, stages: tuple[Path, Path]
) -> None:
    version = publish(tmp_path, stages)
    tree = page_of(version)
    parsed = {r["doc_id"]: r["text"] for r in pq.read_table(stages[0]).to_pylist()}
    removed = pq.read_table(version / "removed").to_pylist()
    sections = pq.read_table(version / "sections").to_pylist()
    articles = tree.xpath("//article[@class='sample']")
    assert len(articles) == 5  # five documents, each its own stratum
    gold = {make_doc_id(entry["file"]): entry for entry in load_gold()}
    for article in articles:
        doc_id = article.get("id").removeprefix("doc-")
        lines = parsed[doc_id].split("\n")
        blocks = article.xpath(".//div[@class='removed']")
        spans = sorted((r for r in removed if r["doc_id"] == doc_id), key=lambda r: r["line_start"])
        assert len(blocks) == len(spans)
        for block, span in zip(blocks, spans, strict=True):
            assert (block.get("data-rule"), block.get("data-group")) == (span["rule"], span["rule_group"])
            label = block.xpath("string(.//span[@class='span-label'])")
            assert f"removed by {span['rule']} · group {span['rule_group']}" in label
            numbers = [int(n) for n in block.xpath(".//span[@class='no']/text()")]
            assert numbers == list(range(span["line_start"], span["line_end"] + 1))
            texts = [t.xpath("string(.)") for t in block.xpath(".//span[@class='tx']")]
            assert texts == lines[span["line_start"] - 1 : span["line_end"]]
        kept = " ".join(
            t.xpath("string(.)")
            for t in article.xpath(".//span[@class='tx'][not(ancestor::div[@class='removed'])]")
        )
        for snippet in gold[doc_id]["must_drop"]:
            assert normalise_ws(snippet) not in normalise_ws(kept)
        for snippet in gold[doc_id]["must_keep"]:
            assert normalise_ws(snippet) in normalise_ws(kept)
        marks = article.xpath(".//div[@class='section-mark']")
        own = [s for s in sections if s["doc_id"] == doc_id]
        assert [m.get("data-language") for m in marks] == [s["language"] or "und" for s in own]
        assert set(article.get("data-languages").split()) >= {gold[doc_id]["language"]}


def test_a_second_version_shows_thresholds_and_drift(tmp_path: Path, stages: tuple[Path, Path]) -> None:
    publish(tmp_path, stages)
    policy = ReleasePolicy(thresholds=QualityThresholds(max_frac_lines_bullet=0.3))
    tree = page_of(publish(tmp_path, stages, policy))
    marker = tree.xpath(
        "//figure[@data-chart='quality-frac_lines_bullet']//g[@class='threshold']/title/text()"
    )
    assert marker == ["threshold in force: max 0.3"]
    assert "under a quality threshold" in tree.xpath("string(//figure[@data-chart='kept-removed'])")
    metrics = tree.xpath("//table[@data-table='drift']//tr/td[1]/text()")
    assert "document_count" in metrics
    kept = json.loads((tmp_path / "v0002" / "manifest.json").read_text())["rows"]["documents"]
    assert kept < 5  # list-like documents are left out
    drift_bars = tree.xpath("//figure[@data-chart='drift']//g[@class='mark']/title/text()")
    assert f"document_count: {kept / 5 - 1:+.1%} (threshold ±20%)" in drift_bars


def test_the_sample_is_stratified_seeded_and_holds_the_most_removed() -> None:
    docs = [
        {
            "doc_id": f"{i:04d}",
            "language": ("en", "de", "fr")[i % 3],
            "format": ("text", "html")[i % 2],
            "n_chars": 1000,
            "removed_chars": (0, 50, 200, 900)[i % 4] + (5000 if i in (7, 8) else 0),
        }
        for i in range(600)
    ]
    picked = choose_sample(docs)
    assert picked == choose_sample(docs)  # the fixed seed: the same version shows the same documents
    assert picked != choose_sample(docs, seed=1)
    by_id = {d["doc_id"]: d for d in docs}
    strata = {(by_id[i]["language"], by_id[i]["format"]) for i, why in picked if "·" in why}
    assert len(strata) == 6
    assert {"0007", "0008"} <= {i for i, _ in picked}
    assert len(picked) <= 16 + MOST_REMOVED
