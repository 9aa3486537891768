"""Score boilerplate removal on the labelled line data, beside keep-all and C4's line rule.

    .venv/bin/python -m bench.eval_boilerplate                 # every set, the shipped model
    .venv/bin/python -m bench.eval_boilerplate --sets dragnet --errors 30

Sets: `dragnet` (all 1,378 text-dumps pages; never fitted on: the cross-source measure), `td-dev` (dev
split of the readability and cleanportaleval text-dumps), `ll-dev` (line-labels dev, per language too).
A line counts as kept when no removed span covers it. Scores are pooled over lines: precision, recall
and F1 of the content (keep) class, and F1 of the noise class. webcurate is scored with the comment
stage (the default) and without it (`keep_comments`); on `dragnet` also on the pages' lines without their
user comments. Prints a table, then one JSON line; the boilerplate step's CPU time per document and lines
per second come last.

A change that moves the pooled figures may do it on a few pages or on many: `--save-kept FILE` writes
which lines webcurate kept on every page (JSON, page id to a string of 0s and 1s), and `--against FILE`
sets each set's pages against such a file from an earlier run (another checkout, another model): pages
with fewer and with more wrong lines, the net change, and the pages that moved most each way.

    .venv/bin/python -m bench.eval_boilerplate --save-kept /tmp/before.json     # on the old checkout
    .venv/bin/python -m bench.eval_boilerplate --against /tmp/before.json       # on the new one
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.boilerplate_data import Page, load_pages, require_dev_data
from pipeline.cleaning.boilerplate import BoilerplateSettings, guess_language, remove_boilerplate_batch
from pipeline.cleaning.boilerplate.model import MODEL_FILE, TreeModel, load_model

BATCH = 128  # documents per remove_boilerplate_batch call, about what an engine task holds
_TERMINAL = re.compile(r"[.!?\"”]\s*$")


def select(pages: list[Page], name: str) -> list[Page]:
    """The pages of one evaluation set."""
    if name == "dragnet":
        return [p for p in pages if p.set == "dragnet"]
    if name == "td-dev":
        return [p for p in pages if p.set in ("readability", "cleanportaleval") and p.split == "dev"]
    if name == "ll-dev":
        return [p for p in pages if p.set == "line-labels" and p.split == "dev"]
    raise SystemExit(f"unknown set {name!r}")


def c4_keep(page: Page) -> list[bool]:
    """C4's line rule: keep lines of at least 5 words ending in sentence punctuation or a quote."""
    return [len(line.split()) >= 5 and _TERMINAL.search(line) is not None for line in page.lines]


def webcurate_keep(
    pages: list[Page], settings: BoilerplateSettings, model: TreeModel | None = None
) -> tuple[list[list[bool]], float]:
    """Which lines webcurate keeps on each page (with `model`, the shipped one by default), and the CPU
    seconds the step took."""
    kept: list[list[bool]] = []
    cpu = 0.0
    for start in range(0, len(pages), BATCH):
        chunk = pages[start : start + BATCH]
        texts = [p.text for p in chunk]
        began = time.process_time()
        results = remove_boilerplate_batch(
            texts, languages=[guess_language(t) for t in texts], settings=settings, model=model
        )
        cpu += time.process_time() - began
        for page, result in zip(chunk, results, strict=True):
            keep = [True] * len(page.lines)
            for span in result.removed:
                for line in range(span.line_start - 1, span.line_end):
                    keep[line] = False
            kept.append(keep)
    return kept, cpu


def scores(pairs: list[tuple[list[bool], list[int]]]) -> dict[str, float]:
    """Content precision/recall/F1 and noise F1, pooled over the lines of (kept, labels) pairs."""
    keep = np.concatenate([np.array(k, dtype=bool) for k, _ in pairs]) if pairs else np.zeros(0, bool)
    gold = np.concatenate([np.array(y, dtype=bool) for _, y in pairs]) if pairs else np.zeros(0, bool)
    tp, fp, fn = int((keep & gold).sum()), int((keep & ~gold).sum()), int((~keep & gold).sum())
    tn = int((~keep & ~gold).sum())
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    pn = tn / (tn + fn) if tn + fn else 0.0
    rn = tn / (tn + fp) if tn + fp else 0.0
    return {
        "pages": len(pairs),  # a figure over a few pages moves when one page flips whole (data card)
        "lines": len(keep),
        "P": p,
        "R": r,
        "F1": 2 * p * r / (p + r) if p + r else 0.0,
        "noise_F1": 2 * pn * rn / (pn + rn) if pn + rn else 0.0,
    }


def without_comments(pages: list[Page], kept: list[list[bool]]) -> list[tuple[list[bool], list[int]]]:
    """(kept, labels) with each page's user comment lines left out."""
    out = []
    for page, keep in zip(pages, kept, strict=True):
        idx = [i for i in range(len(page.lines)) if i not in page.comment_lines]
        out.append(([keep[i] for i in idx], [page.labels[i] for i in idx]))
    return out


def show_errors(pages: list[Page], kept: list[list[bool]], limit: int) -> None:
    """Print up to `limit` content lines removed and noise lines kept."""
    dropped: list[str] = []
    missed: list[str] = []
    for page, keep in zip(pages, kept, strict=True):
        for i, (k, y) in enumerate(zip(keep, page.labels, strict=True)):
            if y and not k and len(dropped) < limit:
                dropped.append(f"  {page.id}:{i + 1} {page.lines[i][:110]}")
            if not y and k and len(missed) < limit:
                missed.append(f"  {page.id}:{i + 1} {page.lines[i][:110]}")
    print("content removed:\n" + "\n".join(dropped))
    print("noise kept:\n" + "\n".join(missed))


def wrong_lines(page: Page, keep: list[bool]) -> int:
    """How many non-blank lines of a page the cleaning got wrong: noise kept or content removed."""
    return sum(
        1 for line, k, y in zip(page.lines, keep, page.labels, strict=True) if line.strip() and k != bool(y)
    )


def page_changes(pages: list[Page], kept: list[list[bool]], before: dict[str, str]) -> dict[str, Any]:
    """Page by page against an earlier run's kept lines (`before`: page id to "0"/"1" per line): how many
    pages have fewer and more wrong lines, the net change, and the three that moved most each way."""
    moves: list[tuple[int, str]] = []
    for page, keep in zip(pages, kept, strict=True):
        old = before.get(page.id)
        if old is None or len(old) != len(keep):
            continue  # not in the earlier run, or another version of the page
        moves.append((wrong_lines(page, keep) - wrong_lines(page, [c == "1" for c in old]), page.id))
    moves.sort()
    return {
        "compared": len(moves),
        "better": sum(d < 0 for d, _ in moves),
        "worse": sum(d > 0 for d, _ in moves),
        "net_wrong_lines": sum(d for d, _ in moves),
        "most_better": [[pid, d] for d, pid in moves[:3] if d < 0],
        "most_worse": [[pid, d] for d, pid in moves[::-1][:3] if d > 0],
    }


def main(argv: list[str] | None = None) -> int:
    """Score each set and print the table and JSON line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sets", default="dragnet,td-dev,ll-dev", help="comma-separated: dragnet, td-dev, ll-dev"
    )
    ap.add_argument("--threshold", type=float, default=BoilerplateSettings().threshold)
    ap.add_argument("--errors", type=int, default=0, help="print up to N errors of each kind per set")
    ap.add_argument("--model", type=Path, default=MODEL_FILE, help="the model file to score (a trial's)")
    ap.add_argument("--save-kept", type=Path, help="write the lines webcurate kept on every page here")
    ap.add_argument("--against", type=Path, help="set each page against a --save-kept file of another run")
    args = ap.parse_args(argv)
    before: dict[str, str] = json.loads(args.against.read_text()) if args.against else {}
    saved: dict[str, str] = {}
    require_dev_data()
    model = load_model(args.model.resolve())
    pages = load_pages()
    results: dict[str, Any] = {}
    total_cpu, total_docs, total_lines = 0.0, 0, 0
    print(f"{'set':<8} {'system':<26} {'pages':>5} {'lines':>7} {'P':>6} {'R':>6} {'F1':>6} {'noise F1':>8}")
    for name in args.sets.split(","):
        chosen = select(pages, name)
        baselines = {
            "keep-all": [[True] * len(p.lines) for p in chosen],
            "C4 line rule": [c4_keep(p) for p in chosen],
        }
        table: dict[str, Any] = {}
        for system, keep in baselines.items():
            table[system] = scores([(k, p.labels) for k, p in zip(keep, chosen, strict=True)])
        comments, _ = webcurate_keep(chosen, BoilerplateSettings(args.threshold, keep_comments=True), model)
        table["webcurate, comments kept"] = scores(
            [(k, p.labels) for k, p in zip(comments, chosen, strict=True)]
        )
        kept, cpu = webcurate_keep(chosen, BoilerplateSettings(args.threshold), model)
        total_cpu, total_docs = total_cpu + cpu, total_docs + len(chosen)
        total_lines += sum(len(p.lines) for p in chosen)
        table["webcurate"] = scores([(k, p.labels) for k, p in zip(kept, chosen, strict=True)])
        if name == "dragnet":
            table["webcurate, comment lines out"] = scores(without_comments(chosen, kept))
        if name == "ll-dev":
            # Its gold counts user comments as content (as html-gold's does), so both runs per language.
            for system, run in (("webcurate", kept), ("comments kept", comments)):
                by_language: dict[str, list[tuple[list[bool], list[int]]]] = defaultdict(list)
                for k, p in zip(run, chosen, strict=True):
                    by_language[p.language or "und"].append((k, p.labels))
                for language, pairs in sorted(by_language.items()):
                    table[f"{system} [{language}]"] = scores(pairs)
        for system, s in table.items():
            print(
                f"{name:<8} {system:<26} {s['pages']:>5} {s['lines']:>7} {s['P']:>6.3f} {s['R']:>6.3f} "
                f"{s['F1']:>6.3f} {s['noise_F1']:>8.3f}"
            )
        results[name] = {k: {m: round(v, 4) for m, v in s.items()} for k, s in table.items()}
        if args.save_kept:
            saved.update({p.id: "".join(map(str, map(int, k))) for p, k in zip(chosen, kept, strict=True)})
        if args.against:
            moved = results[name]["against"] = page_changes(chosen, kept, before)
            print(
                f"{name:<8} against {args.against.name}: {moved['better']} pages better, {moved['worse']} "
                f"worse of {moved['compared']}, wrong lines {moved['net_wrong_lines']:+d}; most better "
                f"{moved['most_better']}, most worse {moved['most_worse']}"
            )
        if args.errors:
            show_errors(chosen, kept, args.errors)
    ms_per_doc = 1000 * total_cpu / max(total_docs, 1)
    lines_per_s = total_lines / max(total_cpu, 1e-9)
    print(
        f"boilerplate step: {ms_per_doc:.2f} ms CPU per document, {lines_per_s:,.0f} lines/s "
        f"({total_docs} documents, {total_lines} lines, batches of {BATCH}, one core)"
    )
    results["cost"] = {
        "ms_per_doc": round(ms_per_doc, 3),
        "lines_per_s": round(total_lines / max(total_cpu, 1e-9)),
    }
    print(json.dumps(results))
    if args.save_kept:
        args.save_kept.write_text(json.dumps(saved))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
