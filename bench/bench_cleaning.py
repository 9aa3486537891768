"""Throughput of the cleaning steps on a generated corpus: decode (with and without the mojibake guard),
boilerplate removal, and the whole per-document cleaning (decode, parse, boilerplate).

    .venv/bin/python -m bench.bench_cleaning [--docs 10000] [--mojibake 0.1]

Prints a table and one JSON line per stage: docs/s, MB/s (of raw input bytes), peak RSS.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from bench.common import peak_rss_mb, print_table
from bench.make_corpus import generate
from pipeline.cleaning.boilerplate import remove_boilerplate
from pipeline.cleaning.curate import clean_document
from pipeline.cleaning.decode import decode_bytes, normalise_newlines, repair_mojibake
from pipeline.cleaning.document import ParsedDocument, RawDocument
from pipeline.cleaning.formats import parse_document


def timed(name: str, items: list[Any], work: Callable[[Any], object], n_bytes: int) -> dict[str, Any]:
    """Run `work` over the items once and report throughput."""
    started = time.perf_counter()
    for item in items:
        work(item)
    elapsed = time.perf_counter() - started
    return {
        "bench": "cleaning",
        "stage": name,
        "docs": len(items),
        "seconds": round(elapsed, 3),
        "docs_per_s": round(len(items) / elapsed, 1),
        "mb_per_s": round(n_bytes / 1e6 / elapsed, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def decode_step(data: bytes, *, guard: bool) -> str:
    """Bytes to repaired text, as parse_document does first."""
    return repair_mojibake(normalise_newlines(decode_bytes(data).text), guard=guard)[0]


def main() -> None:
    """Generate the corpus, time each stage, print the results."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--mojibake", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    corpus = [data for _, data in generate(args.docs, seed=args.seed, mojibake=args.mojibake)]
    n_bytes = sum(map(len, corpus))
    raws = [
        RawDocument(f"{i:016x}", f"{i}.txt", d, hashlib.sha256(d).hexdigest()) for i, d in enumerate(corpus)
    ]
    parsed = [p for p in map(parse_document, raws) if isinstance(p, ParsedDocument)]
    results = [
        timed("decode (guarded)", corpus, lambda d: decode_step(d, guard=True), n_bytes),
        timed("decode (no guard)", corpus, lambda d: decode_step(d, guard=False), n_bytes),
        timed("boilerplate", parsed, lambda p: remove_boilerplate(p.text), n_bytes),
        timed(
            "whole cleaning",
            raws,
            lambda r: clean_document(p) if isinstance(p := parse_document(r), ParsedDocument) else p,
            n_bytes,
        ),
    ]
    print(f"{args.docs} documents, {n_bytes / 1e6:.1f} MB, {args.mojibake:.0%} mojibake, one process")
    print_table(
        ["stage", "docs/s", "MB/s", "seconds", "peak RSS MB"],
        [(r["stage"], r["docs_per_s"], r["mb_per_s"], r["seconds"], r["peak_rss_mb"]) for r in results],
    )
    for result in results:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
