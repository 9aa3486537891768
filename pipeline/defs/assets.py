"""The asset graph: thin Dagster wrappers that take upstream tables, call pure functions, return tables."""

import hashlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import dagster as dg
import pyarrow as pa

from pipeline import __version__
from pipeline.cleaning.document import RawDocument
from pipeline.cleaning.formats import parse_document
from pipeline.cleaning.ingest import walk_seeds
from pipeline.datasets import release as rel
from pipeline.datasets.schema import TableSchema, load_schema
from pipeline.datasets.tables import iter_raw, parsed_table, raw_table, skipped_of
from pipeline.datasets.versions import ReleaseBlocked, publish
from pipeline.defs.resources import WebcurateSettings

GROUP = "curation"


def column_schema(schema: pa.Schema | TableSchema) -> dg.TableSchema:
    """A table schema as Dagster column-schema metadata."""
    if isinstance(schema, TableSchema):
        columns = [dg.TableColumn(c.name, str(c.type), description=c.description) for c in schema.columns]
    else:
        columns = [dg.TableColumn(f.name, str(f.type)) for f in schema]
    return dg.TableSchema(columns=columns)


def skipped_metadata(table: pa.Table) -> dict[str, Any]:
    """Count and list of the skipped entries of a table, as asset metadata."""
    skipped = skipped_of(table)
    listing = "\n".join(f"- `{s['source_path']}`: {s['reason']}" for s in skipped[:50]) or "None."
    return {"skipped": len(skipped), "skipped_files": dg.MetadataValue.md(listing)}


def preview(rows: list[dict[str, Any]], limit: int = 3, chars: int = 400) -> dg.MetadataValue:
    """A Markdown preview of the first few documents."""
    blocks = []
    for row in rows[:limit]:
        text = row["text"][:chars].replace("\n", " ")
        blocks.append(f"**{row.get('title') or row['source_path']}** (`{row['source_path']}`)\n\n> {text}…")
    return dg.MetadataValue.md("\n\n".join(blocks) or "No documents.")


@dg.asset(group_name=GROUP, kinds={"python", "parquet"})
def raw_documents(context: dg.AssetExecutionContext, settings: WebcurateSettings) -> dg.Output[pa.Table]:
    """Every file of the seeds folder as bytes with its sha256; unreadable entries recorded as skipped."""
    table = raw_table(walk_seeds(settings.seeds_path, max_bytes=settings.max_file_bytes))
    context.log.info(f"read {table.num_rows} entries from {settings.seeds_path}")
    return dg.Output(
        table,
        metadata={
            "dagster/row_count": table.num_rows,
            "bytes": int(pa.compute.sum(table.column("size_bytes")).as_py() or 0),
            **skipped_metadata(table),
        },
    )


@dg.asset(group_name=GROUP, kinds={"python", "parquet"})
def parsed_documents(context: dg.AssetExecutionContext, raw_documents: pa.Table) -> dg.Output[pa.Table]:
    """Decoded, mojibake-repaired documents with metadata and Markdown/HTML reduced to plain body text."""
    items = [
        parse_document(item) if isinstance(item, RawDocument) else item for item in iter_raw(raw_documents)
    ]
    table = parsed_table(items)
    formats = Counter(row for row in table.column("format").to_pylist() if row)
    encodings = Counter(row for row in table.column("encoding").to_pylist() if row)
    return dg.Output(
        table,
        metadata={
            "dagster/row_count": table.num_rows,
            "dagster/column_schema": column_schema(table.schema),
            "formats": dict(formats),
            "encodings": dict(encodings),
            **skipped_metadata(table),
        },
    )


def input_fingerprint(raw: pa.Table) -> str:
    """A hash of the input listing: every path with its content hash or skip reason."""
    digest = hashlib.sha256()
    for row in sorted(
        raw.select(["source_path", "sha256", "skip_reason"]).to_pylist(), key=lambda r: r["source_path"]
    ):
        digest.update(
            f"{row['source_path']}\0{row['sha256']}\0{row['skip_reason']}\n".encode(
                "utf-8", "surrogateescape"
            )
        )
    return digest.hexdigest()


@dg.asset(
    group_name=GROUP,
    kinds={"parquet"},
    check_specs=[
        dg.AssetCheckSpec(
            "schema_valid",
            asset="curated_dataset",
            blocking=True,
            description="Every release table matches its schema in schemas/ (columns, types, nulls, values).",
        )
    ],
)
def curated_dataset(
    context: dg.AssetExecutionContext,
    settings: WebcurateSettings,
    raw_documents: pa.Table,
    parsed_documents: pa.Table,
) -> Iterator[dg.AssetCheckResult | dg.MaterializeResult]:  # type: ignore[type-arg]
    """The versioned release in output/curated/: schema-checked, staged, renamed into place, LATEST last."""
    schemas = {name: load_schema(settings.schemas_path, name) for name in rel.RELEASE_TABLES}
    document_rows = rel.documents_rows(parsed_documents)
    tables = {"documents": rel.table_from_rows(document_rows, schemas["documents"])}
    skipped = skipped_of(parsed_documents)
    manifest = {
        "webcurate_version": __version__,
        "input": {
            "seeds_dir": str(settings.seeds_path),
            "files": raw_documents.num_rows,
            "fingerprint": input_fingerprint(raw_documents),
        },
        "skipped": skipped,
        "counts": {"seen": raw_documents.num_rows, "curated": len(document_rows), "skipped": len(skipped)},
    }
    try:
        release = publish(
            settings.release_root, tables, schemas, manifest, lambda m: rel.render_dataset_card(m, schemas)
        )
    except ReleaseBlocked as blocked:
        listing = "\n".join(f"- {v}" for v in blocked.violations)
        # Report every violation on the blocking check, then fail the step: nothing was published.
        yield dg.AssetCheckResult(
            check_name="schema_valid",
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"violations": len(blocked.violations), "details": dg.MetadataValue.md(listing)},
        )
        raise dg.Failure(
            description=f"release blocked, nothing published: {blocked}",
            metadata={"details": dg.MetadataValue.md(listing)},
        ) from blocked
    context.log.info(f"{release.message}: {release.path}")
    yield dg.MaterializeResult(
        metadata={
            "version": release.version,
            "path": dg.MetadataValue.path(str(release.path.resolve())),
            "published": release.published,
            "message": release.message,
            "content_hash": release.content_hash,
            "dagster/row_count": release.rows["documents"],
            **{f"rows_{name}": count for name, count in release.rows.items()},
            "dagster/column_schema": column_schema(schemas["documents"]),
            "preview": preview(document_rows),
            "skipped": len(skipped),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="schema_valid", passed=True, metadata={"tables": len(tables), "violations": 0}
            )
        ],
    )
