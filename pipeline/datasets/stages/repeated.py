"""The repeated-lines stage: lines shared by many documents of the corpus (CCNet's signal), counted
from every parsed document's line hashes (a whole-corpus stage, recounted only when its input changed)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.cleaning.boilerplate.repeated import count_hashes, line_hash, normalise_line, repeated_threshold
from pipeline.datasets.files import AtomicParquetWriter, count_rows, read_batches, read_stage, stage_digest
from pipeline.datasets.progress import Log, Progress, counted
from pipeline.datasets.progress import quiet as _quiet
from pipeline.datasets.stages.core import digest, record, recorded, source_digest

NAME = "repeated_lines"
INPUTS = ("parsed_documents",)

REPEATED_SCHEMA = pa.schema(
    [pa.field("line_hash", pa.int64()), pa.field("line", pa.string()), pa.field("n_docs", pa.int64())]
)


def version(min_docs: int, min_share: float) -> str:
    """What shapes the repeated lines besides the parsed documents: the counting code and thresholds."""
    code = source_digest("cleaning/boilerplate/repeated.py", "datasets/stages/repeated.py")
    return digest(NAME, code, min_docs, repr(min_share))[:16]


@dataclass
class Repeated:
    """The corpus's repeated lines: how many documents were counted, the threshold, and the lines."""

    documents: int
    threshold: float
    lines: list[dict[str, Any]]  # line_hash, line, n_docs; most frequent first


def find_repeated(parsed: Path, out: Path, *, min_docs: int, min_share: float, log: Log = _quiet) -> Repeated:
    """Count every document's distinct line hashes and keep those the corpus repeats (CCNet's signal).

    Nothing is counted when the parsed documents and the thresholds are those `out` was made from."""
    key = digest(version(min_docs, min_share), stage_digest(parsed))
    known = recorded(out, key)
    if known is not None:
        lines = read_stage(out).to_pylist()
        return Repeated(known["documents"], known["threshold"], lines)
    arrays: list[np.ndarray] = []
    documents = 0
    progress = Progress("repeated lines", count_rows(parsed), log)
    batches = read_batches(parsed, columns=["line_hashes", "skip_reason"], batch_size=10_000)
    for batch in counted(batches, progress):
        kept = batch.filter(pc.is_null(batch.column("skip_reason")))
        documents += kept.num_rows
        arrays.append(pc.list_flatten(kept.column("line_hashes")).to_numpy(zero_copy_only=False))
    values, counts = count_hashes(arrays)
    threshold = repeated_threshold(documents, min_docs, min_share)
    keep = counts >= threshold
    selected = dict(zip(values[keep].tolist(), counts[keep].tolist(), strict=True))
    texts = _lines_of(parsed, set(selected))
    lines = sorted(
        ({"line_hash": h, "line": texts.get(h, ""), "n_docs": n} for h, n in selected.items()),
        key=lambda row: (-row["n_docs"], row["line"]),
    )
    with AtomicParquetWriter(out, REPEATED_SCHEMA) as writer:
        writer.write(pa.Table.from_pylist(lines, schema=REPEATED_SCHEMA))
    record(out, key, {"documents": documents, "threshold": threshold})
    progress.finish(f": {len(lines):,} repeated lines")
    return Repeated(documents, threshold, lines)


def _lines_of(parsed: Path, wanted: set[int]) -> dict[int, str]:
    """The normalised text of each wanted line hash, from the first documents that hold it."""
    found: dict[int, str] = {}
    if not wanted:
        return found
    value_set = pa.array(sorted(wanted), type=pa.int64())
    for batch in read_batches(parsed, columns=["text", "line_hashes"], batch_size=2_000):
        hashes = batch.column("line_hashes")
        holders = pc.list_parent_indices(hashes).filter(
            pc.is_in(pc.list_flatten(hashes), value_set=value_set)
        )
        for index in sorted(set(holders.to_pylist())):
            for line in str(batch.column("text")[index].as_py()).splitlines():
                normal = normalise_line(line)
                key = line_hash(normal)
                if key in wanted:
                    found.setdefault(key, normal)
            if len(found) == len(wanted):
                return found
    return found


def selected_hashes(repeated: Path) -> pa.Array:
    """The repeated lines' hashes (empty when none)."""
    selected = next(read_batches(repeated, columns=["line_hash"], batch_size=1 << 30), None)
    return selected.column(0) if selected is not None else pa.array([], type=pa.int64())
