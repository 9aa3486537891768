"""Main-text extraction on ../shared/dev-data: webcurate's HTML path beside plain trafilatura and jusText.

Sets: html-gold (CleanEval dev, 58 pages; its gold keeps user comments, so webcurate runs with
keep_comments) and html-train's dev split (119 pages, 100 of them `dragnet`, never fitted on; its gold
leaves comments out, so webcurate runs with its default, comments dropped). Score: precision, recall and
F1 over word 4-gram multisets of the output against the gold, averaged per page (the CleanEval-style
measure the dev data README suggests). webcurate's output is the curated document's text (the title is in
its metadata, not scored).

The block model is fitted on html-gold (its terms allow it), so webcurate's html-gold figure with the
shipped model is in-sample; the honest one is out of fold: html-gold's pages split by site into folds,
each page run with a model fitted by the same recipe on every training page but its fold's
(bench/train_html_blocks.py, `out_of_fold_models`). Both are printed; the target is met out of fold.

    .venv/bin/python -m bench.eval_html            # side by side on both sets: a table and JSON lines
    .venv/bin/python -m bench.eval_html --sweep    # trafilatura settings tried for the pipeline (html-gold)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, NamedTuple
from unittest import mock

import justext
import trafilatura

from bench.common import dev_data, prf, print_table, read_jsonl
from pipeline.cleaning.boilerplate import BoilerplateSettings
from pipeline.cleaning.curate import clean_document
from pipeline.cleaning.document import ParsedDocument, RawDocument
from pipeline.cleaning.formats import html as html_format
from pipeline.cleaning.formats import parse_document

WORD = re.compile(r"\w+", re.UNICODE)
IN_SAMPLE = "webcurate, in-sample (shipped model)"
OUT_OF_FOLD = "webcurate, out of fold"


def ngrams(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """The multiset of word n-grams of a text (lowercased words)."""
    words = [w.lower() for w in WORD.findall(text)]
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def score(output: str, gold: str) -> tuple[float, float, float]:
    """Precision, recall, F1 of the output's 4-grams against the gold's."""
    out, ref = ngrams(output), ngrams(gold)
    overlap = sum((out & ref).values())
    return prf(overlap, sum(out.values()), sum(ref.values()))


def pipeline_text(html: bytes, keep_comments: bool = False) -> str:
    """webcurate's curated text for a page: decode, trafilatura and the block model, Markdown rendering,
    the boilerplate step (comments dropped unless `keep_comments`)."""
    raw = RawDocument("0" * 16, "page.html", html, hashlib.sha256(html).hexdigest())
    parsed = parse_document(raw)
    if not isinstance(parsed, ParsedDocument):
        return ""
    return clean_document(parsed, settings=BoilerplateSettings(keep_comments=keep_comments)).doc.text


def plain_trafilatura(html: bytes) -> str:
    """trafilatura with its default settings (comments included), plain text output."""
    return trafilatura.extract(html) or ""


def trafilatura_no_comments(html: bytes) -> str:
    """trafilatura with comments left out, plain text output."""
    return trafilatura.extract(html, include_comments=False) or ""


def justext_text(html: bytes) -> str:
    """jusText with its default settings and English stop words: the paragraphs it keeps."""
    try:
        paragraphs = justext.justext(html, justext.get_stoplist("English"))
    except Exception:  # jusText raises bare errors on pages it cannot decode: scored as empty
        return ""
    return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)


class Page(NamedTuple):
    """A page of a set: its id, its bytes and its gold main text."""

    id: str
    data: bytes
    gold: str


def load_set(name: str) -> list[Page]:
    """The pages of html-gold ("html-gold") or of html-train's dev split ("html-train dev")."""
    if name == "html-gold":
        folder = dev_data("html-gold")
        return [
            Page(p["id"], (folder / "pages" / f"{p['id']}.html").read_bytes(), p["body"])
            for p in read_jsonl(folder / "truth.jsonl")
        ]
    folder = dev_data("html-train")
    return [
        Page(p["id"], (folder / "pages" / f"{p['id']}.html").read_bytes(), p["gold"])
        for p in read_jsonl(folder / "truth.jsonl")
        if p["split"] == "dev"
    ]


def shipped(keep_comments: bool) -> Callable[[Page], str]:
    """webcurate's text for a page with the shipped block model."""
    return lambda page: pipeline_text(page.data, keep_comments)


def out_of_fold(keep_comments: bool) -> Callable[[Page], str]:
    """webcurate's text for an html-gold page, its blocks scored by a model not fitted on that page."""
    from bench.train_html_blocks import out_of_fold_models

    models = out_of_fold_models()

    def extract(page: Page) -> str:
        """The page through the pipeline with its fold's model in place of the shipped one."""
        with mock.patch.object(html_format, "load_block_model", return_value=models[page.id]):
            return pipeline_text(page.data, keep_comments)

    return extract


def evaluate(extract: Callable[[Page], str], pages: list[Page] | None = None) -> dict[str, Any]:
    """Average P/R/F1 over the pages (html-gold by default), and pages per second."""
    pages = pages if pages is not None else load_set("html-gold")
    totals = [0.0, 0.0, 0.0]
    started = time.perf_counter()
    for page in pages:
        output, gold = extract(page), page.gold
        for i, value in enumerate(score(output, gold)):
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
            results[name] = evaluate(lambda page: pipeline_text(page.data, True))
        html_format.EXTRACT_OPTIONS.clear()
        html_format.EXTRACT_OPTIONS.update(base)
        rows = [
            (name, r["precision"], r["recall"], r["f1"], f"{r['pages_per_s']:.1f}")
            for name, r in results.items()
        ]
        print_table(["extractor", "precision", "recall", "f1", "pages/s"], rows)
        for name, r in results.items():
            print(json.dumps({"bench": "html-gold", "extractor": name, **r}))
        return
    table = []
    for set_name, keep in (("html-gold", True), ("html-train dev", False)):
        pages = load_set(set_name)
        found = {
            "trafilatura (defaults)": evaluate(lambda page: plain_trafilatura(page.data), pages),
            "trafilatura, no comments": evaluate(lambda page: trafilatura_no_comments(page.data), pages),
            "jusText": evaluate(lambda page: justext_text(page.data), pages),
        }
        ours_name = "webcurate"
        if set_name == "html-gold":  # fitted on: the shipped model's figure is in-sample, the judged one not
            found[IN_SAMPLE] = evaluate(shipped(keep), pages)
            ours_name = OUT_OF_FOLD
            found[ours_name] = evaluate(out_of_fold(keep), pages)
        else:
            found[ours_name] = evaluate(shipped(keep), pages)
        for name, r in found.items():
            table.append((set_name, name, r["precision"], r["recall"], r["f1"], f"{r['pages_per_s']:.1f}"))
            print(json.dumps({"bench": set_name, "extractor": name, **r}), flush=True)
        ours = found[ours_name]["f1"]
        summary = {
            "bench": set_name,
            "webcurate": ours_name,
            "webcurate_minus_trafilatura": ours - found["trafilatura (defaults)"]["f1"],
            "webcurate_minus_trafilatura_no_comments": ours - found["trafilatura, no comments"]["f1"],
            "webcurate_minus_justext": ours - found["jusText"]["f1"],
            # issue 19's target: plain trafilatura's F1 + 0.02 and at least jusText's, on each set
            "target_met": ours >= max(found["trafilatura (defaults)"]["f1"] + 0.02, found["jusText"]["f1"]),
        }
        print(json.dumps(summary), flush=True)
    print_table(["set", "extractor", "precision", "recall", "f1", "pages/s"], table)


if __name__ == "__main__":
    main()
