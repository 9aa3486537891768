"""Assemble the release tables from the pipeline's tables, and write the dataset card."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.datasets.schema import TableSchema

RELEASE_TABLES = ("documents", "sections", "removed")


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


def release_chunk(
    curated: pa.Table | pa.RecordBatch, schemas: Mapping[str, TableSchema]
) -> dict[str, pa.Table]:
    """The release tables' rows for a chunk of curated documents (skipped ones left out)."""
    table = curated if isinstance(curated, pa.Table) else pa.Table.from_batches([curated])
    documents = table.filter(pc.is_null(table.column("skip_reason")))
    return {
        "documents": documents.select(
            [n for n in schemas["documents"].arrow.names if n in table.column_names]
        ),
        "sections": flatten_items(documents, "sections", schemas["sections"].arrow.names),
        "removed": flatten_items(documents, "removed", schemas["removed"].arrow.names),
    }


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
