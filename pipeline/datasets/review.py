"""The review page of a version: `review/index.html`, one self-contained file a curator opens from disk.

Charts (inline SVG drawn by the Jinja2 template from numbers computed here with pyarrow.compute) show
what was kept and removed, by group and rule, the language mix, document lengths, each quality signal
with its thresholds, duplicates, skipped files, and the drift against the previous version. A sample of
documents (one per language x format x removal-share stratum, drawn with a fixed seed, and the documents
with the most removed) shows each parsed body with every removed span marked in place by its rule,
group and score, and where each section begins with its language; small inline JavaScript filters them.

Nothing on the page is fetched: no script, style, font or image comes from elsewhere, and its
Content-Security-Policy forbids any request. Text from the parsed bodies is redacted as the release's
texts are (e-mail addresses, phone numbers, IP addresses).
"""

from __future__ import annotations

import math
import random
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.cleaning.pii import redact_pii
from pipeline.cleaning.quality import SIGNALS
from pipeline.datasets.explain import Line, SectionMark, body_lines, place_sections
from pipeline.datasets.files import StageFileMissing, stage_files
from pipeline.datasets.release import REVIEW_PAGE

TEMPLATE = Path(__file__).parent / "templates" / "review.html.j2"
SEED = 20240601  # the sample's fixed seed: the same version always shows the same documents
STRATIFIED_SAMPLES = 16  # at most one document per stratum, the largest strata first
MOST_REMOVED = 4  # and the documents that lost the most characters
MAX_LINES = 220  # lines shown per sampled document (the rest is counted)
MAX_RULES = 24  # bars of the removed-by-rule chart (the rest summed as "other rules")
WHOLE_GROUPS = ("duplicate", "quality")  # removed rows that stand for a whole document left out
SHARE_BUCKETS = ((0.0, "nothing removed"), (0.1, "under 10% removed"), (0.3, "10-30% removed"))
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
KEPT_COLOUR, REMOVED_COLOUR = "#59a14f", "#e15759"
CHART_WIDTH = 460  # SVG user units; the page scales each chart to its box


@dataclass(frozen=True)
class ReviewSources:
    """Stages the page reads besides the version: parsed bodies of the samples, every document's signals."""

    parsed: Path | None = None  # the parsed_documents stage (else samples show the curated text)
    curated: Path | None = None  # the curated stage (quality signals before thresholds; else published)


def colour(key: str) -> str:
    """A stable colour for a group or language name."""
    return PALETTE[zlib.crc32(key.encode()) % len(PALETTE)]


def _number(value: float) -> str:
    """A count or a measure, short: 12,345 or 0.123 or 1.2M."""
    if abs(value) >= 1e6:
        return f"{value / 1e6:.1f}M"
    if float(value).is_integer() or abs(value) >= 1000:
        return f"{round(value):,}"
    return f"{value:.3g}"


# --- charts as data ---------------------------------------------------------------------------------------


@dataclass
class Chart:
    """One chart: its id (the figure's data-chart), title, what it shows, and its SVG's marks."""

    id: str
    title: str
    note: str = ""
    kind: str = "bars"  # bars | stacked | histogram | empty
    height: int = 0
    marks: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)  # threshold markers and axis ticks
    legend: list[dict[str, str]] = field(default_factory=list)
    width: int = CHART_WIDTH


def bar_chart(
    chart_id: str,
    title: str,
    items: Sequence[tuple[str, float, str]],
    *,
    note: str = "",
    texts: Sequence[str] | None = None,
) -> Chart:
    """Horizontal bars: (label, value, colour) each, longest scaled to the width; `texts` instead of the
    values beside the bars."""
    if not items:
        return Chart(chart_id, title, note or "Nothing to show.", kind="empty", height=30)
    top = max(value for _, value, _ in items) or 1.0
    label_width, row = 180, 20
    shown = list(texts) if texts else [_number(value) for _, value, _ in items]
    span = CHART_WIDTH - label_width - 10 - 6 * max(len(text) for text in shown)
    marks = [
        {
            "label": label if len(label) <= 30 else label[:29] + "…",
            "full": label,
            "x": label_width,
            "y": 6 + i * row,
            "w": max(span * value / top, 1.0 if value else 0.0),
            "h": row - 6,
            "colour": fill,
            "value": shown[i],
        }
        for i, (label, value, fill) in enumerate(items)
    ]
    return Chart(chart_id, title, note, "bars", 12 + len(items) * row, marks)


def stacked_chart(
    chart_id: str, title: str, rows: Sequence[tuple[str, Sequence[tuple[str, float, str]]]], note: str = ""
) -> Chart:
    """One 100% bar per row, split into (segment, value, colour) pieces, with a shared legend."""
    label_width, row = 90, 34
    span = CHART_WIDTH - label_width - 10
    marks, legend = [], {}
    for i, (label, pieces) in enumerate(rows):
        total = sum(value for _, value, _ in pieces) or 1.0
        x = float(label_width)
        for name, value, fill in pieces:
            width = span * value / total
            marks.append(
                {
                    "label": label if x == label_width else "",
                    "x": x,
                    "y": 6 + i * row,
                    "w": width,
                    "h": row - 12,
                    "colour": fill,
                    "title": f"{label}, {name}: {_number(value)} ({value / total:.1%})",
                    "text": f"{value / total:.0%}" if width > 34 else "",
                }
            )
            legend[name] = fill
            x += width
    return Chart(
        chart_id,
        title,
        note,
        "stacked",
        8 + len(rows) * row,
        marks,
        legend=[{"name": k, "colour": v} for k, v in legend.items()],
    )


def histogram(
    chart_id: str,
    title: str,
    values: np.ndarray,
    *,
    log: bool = False,
    bounds: Mapping[str, float] | None = None,
    note: str = "",
    bins: int = 24,
) -> Chart:
    """Counts of `values` in equal bins (of log10 when `log`), with vertical markers at `bounds`."""
    values = values[np.isfinite(values)]
    if log:
        values = np.log10(np.maximum(values, 1.0))
    if values.size == 0:
        return Chart(chart_id, title, note or "No values.", kind="empty", height=30)
    marks_at = {name: (math.log10(max(v, 1.0)) if log else v) for name, v in (bounds or {}).items()}
    low = min(float(values.min()), *marks_at.values()) if marks_at else float(values.min())
    high = float(np.quantile(values, 0.99)) if values.size > 50 else float(values.max())
    high = max([high, *marks_at.values()])
    if high <= low:
        high = low + 1.0
    counts, edges = np.histogram(np.clip(values, low, high), bins=bins, range=(low, high))
    left, bottom, plot_w, plot_h = 40, 110, CHART_WIDTH - 50, 100
    top = int(counts.max()) or 1
    step = plot_w / bins

    def at(v: float) -> float:
        """The x of a value."""
        return left + plot_w * (v - low) / (high - low)

    def shown(v: float) -> str:
        """A bin edge as the reader knows it."""
        return _number(round(10**v)) if log else _number(float(f"{v:.3g}"))

    marks = [
        {
            "x": left + i * step + 0.5,
            "y": bottom - plot_h * count / top,
            "w": max(step - 1, 0.5),
            "h": plot_h * count / top,
            "colour": "#4e79a7",
            "title": f"{shown(edges[i])} to {shown(edges[i + 1])}"
            + (" and above" if i == bins - 1 and values.max() > high else "")
            + f": {int(count):,}",
        }
        for i, count in enumerate(counts)
    ]
    lines: list[dict[str, Any]] = [
        {"x": at(v), "label": f"{name} {shown(v) if log else _number(bounds[name] if bounds else v)}"}
        for name, v in marks_at.items()
    ]
    ticks = [
        {"x": left, "text": shown(low), "anchor": "start"},
        {"x": left + plot_w, "text": shown(high), "anchor": "end"},
    ]
    chart = Chart(chart_id, title, note, "histogram", bottom + 22, marks, lines)
    chart.legend = [{"name": str(top), "colour": ""}]  # the y axis' top count
    chart.lines += [{"tick": True, **tick} for tick in ticks]
    return chart


# --- reading the version --------------------------------------------------------------------------------


def _table(folder: Path, name: str, columns: Sequence[str]) -> pa.Table:
    """The named columns of a table of the version folder (only those its files have)."""
    files = sorted((folder / name).glob("*.parquet"))
    if not files:
        return pa.table({c: pa.array([], pa.string()) for c in columns})
    have = set(pq.read_schema(files[0]).names)
    wanted = [c for c in columns if c in have]
    return pa.concat_tables([pq.ParquetFile(f).read(columns=wanted) for f in files])


def _counts(
    column: pa.ChunkedArray | pa.Array, weights: pa.ChunkedArray | pa.Array | None = None
) -> Counter[str]:
    """Rows (or the sum of `weights`) per value of a column, with pyarrow.compute."""
    if len(column) == 0:
        return Counter()
    table = pa.table({"key": pc.fill_null(pc.cast(column, pa.string()), "(none)")})
    if weights is None:
        grouped = table.group_by("key").aggregate([([], "count_all")])
        return Counter(dict(zip(grouped["key"].to_pylist(), grouped["count_all"].to_pylist(), strict=True)))
    table = table.append_column("weight", pc.cast(weights, pa.int64()))
    grouped = table.group_by("key").aggregate([("weight", "sum")])
    return Counter(dict(zip(grouped["key"].to_pylist(), grouped["weight_sum"].to_pylist(), strict=True)))


def _skip_kind(reason: str) -> str:
    """A skip reason without its particulars (sizes, paths, errno text in brackets)."""
    kind = re.sub(r"\s*\(.*?\)", "", reason)
    return re.sub(r"\d+(\.\d+)?", "N", kind).strip() or reason


def _charts(folder: Path, manifest: Mapping[str, Any], sources: ReviewSources) -> list[Chart]:
    """Every chart of the page, from the version's tables and manifest."""
    docs = _table(folder, "documents", ["doc_id", "language", "n_chars", "duplicate_of"])
    removed = _table(folder, "removed", ["rule", "rule_group", "char_start", "char_end"])
    whole = pc.is_in(removed["rule_group"], value_set=pa.array(WHOLE_GROUPS))
    spans, dropped = removed.filter(pc.invert(whole)), removed.filter(whole)
    span_chars = pc.subtract(spans["char_end"], spans["char_start"])
    kept_chars = int(pc.sum(docs["n_chars"]).as_py() or 0)
    by_group_docs = _counts(dropped["rule_group"])
    dropped_chars = _counts(dropped["rule_group"], dropped["char_end"])
    charts = [
        stacked_chart(
            "kept-removed",
            "Documents and characters kept and removed",
            [
                (
                    "documents",
                    [
                        ("kept", docs.num_rows, KEPT_COLOUR),
                        ("duplicate", by_group_docs.get("duplicate", 0), "#f28e2b"),
                        ("under a quality threshold", by_group_docs.get("quality", 0), "#b07aa1"),
                    ],
                ),
                (
                    "characters",
                    [
                        ("kept", kept_chars, KEPT_COLOUR),
                        ("boilerplate spans", int(pc.sum(span_chars).as_py() or 0), REMOVED_COLOUR),
                        ("duplicate", dropped_chars.get("duplicate", 0), "#f28e2b"),
                        ("under a quality threshold", dropped_chars.get("quality", 0), "#b07aa1"),
                    ],
                ),
            ],
            note=f"{docs.num_rows:,} documents published; characters of the parsed bodies.",
        )
    ]
    groups = _counts(spans["rule_group"])
    group_chars = _counts(spans["rule_group"], span_chars)
    charts.append(
        bar_chart(
            "removed-by-group",
            "Removed spans by group",
            [(g, n, colour(g)) for g, n in groups.most_common()],
            note="Spans (a run of lines one rule removed); characters: "
            + ", ".join(f"{g} {_number(group_chars[g])}" for g, _ in groups.most_common(6)),
        )
    )
    rules = _counts(spans["rule"])
    rule_group = dict(zip(spans["rule"].to_pylist(), spans["rule_group"].to_pylist(), strict=True))
    top = rules.most_common(MAX_RULES)
    rest = sum(rules.values()) - sum(n for _, n in top)
    items = [(f"{r} ({rule_group[r]})", n, colour(rule_group[r])) for r, n in top]
    charts.append(
        bar_chart(
            "removed-by-rule",
            "Removed spans by rule",
            items + ([(f"{len(rules) - len(top)} other rules", rest, "#bab0ac")] if rest else []),
            note="Coloured by group.",
        )
    )
    languages = _counts(docs["language"])
    language_chars = _counts(docs["language"], docs["n_chars"])
    charts.append(
        bar_chart(
            "language-documents",
            "Language mix: documents",
            [(lang, n, colour(lang)) for lang, n in languages.most_common(20)],
        )
    )
    charts.append(
        bar_chart(
            "language-characters",
            "Language mix: characters",
            [(lang, n, colour(lang)) for lang, n in language_chars.most_common(20)],
        )
    )
    lengths = docs["n_chars"].to_numpy(zero_copy_only=False).astype(float)
    charts.append(
        histogram(
            "length",
            "Document length (characters, log scale)",
            lengths,
            log=True,
            note=f"median {_number(float(np.median(lengths))) if lengths.size else 0} characters",
        )
    )
    charts += _quality_charts(folder, manifest, sources)
    charts.append(_duplicates_chart(docs, by_group_docs, manifest))
    skipped = Counter(_skip_kind(str(s.get("reason", ""))) for s in manifest.get("skipped", []))
    charts.append(
        bar_chart(
            "skipped",
            "Skipped files by reason",
            [(reason, n, "#9c755f") for reason, n in skipped.most_common(15)],
            note=f"{sum(skipped.values()):,} input files not curated; the manifest lists each and why."
            if skipped
            else "No input file was skipped.",
        )
    )
    charts.append(_drift_chart(manifest))
    return charts


def _quality_charts(folder: Path, manifest: Mapping[str, Any], sources: ReviewSources) -> list[Chart]:
    """One histogram per quality signal, with the thresholds in force as markers."""
    names = [spec.name for spec in SIGNALS]
    table: pa.Table | None = None
    scope = "documents published"
    if sources.curated is not None:
        try:
            parts = [
                pq.ParquetFile(f).read(columns=[*names, "skip_reason"]) for f in stage_files(sources.curated)
            ]
        except (StageFileMissing, OSError, KeyError, pa.ArrowInvalid):
            parts = []
        if parts:
            table = pa.concat_tables(parts)
            table = table.filter(pc.is_null(table["skip_reason"]))
            scope = "documents curated (before thresholds and deduplication)"
    if table is None:
        table = _table(folder, "documents", names)
    thresholds = manifest.get("release_policy", {}).get("quality_thresholds", {})
    charts = []
    for spec in SIGNALS:
        if spec.name not in table.column_names:
            continue
        values = pc.drop_null(table[spec.name]).to_numpy(zero_copy_only=False).astype(float)
        bounds = {
            f"{side} ": float(thresholds[key])
            for side in ("min", "max")
            if (key := f"{side}_{spec.name}") in thresholds
        }
        in_force = ", ".join(f"{k}{_number(v)}" for k, v in bounds.items()) or "no threshold set"
        charts.append(
            histogram(
                f"quality-{spec.name}",
                spec.name,
                values,
                log=spec.name == "word_count",
                bounds={k.strip(): v for k, v in bounds.items()},
                note=f"{in_force}; {values.size:,} {scope}.",
            )
        )
    return charts


def _duplicates_chart(docs: pa.Table, by_group: Counter[str], manifest: Mapping[str, Any]) -> Chart:
    """Exact and near duplicates: left out, or kept with duplicate_of set."""
    counts = manifest.get("counts", {}).get("duplicates_removed", {})
    kept = manifest.get("release_policy", {}).get("keep_duplicates", False)
    items = [(rule.replace("_", " "), n, "#f28e2b") for rule, n in sorted(counts.items())]
    marked = (
        int(pc.sum(pc.is_valid(docs["duplicate_of"])).as_py() or 0)
        if "duplicate_of" in docs.column_names
        else 0
    )
    if kept:
        items.append(("kept, duplicate_of set", marked, "#76b7b2"))
    threshold = manifest.get("settings", {}).get("dedup_threshold", "?")
    return bar_chart(
        "duplicates",
        "Duplicates",
        items,
        note=f"{by_group.get('duplicate', 0):,} documents left out as duplicates (near: word 5-gram Jaccard "
        f"of at least {threshold}).",
    )


def _drift_chart(manifest: Mapping[str, Any]) -> Chart:
    """The drift check's relative changes against the previous version, with the thresholds."""
    report = manifest.get("drift")
    if not report:
        return Chart(
            "drift",
            "Change against the previous version",
            "The first version: nothing to compare.",
            "empty",
            30,
        )
    items, texts = [], []
    for metric in report.get("metrics", []):
        change = metric.get("change")
        if change is None or not metric.get("judged", True):
            continue
        fill = REMOVED_COLOUR if metric.get("past_threshold") else KEPT_COLOUR
        items.append((metric["name"], abs(float(change)), fill))
        limit = float(metric["threshold"])
        if metric["name"] == "language_mix":  # a distance, not a relative change
            texts.append(f"{float(change):.3f} (threshold {limit:g})")
        else:
            texts.append(f"{float(change):+.1%} (threshold ±{limit:.0%})")
    chart = bar_chart(
        "drift",
        f"Change against {report.get('previous_version')}",
        items,
        texts=texts,
        note="Relative change of each judged metric (language_mix: total variation distance); red is past "
        "its threshold. The table has every number.",
    )
    if chart.kind == "empty":
        chart.note = "No judged metric changed."
    return chart


# --- the sample ---------------------------------------------------------------------------------------


def _bucket(share: float) -> str:
    """The removal-share stratum of a document."""
    for limit, name in SHARE_BUCKETS:
        if share <= limit:
            return name
    return "over 30% removed"


def choose_sample(docs: Sequence[Mapping[str, Any]], seed: int = SEED) -> list[tuple[str, str]]:
    """(doc_id, why) of the documents to show: one per language x format x removal-share stratum, the
    largest strata first, drawn with `seed`; then those that lost the most characters."""
    strata: dict[tuple[str, str, str], list[str]] = {}
    for doc in sorted(docs, key=lambda d: d["doc_id"]):
        total = (doc["n_chars"] or 0) + (doc["removed_chars"] or 0)
        share = (doc["removed_chars"] or 0) / total if total else 0.0
        strata.setdefault((doc["language"] or "und", doc["format"] or "?", _bucket(share)), []).append(
            doc["doc_id"]
        )
    rng = random.Random(seed)
    chosen: dict[str, str] = {}
    for key in sorted(strata, key=lambda k: (-len(strata[k]), k))[:STRATIFIED_SAMPLES]:
        chosen.setdefault(rng.choice(strata[key]), f"{key[0]} · {key[1]} · {key[2]}")
    most = sorted(docs, key=lambda d: (-(d["removed_chars"] or 0), d["doc_id"]))
    for doc in [d for d in most if (d["removed_chars"] or 0) > 0][:MOST_REMOVED]:
        chosen.setdefault(doc["doc_id"], "among the most removed")
    return list(chosen.items())


def _parsed_bodies(parsed: Path | None, doc_ids: Iterable[str]) -> dict[str, str]:
    """The parsed bodies of the given documents, reading only the row groups that hold them."""
    ids_wanted = set(doc_ids)
    wanted = pa.array(sorted(ids_wanted), pa.string())
    found: dict[str, str] = {}
    if parsed is None or not len(wanted):
        return found
    try:
        files = stage_files(parsed)
    except (StageFileMissing, OSError):
        return found
    for file in files:
        reader = pq.ParquetFile(file)
        ids = reader.read(columns=["doc_id"])["doc_id"]
        rows = pc.indices_nonzero(pc.is_in(ids, value_set=wanted)).to_pylist()
        if not rows:
            continue
        starts = np.cumsum(
            [0] + [reader.metadata.row_group(i).num_rows for i in range(reader.num_row_groups)]
        )
        groups = sorted({int(np.searchsorted(starts, row, side="right")) - 1 for row in rows})
        table = reader.read_row_groups(groups, columns=["doc_id", "text"])
        for doc_id, text in zip(table["doc_id"].to_pylist(), table["text"].to_pylist(), strict=True):
            if text is not None and doc_id in ids_wanted:
                found[doc_id] = text
    return found


def _redacted(lines: list[Line]) -> list[Line]:
    """The lines with personal data replaced, one line at a time (line numbers unchanged)."""
    out = []
    for line in lines:
        text, found = redact_pii(line.text)
        out.append(Line(line.number, text, line.rule, line.group, line.score) if found else line)
    return out


def _blocks(lines: Sequence[Line], marks: Sequence[SectionMark]) -> tuple[list[dict[str, Any]], int]:
    """The lines as blocks for the template: sections' starts, runs of kept lines, removed spans; and how
    many lines were left out past MAX_LINES."""
    starts: dict[int, list[SectionMark]] = {}
    for mark in marks:
        if mark.line is not None:
            starts.setdefault(mark.line, []).append(mark)
    blocks: list[dict[str, Any]] = []
    for line in lines[:MAX_LINES]:
        for mark in starts.get(line.number, []):
            blocks.append({"kind": "section", "mark": mark})
        key = None if line.kept else (line.rule, line.group, line.score)
        last = blocks[-1] if blocks else None
        if (
            last
            and last["kind"] in ("kept", "removed")
            and last["key"] == key
            and not starts.get(line.number)
        ):
            last["lines"].append(line)
        else:
            blocks.append(
                {"kind": "kept" if line.kept else "removed", "key": key, "lines": [line], "first": line}
            )
    return blocks, max(len(lines) - MAX_LINES, 0)


def _samples(folder: Path, sources: ReviewSources, seed: int) -> list[dict[str, Any]]:
    """The sampled documents, each with its lines in blocks, its rules, groups and languages."""
    docs = _table(
        folder,
        "documents",
        ["doc_id", "source_path", "title", "format", "language", "n_chars", "removed_chars", "n_removed"],
    )
    rows = docs.to_pylist()
    picked = choose_sample(rows, seed)
    ids = pa.array([doc_id for doc_id, _ in picked], pa.string())
    by_id = {row["doc_id"]: row for row in rows}
    spans_table = _table(
        folder, "removed", ["doc_id", "rule", "rule_group", "text", "line_start", "line_end", "score"]
    )
    spans_table = spans_table.filter(pc.is_in(spans_table["doc_id"], value_set=ids))
    sections_table = _table(
        folder,
        "sections",
        [
            "doc_id",
            "section_index",
            "heading",
            "level",
            "char_start",
            "char_end",
            "language",
            "language_score",
            "language_inherited",  # newer versions: a section too short to tag has its document's
        ],
    )
    sections_table = sections_table.filter(pc.is_in(sections_table["doc_id"], value_set=ids))
    texts = _table(folder, "documents", ["doc_id", "text"])
    texts = texts.filter(pc.is_in(texts["doc_id"], value_set=ids))
    clean = dict(zip(texts["doc_id"].to_pylist(), texts["text"].to_pylist(), strict=True))
    spans: dict[str, list[dict[str, Any]]] = {}
    for span in spans_table.to_pylist():
        spans.setdefault(span["doc_id"], []).append(span)
    sections: dict[str, list[dict[str, Any]]] = {}
    for section in sections_table.to_pylist():
        sections.setdefault(section["doc_id"], []).append(section)
    bodies = _parsed_bodies(sources.parsed, ids.to_pylist())
    samples = []
    for doc_id, why in picked:
        doc = by_id[doc_id]
        own = sorted(spans.get(doc_id, []), key=lambda s: s["line_start"])
        own_sections = sorted(sections.get(doc_id, []), key=lambda s: s["section_index"])
        body = bodies.get(doc_id)
        in_place = body is not None
        if body is not None:
            lines = _redacted(body_lines(body, own))
        else:  # no parsed stage: the curated text, the removed spans listed after it
            lines = body_lines(clean.get(doc_id) or "", [])
        marks = place_sections(lines, clean.get(doc_id) or "", own_sections)
        blocks, more = _blocks(lines, marks)
        total = (doc["n_chars"] or 0) + (doc["removed_chars"] or 0)
        languages = sorted({doc["language"] or "und", *(s["language"] or "und" for s in own_sections)})
        samples.append(
            {
                **doc,
                "why": why,
                "share": (doc["removed_chars"] or 0) / total if total else 0.0,
                "rules": sorted({s["rule"] for s in own}),
                "groups": sorted({s["rule_group"] for s in own}),
                "languages": languages,
                "blocks": blocks,
                "more_lines": more,
                "in_place": in_place,
                "spans": own,
                "sections": marks,
            }
        )
    return samples


# --- the page -----------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    """The Jinja2 environment: the page's template, HTML autoescaped."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE.parent)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["number"] = _number
    env.globals["colour"] = colour
    return env


def render_review(
    folder: Path, manifest: Mapping[str, Any], sources: ReviewSources | None = None, *, seed: int = SEED
) -> str:
    """The review page of the version in `folder` (published or staged) as HTML."""
    sources = sources or ReviewSources()
    charts = _charts(folder, manifest, sources)
    samples = _samples(folder, sources, seed)
    counts = manifest.get("counts", {})
    drift = manifest.get("drift") or {}
    return (
        _environment()
        .get_template(TEMPLATE.name)
        .render(
            version=manifest.get("version", folder.name),
            manifest=manifest,
            counts=counts,
            charts=charts,
            quality=[c for c in charts if c.id.startswith("quality-")],
            main=[c for c in charts if not c.id.startswith("quality-") and c.id != "drift"],
            drift_chart=next(c for c in charts if c.id == "drift"),
            drift=drift,
            samples=samples,
            rules=sorted({r for s in samples for r in s["rules"]}),
            groups=sorted({g for s in samples for g in s["groups"]}),
            languages=sorted({lang for s in samples for lang in s["languages"]}),
            thresholds=manifest.get("release_policy", {}).get("quality_thresholds", {}),
        )
    )


def write_review(
    folder: Path, manifest: Mapping[str, Any], sources: ReviewSources | None = None
) -> list[str]:
    """Write `review/index.html` into a (staged) version folder; the paths written, relative to it."""
    path = folder / REVIEW_PAGE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_review(folder, manifest, sources), encoding="utf-8")
    return [REVIEW_PAGE]
