"""The duplicates stage: exact and near duplicates among the curated documents (a whole-corpus stage,
compared again only when its input changed)."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.datasets.dedup import DECISIONS_SCHEMA, DedupStats, find_duplicates
from pipeline.datasets.files import AtomicParquetWriter, read_batches, stage_digest
from pipeline.datasets.objectstore import StorePath
from pipeline.datasets.progress import Log, Progress, counted
from pipeline.datasets.progress import quiet as _quiet
from pipeline.datasets.stages.core import digest, record, recorded, source_digest
from pipeline.datasets.versions import read_latest

NAME = "duplicates"
INPUTS = ("clean_documents",)
DEDUP_COLUMNS = ["doc_id", "source_path", "dedup_key", "minhash", "skip_reason"]


def version(threshold: float) -> str:
    """What shapes the decisions besides the curated documents: the comparison code and the threshold."""
    code = source_digest("datasets/dedup.py", "cleaning/dedup.py", "datasets/stages/dedup.py")
    return digest(NAME, code, repr(threshold))[:16]


def published_doc_ids(root: Path | StorePath) -> pa.Array:
    """The doc_ids of the latest version's documents (empty before the first release)."""
    latest = read_latest(root)
    folder = root / latest / "documents" if latest else None
    if folder is None or not folder.is_dir():
        return pa.array([], pa.string())
    files = [p.open_input_file() if isinstance(p, StorePath) else p for p in sorted_parts(folder)]
    columns = [pq.ParquetFile(file).read(columns=["doc_id"]).column(0) for file in files]
    return pa.chunked_array(columns, pa.string()).combine_chunks()


def sorted_parts(folder: Path | StorePath) -> list[Path] | list[StorePath]:
    """The Parquet files of a table folder, in name order."""
    if isinstance(folder, StorePath):
        return folder.glob("*.parquet")
    return sorted(folder.glob("*.parquet"))


def find_dups(
    curated: Path, out: Path, *, threshold: float, release_root: Path | StorePath, log: Log = _quiet
) -> DedupStats:
    """Exact and near duplicates among the curated documents into `out`, one row per duplicate; the
    documents the latest version under `release_root` kept stay the ones kept.

    Nothing is compared when the curated documents and the threshold are those `out` was made from and
    the latest version's documents among them are an equivalent starting point (see _equivalent)."""
    current = _curated_ids(curated)
    previous_ids = published_doc_ids(release_root)
    before = _ids_digest(current.filter(pc.is_in(current, value_set=previous_ids)))
    key = digest(version(threshold), stage_digest(curated))
    known = recorded(out, key)
    if known is not None and before in known["equivalent"]:
        return DedupStats(**{**known["stats"], "seconds": 0.0})

    # The previously kept documents are among the curated ones: their ids suffice, not a second read.
    progress = Progress("duplicates", len(current), log)
    fingerprints = counted(read_batches(curated, columns=DEDUP_COLUMNS, batch_size=10_000), progress)
    result = find_duplicates(fingerprints, kept_before=previous_ids, threshold=threshold)
    progress.finish(log=False)  # the asset logs what was found
    with AtomicParquetWriter(out, DECISIONS_SCHEMA) as writer:
        writer.write(result.decisions)
    kept = _ids_digest(current.filter(pc.invert(pc.is_in(current, value_set=result.decisions["doc_id"]))))
    stats = dataclasses.asdict(result.stats)
    record(out, key, {"stats": stats, "equivalent": _equivalent(before, kept, _ids_digest(current))})
    return result.stats


def _curated_ids(curated: Path) -> pa.Array:
    """The doc_ids of the curated (not skipped) documents, in order."""
    ids = [
        b.filter(pc.is_null(b.column("skip_reason"))).column("doc_id")
        for b in read_batches(curated, columns=["doc_id", "skip_reason"], batch_size=50_000)
    ]
    return pa.chunked_array(ids, pa.string()).combine_chunks()


def _ids_digest(ids: pa.Array) -> str:
    """A digest of doc_ids in order."""
    return hashlib.sha256("\n".join(ids.to_pylist()).encode()).hexdigest()


def _equivalent(before: str, kept: str, everything: str) -> list[str]:
    """The previously kept documents (as digests of their ids) from which deduplication decides exactly
    as it did from `before`.

    Decisions depend on the previous documents only through the order the greedy cover visits the
    documents in: previous ones first. With none, with all, or with exactly the documents these
    decisions keep, the kept documents are visited in the same relative order (by neighbours, then
    position) before any duplicate, so each duplicate gets the same kept document. So a run that
    started from one of those three (the first run; the run after a release made from these decisions)
    decides the same from any of them; from any other start, only from that start."""
    canonical = [_ids_digest(pa.array([], pa.string())), everything, kept]
    return canonical if before in canonical else [before]
