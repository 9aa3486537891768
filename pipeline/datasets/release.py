"""Assemble the release tables from the pipeline's tables, and write the dataset card."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.cleaning.quality import (
    RULE_GROUP,
    SIGNAL_NAMES,
    QualitySignals,
    QualityThresholds,
    card_section,
    failed_thresholds,
)
from pipeline.datasets.dedup import DECISIONS_SCHEMA, EXACT_RULE, NEAR_RULE
from pipeline.datasets.schema import TableSchema

RELEASE_TABLES = ("documents", "sections", "removed", "redactions")
REVIEW_PAGE = "review/index.html"  # the version's review page (review.py), when its manifest lists it
DUPLICATE_GROUP = "duplicate"  # removed.rule_group of a document dropped as a duplicate


def flatten_items(documents: pa.Table, column: str, names: Sequence[str]) -> pa.Table:
    """One row per item of a list-of-struct column, with its document's doc_id, as the named columns."""
    lists = documents.column(column).combine_chunks()
    items = pc.list_flatten(lists)
    parents = pc.list_parent_indices(lists)
    columns = {"doc_id": documents.column("doc_id").take(parents)}
    present = {items.type.field(i).name for i in range(items.type.num_fields)}
    columns.update({name: items.field(name) for name in names if name in present})
    # Names and values only: a missing column or a type that breaks the schema is for the validator to
    # report, not an error here.
    found = [name for name in names if name in columns]
    return pa.table([columns[name] for name in found], names=found)


@dataclass(frozen=True)
class ReleasePolicy:
    """What the release leaves out: duplicates (unless kept) and documents below a quality threshold."""

    duplicates: pa.Table = field(default_factory=DECISIONS_SCHEMA.empty_table)  # find_duplicates' decisions
    keep_duplicates: bool = False
    thresholds: QualityThresholds = field(default_factory=QualityThresholds)

    def settings(self) -> dict[str, Any]:
        """What the policy leaves out besides the duplicate decisions."""
        return {"keep_duplicates": self.keep_duplicates, "thresholds": self.thresholds.in_force()}

    def digest(self, doc_ids: pa.Array | None = None) -> str:
        """A digest of what the policy leaves out (of the given documents, else all): equal digests, equal
        releases from equal rows."""
        decisions = self.duplicates
        if doc_ids is not None:
            decisions = decisions.filter(pc.is_in(decisions.column("doc_id"), value_set=doc_ids))
        rows = decisions.sort_by("doc_id").to_pydict()
        text = json.dumps([rows, self.settings()], sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _failed_thresholds(documents: pa.Table, thresholds: QualityThresholds) -> list[tuple[str, pa.Array]]:
    """(rule, mask) per threshold some document fails (a null signal fails none)."""
    if not thresholds.active:
        return []
    rows = documents.select(list(SIGNAL_NAMES)).to_pylist()
    failures = [set(failed_thresholds(QualitySignals(**row), thresholds)) for row in rows]
    rules = sorted(set().union(*failures))
    return [(rule, pa.array([rule in failed for failed in failures], pa.bool_())) for rule in rules]


def _whole_document_rows(documents: pa.Table, mask: pa.Array, rules: pa.Array, group: str) -> pa.Table:
    """`removed` rows for the masked whole documents (duplicates, quality), `rules` aligned with
    `documents`: the span is the document's curated text, its own text not repeated."""
    dropped = documents.filter(mask)
    n = dropped.num_rows
    return pa.table(
        {
            "doc_id": dropped.column("doc_id"),
            "rule": rules.filter(mask),
            "rule_group": pa.array([group] * n, pa.string()),
            "text": pa.array([""] * n, pa.string()),
            "char_start": pa.array([0] * n, pa.int64()),
            "char_end": dropped.column("n_chars"),
            "line_start": pa.array([1] * n, pa.int32()),
            "line_end": pc.cast(pc.add(pc.count_substring(dropped.column("text"), "\n"), 1), pa.int32()),
            "duplicate_of": dropped.column("duplicate_of"),
            "score": pa.nulls(n, pa.float32()),
        }
    )


def release_chunk(
    curated: pa.Table | pa.RecordBatch,
    schemas: Mapping[str, TableSchema],
    policy: ReleasePolicy | None = None,
) -> dict[str, pa.Table]:
    """The release tables' rows for a chunk of curated documents (skipped ones left out).

    Duplicates are left out of `documents` unless kept, documents outside a quality threshold always;
    each such document becomes a `removed` row with its rule, and its sections, spans and redactions go.
    """
    policy = policy or ReleasePolicy()
    table = curated if isinstance(curated, pa.Table) else pa.Table.from_batches([curated])
    documents = table.filter(pc.is_null(table.column("skip_reason")))
    where = pc.index_in(documents.column("doc_id"), value_set=policy.duplicates.column("doc_id"))
    documents = documents.append_column("duplicate_of", policy.duplicates.column("duplicate_of").take(where))
    drop_duplicates = pc.and_(pc.is_valid(where), pa.scalar(not policy.keep_duplicates))
    failed = _failed_thresholds(documents, policy.thresholds)
    dropped = drop_duplicates
    for _, mask in failed:
        dropped = pc.or_(dropped, mask)
    kept = documents.filter(pc.invert(dropped))
    whole = [
        _whole_document_rows(
            documents, drop_duplicates, policy.duplicates.column("rule").take(where), DUPLICATE_GROUP
        ),
        *(
            _whole_document_rows(documents, mask, pa.array([rule] * documents.num_rows), RULE_GROUP)
            for rule, mask in failed
        ),
    ]
    spans = flatten_items(kept, "removed", schemas["removed"].arrow.names)
    spans = spans.append_column("duplicate_of", pa.nulls(spans.num_rows, pa.string()))
    spans = spans.select([n for n in schemas["removed"].arrow.names if n in spans.column_names])
    removed = pa.concat_tables([spans, *(w.select(spans.column_names).cast(spans.schema) for w in whole)])
    return {
        "documents": kept.select([n for n in schemas["documents"].arrow.names if n in kept.column_names]),
        "sections": flatten_items(kept, "sections", schemas["sections"].arrow.names),
        "removed": removed,
        "redactions": flatten_items(kept, "redactions", schemas["redactions"].arrow.names),
    }


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A small Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _decisions_card(manifest: Mapping[str, Any]) -> list[str]:
    """The card's lines on what curation decided: quality, duplicates, personal data, drift, schemas."""
    counts = manifest.get("counts", {})
    policy = manifest.get("release_policy", {})
    thresholds = QualityThresholds(**policy.get("quality_thresholds", {}))
    duplicates = counts.get("duplicates_removed", {})
    threshold = manifest.get("settings", {}).get("dedup_threshold", "?")
    where = (
        "They are kept in `documents`, with `duplicate_of` set."
        if policy.get("keep_duplicates")
        else "They are left out of `documents`; each is a `removed` row naming the kept one "
        "in `duplicate_of`."
    )
    redactions = ", ".join(f"{kind}: {n}" for kind, n in sorted(counts.get("redactions_by_type", {}).items()))
    report = manifest.get("drift")
    evolution = manifest.get("schema_evolution")
    return [
        "",
        card_section(thresholds, counts.get("removed_by_rule")),
        "",
        "## Duplicates",
        "",
        f"Exact duplicates: {duplicates.get(EXACT_RULE, 0)}; near duplicates (word 5-gram Jaccard "
        f"of at least {threshold}): {duplicates.get(NEAR_RULE, 0)}. {where}",
        "",
        "## Personal data",
        "",
        "E-mail addresses, phone numbers and IP addresses are replaced by `[EMAIL]`, `[PHONE]` and `[IP]`; "
        "the `redactions` table records each one's type and offsets, never the value. "
        + (redactions or "None found."),
        "",
        f"## Drift against {report['previous_version']}" if report else "## Drift",
        "",
        report["markdown"] if report else "The first version: nothing to compare with.",
        *(["", "## Schema changes", "", evolution["markdown"]] if evolution else []),
    ]


def _review_link(manifest: Mapping[str, Any]) -> list[str]:
    """The card's pointer to the version's review page, when it has one."""
    if REVIEW_PAGE not in manifest.get("extra_files", {}):
        return []
    return [
        "",
        f"**Review what curation kept and removed:** [{REVIEW_PAGE}]({REVIEW_PAGE}) (open it in a browser "
        "from disk: charts of kept and removed text by group and rule, languages, lengths, quality signals, "
        "duplicates, skipped files and drift, and sample documents with every removed span marked).",
    ]


def render_dataset_card(manifest: Mapping[str, Any], schemas: Mapping[str, TableSchema]) -> str:
    """The README.md of a version: what it holds, its schema, its counts, and how to load it."""
    version = manifest["version"]
    parts = [
        f"# webcurate curated dataset {version}",
        "",
        f"Created {manifest['created']} by webcurate {manifest.get('webcurate_version', '?')} "
        f"from {manifest.get('input', {}).get('files', '?')} input files "
        f"(fingerprint `{manifest.get('input', {}).get('fingerprint', '?')[:16]}`).",
        *_review_link(manifest),
        "",
        "## Tables",
        "",
        _markdown_table(
            ["table", "rows", "schema"],
            [(n, manifest["rows"][n], manifest["schemas"][n]) for n in manifest["rows"]],
        ),
    ]
    for name in manifest["rows"]:
        schema = schemas[name]
        parts += [
            "",
            f"### {name}",
            "",
            schema.description,
            "",
            _markdown_table(
                ["column", "type", "nullable", "description"],
                [
                    (c.name, f"`{c.type}`", "yes" if c.nullable else "no", c.description)
                    for c in schema.columns
                ],
            ),
        ]
    skipped = manifest.get("skipped", [])
    parts += ["", "## Skipped input files", ""]
    parts += [f"- `{s['source_path']}`: {s['reason']}" for s in skipped] or ["None."]
    counts = manifest.get("counts", {})
    for title, key in (
        ("Removed spans per rule", "removed_by_rule"),
        ("Documents per language", "languages"),
    ):
        if counts.get(key):
            parts += ["", f"## {title}", "", _markdown_table(["", "count"], sorted(counts[key].items()))]
    parts += _decisions_card(manifest)
    parts += [
        "",
        "## Load",
        "",
        "```python",
        "import pandas as pd",
        f'docs = pd.read_parquet("output/curated/{version}/documents")',
        "```",
        "",
    ]
    return "\n".join(parts)
