"""The result cache: cached and computed rows merged back in input order; what is never reused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.engine.cache import CacheStats, ResultCache, map_incremental

OUT = pa.schema([("source_path", pa.string()), ("upper", pa.string()), ("skip_reason", pa.string())])
CACHED = OUT.append(pa.field("cache_key", pa.string(), nullable=False))


def inputs(*words: str, size: int = 2) -> list[pa.RecordBatch]:
    """Input batches of (source_path, word)."""
    table = pa.table({"source_path": [f"{w}.txt" for w in words], "word": list(words)})
    batches: list[pa.RecordBatch] = table.to_batches(max_chunksize=size)
    return batches


def keys_of(batch: pa.RecordBatch) -> list[str]:
    """A word's key is the word itself."""
    return [f"k-{w}" for w in batch.column("word").to_pylist()]


def compute(seen: list[str]) -> object:
    """An engine stand-in that upper-cases words and records which it was given."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            rows = batch.to_pylist()
            seen.extend(r["word"] for r in rows)
            out = [
                {"source_path": r["source_path"], "upper": r["word"].upper(), "skip_reason": None}
                for r in rows
            ]
            yield pa.RecordBatch.from_pylist(out, schema=OUT)

    return run


def run(path: Path, *words: str, size: int = 2) -> tuple[list[dict[str, object]], list[str], CacheStats]:
    """One incremental pass writing `path` (input batches of `size`); (rows, words computed, stats)."""
    seen: list[str] = []
    stats = CacheStats()
    cache = ResultCache([path], CACHED)
    batches = list(map_incremental(inputs(*words, size=size), keys_of, cache, compute(seen), stats))  # type: ignore[arg-type]
    table = pa.Table.from_batches(batches, schema=CACHED)
    pq.write_table(table, path)
    return table.to_pylist(), seen, stats


def test_cached_rows_are_reused_and_merged_in_input_order(tmp_path: Path) -> None:
    path = tmp_path / "stage.parquet"
    run(path, "alpha", "beta", "gamma")
    rows, seen, stats = run(path, "delta", "beta", "alpha", "epsilon", "gamma")
    assert seen == ["delta", "epsilon"]
    assert (stats.reused, stats.computed) == (3, 2)
    assert [r["upper"] for r in rows] == ["DELTA", "BETA", "ALPHA", "EPSILON", "GAMMA"]
    assert [r["source_path"] for r in rows] == [
        "delta.txt",
        "beta.txt",
        "alpha.txt",
        "epsilon.txt",
        "gamma.txt",
    ]


def test_cached_rows_come_back_right_whether_the_cache_holds_them_in_order_or_not(tmp_path: Path) -> None:
    # Consecutive cached rows are sliced, others taken: both must give each input its own row.
    path = tmp_path / "stage.parquet"
    words = ("alpha", "beta", "gamma", "delta", "epsilon")
    run(path, *words, size=5)
    for order in (words, words[::-1], ("gamma", "alpha", "beta", "epsilon", "delta")):
        rows, seen, _ = run(path, *order, size=5)
        assert seen == []
        assert [r["upper"] for r in rows] == [w.upper() for w in order]
        path.unlink()
        run(path, *words, size=5)  # the cache in the original order again


def test_timed_out_rows_are_retried_and_an_unreadable_cache_is_no_cache(tmp_path: Path) -> None:
    path = tmp_path / "stage.parquet"
    rows = [
        {"source_path": "a.txt", "upper": None, "skip_reason": "timed out after 60 s", "cache_key": "k-a"}
    ]
    pq.write_table(pa.Table.from_pylist(rows, schema=CACHED), path)
    _, seen, _ = run(path, "a")
    assert seen == ["a"]
    path.write_bytes(b"not parquet at all")
    _, seen, stats = run(path, "a", "b")
    assert seen == ["a", "b"] and stats.reused == 0


def test_a_cache_of_another_schema_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "stage.parquet"
    pq.write_table(pa.table({"cache_key": ["k-a"], "other": [1]}), path)
    _, seen, _ = run(path, "a")
    assert seen == ["a"]
