"""The curate stage: boilerplate removed, sections and languages (curate_step), part for part as the
parsed documents are; writes the curated documents (the next run's cache), their sections and their
language tags."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.datasets.files import read_batches, stage_files
from pipeline.datasets.progress import Log
from pipeline.datasets.progress import quiet as _quiet
from pipeline.datasets.release import flatten_items
from pipeline.datasets.stages.core import (
    DEFAULT_BATCH_SIZE,
    Part,
    PartInput,
    Stage,
    StageStats,
    digest,
    run_stage,
    source_digest,
)
from pipeline.datasets.stages.repeated import selected_hashes
from pipeline.datasets.steps import CURATE_INPUT_FIELD, CurateConfig, CurateStep, code_version, curate_keys
from pipeline.datasets.tables import CURATED_SCHEMA, LANGUAGE_SCHEMA, SECTIONS_SCHEMA
from pipeline.engine import EngineSpec

NAME = "clean_documents"
OUTPUTS = ("clean_documents", "sections", "language_tags")
INPUTS = ("parsed_documents", "repeated_lines")


def version(config: CurateConfig) -> str:
    """What shapes the curated rows besides the parsed documents: the step code (with the boilerplate
    model) and the configuration (the rules file's content, language, translation, model settings)."""
    return digest(NAME, code_version(), config.digest())[:16]


def asset_version(config: CurateConfig) -> str:
    """The curate assets' code version: the rows' version and the stage code that writes them."""
    return digest(version(config), source_digest("datasets/stages/core.py", "datasets/stages/curate.py"))[:16]


def with_repeated(batch: pa.RecordBatch, selected: pa.Array) -> pa.RecordBatch:
    """A parsed batch for curation: its columns plus each document's hashes among the repeated lines."""
    hashes = batch.column("line_hashes")
    flat = pc.list_flatten(hashes)
    mask = pc.is_in(flat, value_set=selected)
    parents = pc.list_parent_indices(hashes).filter(mask).to_numpy(zero_copy_only=False)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(parents, minlength=batch.num_rows))])
    repeated = pa.ListArray.from_arrays(pa.array(offsets, type=pa.int32()), flat.filter(mask))
    # Every column the batch has except the line hashes (workers need only the document's own share).
    names = [name for name in batch.schema.names if name != "line_hashes"]
    columns = [batch.column(name) for name in names]
    return pa.RecordBatch.from_arrays([*columns, repeated], names=[*names, CURATE_INPUT_FIELD.name])


@dataclass(frozen=True)
class CurateOutputs:
    """Where the curate stage writes: curated documents, their sections, their language tags."""

    documents: Path
    sections: Path
    languages: Path


def tally(batch: pa.RecordBatch, stats: StageStats) -> list[pa.Table]:
    """A curated batch's sections and language tags; tallies its languages and removals."""
    section_rows, language_rows = section_and_language_tables(batch)
    documents = batch.filter(pc.is_null(batch.column("skip_reason")))
    stats.tally("language", documents.column("language"))
    tags = language_rows.filter(pc.is_valid(language_rows.column("section_index")))
    stats.tally("section_language", tags.column("language"))
    spans = pc.list_flatten(documents.column("removed"))
    stats.tally("rule", pc.struct_field(spans, "rule"))
    stats.tally("author_source", documents.column("author_source"))
    for name in ("removed_chars", "needs_translation", "n_chars"):
        stats.totals[name] += int(pc.sum(documents.column(name)).as_py() or 0)
    stats.totals["sections_with_heading"] += int(pc.count(section_rows.column("heading")).as_py())
    _tally_group_chars(spans, stats)
    return [section_rows, language_rows]


def _tally_group_chars(spans: pa.Array, stats: StageStats) -> None:
    """Add the characters removed per rule group to the totals (`removed_chars:<group>`)."""
    if not len(spans):
        return
    lengths = pc.utf8_length(pc.struct_field(spans, "text"))
    table = pa.table({"group": pc.struct_field(spans, "rule_group"), "chars": lengths})
    for row in table.group_by("group").aggregate([("chars", "sum")]).to_pylist():
        stats.totals[f"removed_chars:{row['group']}"] += int(row["chars_sum"] or 0)


def stage(config: CurateConfig, selected: pa.Array) -> Stage:
    """The curate stage under `config`, with the corpus's repeated lines `selected`."""
    config_digest = config.digest()
    return Stage(
        "curate",
        CURATED_SCHEMA,
        INPUTS,
        lambda batch: curate_keys(batch, config_digest),
        CurateStep(config),
        version(config),
        tally,
        (SECTIONS_SCHEMA, LANGUAGE_SCHEMA),
    )


def parted_input(curate: Stage, parsed: Path, selected: pa.Array, batch_size: int) -> PartInput:
    """The parsed parts as the curate stage's parts: each one's input is the parsed part (named by its
    documents' parse keys and paths) and its documents' shares of the repeated lines."""

    def keys_of(file: Path) -> list[str]:
        """The curate cache keys of a parsed part's documents."""
        table = pq.ParquetFile(file).read(columns=["cache_key", "line_hashes"])
        return [key for b in table.to_batches() for key in curate.key(with_repeated(b, selected))]

    parts = []
    for file in stage_files(parsed):
        table = pq.ParquetFile(file).read(columns=["line_hashes"]).combine_chunks()
        if not table.num_rows:
            continue
        shares = with_repeated(table.to_batches()[0], selected).column(CURATE_INPUT_FIELD.name)
        found = hashlib.sha256()
        for array in (shares.offsets, shares.values):
            found.update(array.to_numpy(zero_copy_only=False).tobytes())
        parts.append(Part(table.num_rows, digest(file.name, found.hexdigest()), partial(keys_of, file), file))

    def batches(todo: list[Part]) -> Any:
        """The parsed rows of the parts to curate, with their shares of the repeated lines."""
        for part in todo:
            assert part.source is not None
            for batch in pq.ParquetFile(part.source).iter_batches(batch_size=batch_size):
                yield part, with_repeated(batch, selected)

    return PartInput(parts, batches)


def curate(
    parsed: Path,
    repeated: Path,
    outs: CurateOutputs,
    engine: EngineSpec,
    config: CurateConfig,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    log: Log = _quiet,
) -> StageStats:
    """Remove boilerplate, segment and tag every parsed document; write the documents (the next run's
    cache), their sections and their language tags, part for part as the parsed documents are."""
    selected = selected_hashes(repeated)
    curate_stage = stage(config, selected)
    source = parted_input(curate_stage, parsed, selected, batch_size)
    return run_stage(curate_stage, source, [outs.documents, outs.sections, outs.languages], engine, log)


def section_and_language_tables(batch: pa.RecordBatch) -> tuple[pa.Table, pa.Table]:
    """The sections table rows and the language tag rows (documents', then sections') of a batch."""
    table = pa.Table.from_batches([batch])
    documents = table.filter(pc.is_null(table.column("skip_reason")))
    sections = flatten_items(documents, "sections", SECTIONS_SCHEMA.names).cast(SECTIONS_SCHEMA)
    # A document's tag is its own: no section_index, and language_inherited (a section's) null.
    own = {"section_index": pa.int32(), "language_inherited": pa.bool_()}
    document_tags = pa.table(
        [
            pa.nulls(documents.num_rows, own[n]) if n in own else documents.column(n)
            for n in LANGUAGE_SCHEMA.names
        ],
        schema=LANGUAGE_SCHEMA,
    )
    # A section's tag has no language shares of its own (those are the document's).
    languages = LANGUAGE_SCHEMA.field("languages")
    section_tags = (
        flatten_items(documents, "sections", [n for n in LANGUAGE_SCHEMA.names if n != languages.name])
        .add_column(
            LANGUAGE_SCHEMA.names.index(languages.name),
            languages,
            pa.array([[]] * len(sections), languages.type),
        )
        .cast(LANGUAGE_SCHEMA)
    )
    return sections, pa.concat_tables([document_tags, section_tags])


def first_documents(curated: Path, limit: int) -> list[dict[str, Any]]:
    """The first `limit` curated (not skipped) documents: source path, title, language and text."""
    found: list[dict[str, Any]] = []
    columns = ["source_path", "title", "language", "text", "skip_reason"]
    for batch in read_batches(curated, columns=columns, batch_size=max(limit, 100)):
        found.extend(row for row in batch.to_pylist() if row["skip_reason"] is None)
        if len(found) >= limit:
            break
    return found[:limit]
