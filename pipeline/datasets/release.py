"""Assemble the release tables from the pipeline's tables, and write the dataset card."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from pipeline.datasets.schema import TableSchema

RELEASE_TABLES = ("documents", "sections", "removed")
LANGUAGE_COLUMNS = ("language", "language_score", "needs_translation", "translated_text")


def table_from_rows(rows: Sequence[Mapping[str, Any]], schema: TableSchema) -> pa.Table:
    """Rows to a table with the schema's explicit Arrow types (never inferred)."""
    arrow = schema.arrow
    return pa.Table.from_pylist([{name: row.get(name) for name in arrow.names} for row in rows], schema=arrow)


def release_rows(clean: pa.Table, sections: pa.Table, languages: pa.Table) -> dict[str, list[dict[str, Any]]]:
    """Rows of the release tables: documents (sorted by path), their sections and their removed spans."""
    language_of: dict[tuple[str, int | None], dict[str, Any]] = {
        (row["doc_id"], row["section_index"]): row for row in languages.to_pylist()
    }
    sections_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in sections.to_pylist():
        sections_of[row["doc_id"]].append(row)
    curated = clean.filter(clean.column("skip_reason").is_null()).to_pylist()
    documents: list[dict[str, Any]] = []
    section_rows: list[dict[str, Any]] = []
    removed_rows: list[dict[str, Any]] = []
    for row in sorted(curated, key=lambda r: r["source_path"]):
        doc_id = row["doc_id"]
        language = language_of[(doc_id, None)]
        spans = row.pop("removed") or []
        documents.append(
            {
                **row,
                "extra": row["extra"] or [],
                "n_chars": len(row["text"]),
                "n_words": len(row["text"].split()),
                "n_sections": len(sections_of[doc_id]),
                "n_removed": len(spans),
                **{name: language[name] for name in (*LANGUAGE_COLUMNS, "languages")},
            }
        )
        for section in sections_of[doc_id]:
            tag = language_of[(doc_id, section["section_index"])]
            section_rows.append({**section, **{name: tag[name] for name in LANGUAGE_COLUMNS}})
        removed_rows.extend({"doc_id": doc_id, **span} for span in spans)
    return {"documents": documents, "sections": section_rows, "removed": removed_rows}


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A small Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def render_dataset_card(manifest: Mapping[str, Any], schemas: Mapping[str, TableSchema]) -> str:
    """The README.md of a version: what it holds, its schema, its counts, and how to load it."""
    version = manifest["version"]
    parts = [
        f"# webcurate curated dataset {version}",
        "",
        f"Created {manifest['created']} by webcurate {manifest.get('webcurate_version', '?')} "
        f"from {manifest.get('input', {}).get('files', '?')} input files "
        f"(fingerprint `{manifest.get('input', {}).get('fingerprint', '?')[:16]}`).",
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
