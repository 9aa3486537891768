"""Assemble the release tables from the pipeline's tables, and write the dataset card."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from pipeline.datasets.schema import TableSchema

RELEASE_TABLES = ("documents",)


def table_from_rows(rows: Sequence[Mapping[str, Any]], schema: TableSchema) -> pa.Table:
    """Rows to a table with the schema's explicit Arrow types (never inferred)."""
    arrow = schema.arrow
    return pa.Table.from_pylist([{name: row.get(name) for name in arrow.names} for row in rows], schema=arrow)


def documents_rows(parsed: pa.Table) -> list[dict[str, Any]]:
    """Release rows of the `documents` table from the curated documents (skipped rows left out)."""
    rows = []
    for row in parsed.filter(parsed.column("skip_reason").is_null()).to_pylist():
        row["n_chars"] = len(row["text"])
        row["n_words"] = len(row["text"].split())
        row["extra"] = row["extra"] or []
        rows.append(row)
    rows.sort(key=lambda r: r["source_path"])
    return rows


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
