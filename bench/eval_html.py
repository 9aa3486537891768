"""Main-text extraction on ../shared/dev-data/html-gold: webcurate's HTML path against plain trafilatura.

Score: precision, recall and F1 over word 4-gram multisets of the output against the gold body,
averaged per page (the CleanEval-style measure the dev data README suggests).

    .venv/bin/python -m bench.eval_html            # pipeline vs plain trafilatura, side by side
    .venv/bin/python -m bench.eval_html --sweep    # trafilatura settings tried for the pipeline
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import trafilatura

from bench.common import dev_data, prf, print_table, read_jsonl
from pipeline.cleaning.curate import clean_document
from pipeline.cleaning.document import ParsedDocument, RawDocument
from pipeline.cleaning.formats import html as html_format
from pipeline.cleaning.formats import parse_document

WORD = re.compile(r"\w+", re.UNICODE)


def ngrams(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """The multiset of word n-grams of a text (lowercased words)."""
    words = [w.lower() for w in WORD.findall(text)]
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def score(output: str, gold: str) -> tuple[float, float, float]:
    """Precision, recall, F1 of the output's 4-grams against the gold's."""
    out, ref = ngrams(output), ngrams(gold)
    overlap = sum((out & ref).values())
    return prf(overlap, sum(out.values()), sum(ref.values()))


def pipeline_text(html: bytes) -> str:
    """webcurate's curated text for a page: decode, trafilatura, Markdown rendering, boilerplate rules."""
    raw = RawDocument("0" * 16, "page.html", html, hashlib.sha256(html).hexdigest())
    parsed = parse_document(raw)
    if not isinstance(parsed, ParsedDocument):
        return ""
    return clean_document(parsed).doc.text


def plain_trafilatura(html: bytes) -> str:
    """trafilatura with its default settings, plain text output."""
    return trafilatura.extract(html) or ""


def evaluate(extract: Callable[[bytes], str]) -> dict[str, Any]:
    """Average P/R/F1 over the pages, and pages per second."""
    pages = list(read_jsonl(dev_data("html-gold") / "truth.jsonl"))
    folder = dev_data("html-gold") / "pages"
    totals = [0.0, 0.0, 0.0]
    started = time.perf_counter()
    for page in pages:
        output = extract((folder / f"{page['id']}.html").read_bytes())
        for i, value in enumerate(score(output, page["body"])):
            totals[i] += value
    elapsed = time.perf_counter() - started
    n = len(pages)
    return {
        "pages": n,
        "precision": totals[0] / n,
        "recall": totals[1] / n,
        "f1": totals[2] / n,
        "pages_per_s": n / elapsed,
    }


def main() -> None:
    """Print the comparison (or the settings sweep) as a table and JSON lines."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sweep", action="store_true", help="try trafilatura settings inside the pipeline")
    args = parser.parse_args()
    results: dict[str, dict[str, Any]] = {}
    if args.sweep:
        base = dict(html_format.EXTRACT_OPTIONS)
        variants: dict[str, dict[str, Any]] = {
            "chosen": {},
            "favor_precision": {"favor_precision": True},
            "favor_recall": {"favor_recall": True},
            "no_links": {"include_links": False},
            "no_tables": {"include_tables": False},
            "fast": {"fast": True},
        }
        for name, change in variants.items():
            html_format.EXTRACT_OPTIONS.clear()
            html_format.EXTRACT_OPTIONS.update({**base, **change})
            results[name] = evaluate(pipeline_text)
        html_format.EXTRACT_OPTIONS.clear()
        html_format.EXTRACT_OPTIONS.update(base)
    else:
        results["plain trafilatura"] = evaluate(plain_trafilatura)
        results["webcurate"] = evaluate(pipeline_text)
    rows = [
        (name, r["precision"], r["recall"], r["f1"], f"{r['pages_per_s']:.1f}") for name, r in results.items()
    ]
    print_table(["extractor", "precision", "recall", "f1", "pages/s"], rows)
    for name, r in results.items():
        print(json.dumps({"bench": "html-gold", "extractor": name, **r}))
    if not args.sweep:
        ratio = results["webcurate"]["f1"] / results["plain trafilatura"]["f1"]
        print(json.dumps({"bench": "html-gold", "f1_ratio_webcurate_over_trafilatura": ratio}))


if __name__ == "__main__":
    main()
