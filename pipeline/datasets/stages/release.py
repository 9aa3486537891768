"""The release stage: the curated documents published as the next dataset version, part by part, with
the schema-evolution check before anything is written and the drift against the latest version."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.datasets.dedup import EXACT_RULE, NEAR_RULE
from pipeline.datasets.evolution import EvolutionResult, check_evolution, drift, release_schemas
from pipeline.datasets.files import count_rows, stage_digest, stage_files
from pipeline.datasets.progress import Progress
from pipeline.datasets.release import RELEASE_TABLES, ReleasePolicy, release_chunk
from pipeline.datasets.review import ReviewSources, write_review
from pipeline.datasets.schema import TableSchema
from pipeline.datasets.stages.core import PartsProgress, StageStats
from pipeline.datasets.stages.core import digest as key_of
from pipeline.datasets.steps import code_version
from pipeline.datasets.versions import Release, ReleasePart, Root, publish_parts, read_latest, read_manifest
from pipeline.engine.cache import CacheStats

NAME = "curated_dataset"
INPUTS = ("raw_documents", "parsed_documents", "clean_documents", "duplicates")


def version(schemas: Mapping[str, TableSchema], policy_settings: Mapping[str, Any]) -> str:
    """What shapes a release besides its input stages: the step and release code, the schemas and the
    policy's settings (keep duplicates, the quality thresholds in force)."""
    tables = (repr(schemas[name]) for name in sorted(schemas))
    return key_of(NAME, code_version(), release_code_version(), *tables, sorted(policy_settings.items()))[:16]


class SchemaEvolutionBlocked(Exception):
    """The schemas break the previous version's without a new major schema file; nothing was published."""

    def __init__(self, result: EvolutionResult) -> None:
        super().__init__("; ".join(result.problems))
        self.result = result


def check_schemas(
    root: Root, schemas: Mapping[str, TableSchema], available: Sequence[str]
) -> EvolutionResult:
    """May a release with `schemas` follow the latest version's (read from its Parquet files)?"""
    latest = read_latest(root)
    if latest is None:
        return check_evolution({}, schemas)
    manifest = read_manifest(root, latest)
    previous = release_schemas(root / latest, manifest)
    return check_evolution(previous, schemas, previous_files=manifest.get("schemas"), available=available)


def publish_release(
    curated: Path,
    root: Root,
    schemas: Mapping[str, TableSchema],
    manifest: Mapping[str, Any],
    render_card: Callable[[dict[str, Any]], str],
    *,
    policy: ReleasePolicy | None = None,
    available_schemas: Sequence[str] = (),
    batch_size: int = 5_000,
    parsed: Path | None = None,
) -> tuple[Release, StageStats]:
    """Publish the curated documents as the next dataset version (unless unchanged), streaming.

    When the latest version was made from the same curated rows (same cache keys and paths, same
    schemas, same code, same policy), its content is known to be equal and nothing is read or written.
    Otherwise each curated part becomes a release part, and one the latest version already holds (see
    release_parts) is linked from it, not read again. Schemas that break the latest version's without a
    new major schema file raise SchemaEvolutionBlocked before anything is written. The manifest records
    the drift against the latest version. The version holds its review page (review.py), its samples'
    parsed bodies read from the `parsed` stage.
    """
    policy = policy or ReleasePolicy()
    input_key = release_input_key(curated, schemas, policy)
    unchanged = _unchanged_release(root, input_key)
    if unchanged is not None:
        return unchanged
    evolution = check_schemas(root, schemas, available_schemas)
    if not evolution.passed:
        raise SchemaEvolutionBlocked(evolution)
    latest = read_latest(root)
    previous_counts = read_manifest(root, latest).get("counts", {}) if latest else None
    stats = StageStats()

    def full_manifest() -> dict[str, Any]:
        """The manifest with the counts gathered while streaming, and the drift they show."""
        removed_by_rule = stats.tally_of("rule")
        counts = {
            "seen": stats.rows,
            "curated": stats.totals["rows_documents"],
            "skipped": len(stats.skipped),
            "text_chars": stats.totals["text_chars"],
            "removed_by_rule": removed_by_rule,
            "duplicates_removed": {r: removed_by_rule.get(r, 0) for r in (EXACT_RULE, NEAR_RULE)},
            "redactions_by_type": stats.tally_of("redaction"),
            "languages": stats.tally_of("language"),
            "section_languages": stats.tally_of("section_language"),
        }
        report = drift(previous_counts, counts, previous_version=latest) if previous_counts else None
        return {
            **manifest,
            "input_key": input_key,
            "release_policy": {
                "keep_duplicates": policy.keep_duplicates,
                "quality_thresholds": policy.thresholds.in_force(),
            },
            "skipped": stats.skipped,
            "counts": counts,
            "schema_evolution": {**evolution.as_dict(), "markdown": evolution.markdown()},
            "drift": {**report.as_dict(), "markdown": report.markdown()} if report else None,
        }

    parts = release_parts(curated, schemas, policy, stats, batch_size)
    sources = ReviewSources(parsed=parsed, curated=curated)
    release = publish_parts(
        root,
        parts,
        schemas,
        full_manifest,
        render_card,
        attach=lambda folder, published: write_review(folder, published, sources),
    )
    return release, stats


def release_parts(
    curated: Path,
    schemas: Mapping[str, TableSchema],
    policy: ReleasePolicy,
    stats: StageStats,
    batch_size: int,
) -> list[ReleasePart]:
    """One release part per curated part, counted into `stats` as it is written or reused.

    A part's key covers its curated part (named by its rows' cache keys and paths), the policy's
    decisions on its documents and settings, the schemas and the code: one edited file changes the key
    of its own part only, unless it changes duplicate decisions elsewhere too.
    """
    common = key_of(
        code_version(), release_code_version(), *(repr(schemas[name]) for name in sorted(schemas))
    )
    parted = curated.is_dir()  # a single-file stage (older webcurate) has no part names to key by
    files = stage_files(curated)
    progress = PartsProgress(Progress("release", count_rows(curated)), len(files))
    parts = []
    for file in files:
        key = None
        if parted:
            # ParquetFile, not pq.read_table: that imports pyarrow.dataset, 0.2 s of every release.
            ids = pq.ParquetFile(file).read(columns=["doc_id"]).column("doc_id").combine_chunks()
            key = key_of(common, file.name, policy.digest(ids))
        parts.append(_release_part(file, key, schemas, policy, stats, batch_size, progress))
    return parts


def _release_part(
    file: Path,
    key: str | None,
    schemas: Mapping[str, TableSchema],
    policy: ReleasePolicy,
    stats: StageStats,
    batch_size: int,
    progress: PartsProgress,
) -> ReleasePart:
    """The release part made from one curated part file, its counts merged into `stats`."""
    counts = StageStats()

    def chunks() -> Iterator[dict[str, pa.Table]]:
        """Release tables chunk by chunk, counting into this part's own counts on the way."""
        for batch in pq.ParquetFile(file).iter_batches(batch_size=batch_size):
            counts.observe(batch)
            chunk = release_chunk(batch, schemas, policy)
            counts.totals.update({f"rows_{name}": chunk[name].num_rows for name in RELEASE_TABLES})
            counts.totals["text_chars"] += int(pc.sum(chunk["documents"].column("n_chars")).as_py() or 0)
            counts.tally("rule", chunk["removed"].column("rule"))
            counts.tally("language", chunk["documents"].column("language"))
            counts.tally("section_language", chunk["sections"].column("language"))
            counts.tally("redaction", chunk["redactions"].column("type"))
            progress.progress.advance(batch.num_rows)
            yield chunk

    def info() -> dict[str, Any]:
        """A written part's counts, added to `stats` (in part order: see ReleasePart)."""
        stats.merge(counts)
        progress.part_done()
        return counts.as_dict()

    def reused(info: Mapping[str, Any]) -> None:
        """Count a part linked from the latest version by the counts recorded with it."""
        linked = StageStats.from_dict(info)
        stats.merge(linked)
        progress.progress.advance(linked.rows, reused=progress.progress.reused + linked.rows)
        progress.part_done()

    return ReleasePart(key, chunks, info, reused)


@lru_cache(maxsize=1)
def release_code_version() -> str:
    """A digest of the code that turns curated rows into release files, and the Parquet writer's version."""
    digest = hashlib.sha256(pa.__version__.encode())
    for name in ("release.py", "versions.py", "schema.py", "review.py", "stages/release.py"):
        digest.update((Path(__file__).parents[1] / name).read_bytes())
    return digest.hexdigest()[:16]


def release_input_key(curated: Path, schemas: Mapping[str, TableSchema], policy: ReleasePolicy) -> str:
    """What a release is made from: the curated parts (named by their rows' keys and paths), the
    schemas, the code version and what the policy leaves out."""
    tables = (repr(schemas[name]) for name in sorted(schemas))
    return key_of(code_version(), release_code_version(), policy.digest(), *tables, stage_digest(curated))


def _unchanged_release(root: Root, input_key: str) -> tuple[Release, StageStats] | None:
    """The latest release and its counts when it was made from exactly this input, else None."""
    latest = read_latest(root)
    if latest is None:
        return None
    manifest = read_manifest(root, latest)
    if manifest.get("input_key") != input_key:
        return None
    counts = manifest.get("counts", {})
    tallies = {
        "rule": Counter(counts.get("removed_by_rule", {})),
        "language": Counter(counts.get("languages", {})),
        "section_language": Counter(counts.get("section_languages", {})),
        "redaction": Counter(counts.get("redactions_by_type", {})),
    }
    stats = StageStats(counts.get("seen", 0), CacheStats(), manifest.get("skipped", []), tallies)
    message = f"made from the same input as {latest}; nothing new"
    release = Release(latest, root / latest, False, manifest["content_hash"], manifest["rows"], message)
    return release, stats
