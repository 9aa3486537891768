"""Throughput of section segmentation and language tagging on the generated corpus, in one process.

The corpus is bench/make_corpus.py's (recombined samples with boilerplate, German share, HTML pages,
mojibake); documents are parsed and cleaned first, untimed, so the timings cover only the two steps.

    .venv/bin/python -m bench.bench_sections_language                # 10,000 documents
    .venv/bin/python -m bench.bench_sections_language --docs 20000 --seed 7

Prints docs/s for segment_sections, for tag_document and for both, peak RSS, then a JSON line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections import Counter
from typing import Any

from bench.common import peak_rss_mb
from bench.make_corpus import generate
from pipeline.cleaning.curate import clean_document
from pipeline.cleaning.document import ParsedDocument, RawDocument
from pipeline.cleaning.formats import parse_document
from pipeline.cleaning.language import detect_language, tag_document
from pipeline.cleaning.sections import segment_sections


def clean_corpus(n_docs: int, seed: int) -> list[ParsedDocument]:
    """The generated corpus, parsed and cleaned (skipped files left out)."""
    docs = []
    for name, data in generate(n_docs, seed=seed):
        parsed = parse_document(RawDocument(name, name, data, hashlib.sha256(data).hexdigest()))
        if isinstance(parsed, ParsedDocument):
            docs.append(clean_document(parsed).doc)
    return docs


def run(n_docs: int, seed: int) -> dict[str, Any]:
    """Segment then tag the generated corpus, timing each step."""
    docs = clean_corpus(n_docs, seed)
    corpus = [doc.text for doc in docs]
    chars = sum(len(doc) for doc in corpus)
    detect_language("Warm-up: the model loads before the clock starts, as it does once per worker.")
    rss_before = peak_rss_mb()

    started = time.perf_counter()
    segmented = [segment_sections(doc.text, doc.headings, doc.anchors) for doc in docs]
    seg_seconds = time.perf_counter() - started

    started = time.perf_counter()
    tagged = [tag_document(doc, sections) for doc, sections in zip(corpus, segmented, strict=True)]
    tag_seconds = time.perf_counter() - started

    n_sections = sum(len(sections) for sections in segmented)
    languages = Counter(document.language for document, _tags in tagged)
    section_languages = Counter(tag.language for _document, tags in tagged for tag in tags)
    return {
        "docs": n_docs,
        "seed": seed,
        "chars": chars,
        "sections": n_sections,
        "segment_seconds": round(seg_seconds, 3),
        "segment_docs_per_s": round(n_docs / seg_seconds, 1),
        "tag_seconds": round(tag_seconds, 3),
        "tag_docs_per_s": round(n_docs / tag_seconds, 1),
        "tag_sections_per_s": round(n_sections / tag_seconds, 1),
        "both_docs_per_s": round(n_docs / (seg_seconds + tag_seconds), 1),
        "doc_languages": dict(languages.most_common()),
        "section_languages": dict(section_languages.most_common(6)),
        "peak_rss_mib_after_model_load": round(rss_before, 1),
        "peak_rss_mib": round(peak_rss_mb(), 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the benchmark, print a summary and a JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--docs", type=int, default=10_000, help="documents to generate")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    report = run(args.docs, args.seed)
    print(f"corpus: {report['docs']} docs, {report['chars']:,} chars, {report['sections']} sections")
    print(f"segment_sections: {report['segment_docs_per_s']:>9} docs/s  ({report['segment_seconds']} s)")
    print(
        f"tag_document:     {report['tag_docs_per_s']:>9} docs/s  ({report['tag_seconds']} s, "
        f"{report['tag_sections_per_s']} sections/s)"
    )
    print(f"both:             {report['both_docs_per_s']:>9} docs/s")
    print(f"document languages: {report['doc_languages']}  sections: {report['section_languages']}")
    after_load = report["peak_rss_mib_after_model_load"]
    print(f"peak RSS: {report['peak_rss_mib']} MiB ({after_load} MiB after model load)")
    print(json.dumps({"bench": "sections_language", **report}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
