"""Score the boilerplate classifier on the line-labels dev data (every line labelled keep 1 / noise 0).

A line counts as kept when no removed span covers it. Precision, recall and F1 of the keep class and
of the noise class are pooled over lines, overall and per language. Prints a table, then one JSON line.

    .venv/bin/python bench/eval_line_labels.py --split dev
    .venv/bin/python bench/eval_line_labels.py --split train --errors 40   # show misclassified lines

Throughput is measured after the scoring pass (so the lazily compiled rule dispatch is warm, but with
the cache of lines seen before emptied) on documents of about 5 KB cut from the split's lines, with
their language hint, on one core.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.cleaning.boilerplate import remove_boilerplate
from pipeline.cleaning.boilerplate.classify import forget_seen_lines

# The dev data lives in ../shared/dev-data beside the checkout.
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "dev-data" / "line-labels"


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Precision, recall and F1 from counts (0.0 where undefined)."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def scores(c: dict[str, int]) -> dict[str, float]:
    """Keep-class and noise-class precision/recall/F1 from a confusion count."""
    kp, kr, kf = prf(c["kk"], c["nk"], c["kn"])  # keep class: predicted keep vs truth keep
    np_, nr, nf = prf(c["nn"], c["kn"], c["nk"])  # noise class: predicted noise vs truth noise
    return {
        "lines": c["kk"] + c["kn"] + c["nk"] + c["nn"],
        "keep_p": kp,
        "keep_r": kr,
        "keep_f1": kf,
        "noise_p": np_,
        "noise_r": nr,
        "noise_f1": nf,
    }


def kept_lines(text: str, language: str | None) -> tuple[list[bool], list[tuple[int, str]]]:
    """Whether each line of the text survives, and (line, rule) for every removed line."""
    n = text.count("\n") + 1
    kept = [True] * n
    why: list[tuple[int, str]] = []
    for span in remove_boilerplate(text, language=language).removed:
        for ln in range(span.line_start, span.line_end + 1):
            kept[ln - 1] = False
            why.append((ln - 1, span.rule))
    return kept, why


def throughput(rows: list[dict[str, Any]], no_language: bool, size: int = 5000) -> tuple[float, float]:
    """Docs/s and MB/s of remove_boilerplate on ~`size`-character documents cut from the rows' lines."""
    docs: list[tuple[str, str | None]] = []
    lines: list[str] = []
    for r in rows:
        for line in r["lines"]:
            lines.append(line)
            if sum(map(len, lines)) + len(lines) >= size:
                docs.append(("\n".join(lines)[:size], None if no_language else r["lang"]))
                lines = []
    if not docs:
        return 0.0, 0.0
    best = float("inf")
    for _ in range(3):  # best of three: the least disturbed by other processes
        forget_seen_lines()  # time lines as if never seen: the worst case, not the cache
        started = time.process_time()
        for text, language in docs:
            remove_boilerplate(text, language=language)
        best = min(best, time.process_time() - started)
    n_chars = sum(len(text) for text, _ in docs)
    return len(docs) / best, n_chars / best / 1e6


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation and print the table and the JSON line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=["dev", "train", "all"], default="dev")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the line-labels folder")
    ap.add_argument("--no-language", action="store_true", help="do not pass the language hint")
    ap.add_argument("--errors", type=int, default=0, help="print up to N false removals and N misses")
    ap.add_argument("--lang", default=None, help="only documents of this language")
    args = ap.parse_args(argv)

    truth = args.data / "truth.jsonl"
    if not truth.is_file():
        ap.error(f"{truth} not found: pass --data with the line-labels folder")
    rows = [json.loads(line) for line in truth.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if (args.split == "all" or r["split"] == args.split)]
    if args.lang:
        rows = [r for r in rows if r["lang"] == args.lang]
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rules_false: dict[str, int] = defaultdict(int)
    rules_true: dict[str, int] = defaultdict(int)
    false_removals: list[str] = []
    misses: list[str] = []
    for r in rows:
        text = (args.data / "docs" / f"{r['id']}.txt").read_text(encoding="utf-8")
        kept, why = kept_lines(text, None if args.no_language else r["lang"])
        rule_of = dict(why)
        for i, label in enumerate(r["labels"]):
            pred_keep = kept[i]
            key = ("k" if label == 1 else "n") + ("k" if pred_keep else "n")
            for bucket in ("all", r["lang"]):
                counts[bucket][key] += 1
            if not pred_keep:
                (rules_true if label == 0 else rules_false)[rule_of[i]] += 1
            if label == 1 and not pred_keep and len(false_removals) < args.errors:
                false_removals.append(f"{r['id']}:{i + 1} [{rule_of[i]}] {r['lines'][i][:120]}")
            if label == 0 and pred_keep and len(misses) < args.errors:
                misses.append(f"{r['id']}:{i + 1} {r['lines'][i][:120]}")

    table: dict[str, Any] = {k: scores(v) for k, v in sorted(counts.items(), key=lambda kv: kv[0] != "all")}
    print(f"split={args.split} docs={len(rows)} language_hint={not args.no_language}")
    print(
        f"{'lang':<5} {'lines':>6}  {'keep P':>6} {'keep R':>6} {'keep F1':>7}  "
        f"{'noise P':>7} {'noise R':>7} {'noise F1':>8}"
    )
    for lang, s in table.items():
        print(
            f"{lang:<5} {s['lines']:>6}  {s['keep_p']:>6.3f} {s['keep_r']:>6.3f} {s['keep_f1']:>7.3f}  "
            f"{s['noise_p']:>7.3f} {s['noise_r']:>7.3f} {s['noise_f1']:>8.3f}"
        )
    print("removed lines per rule (right / wrong):")
    for rule in sorted(set(rules_true) | set(rules_false), key=lambda k: -(rules_true[k] + rules_false[k])):
        print(f"  {rule:<24} {rules_true[rule]:>5} / {rules_false[rule]:<5}")
    if args.errors:
        print("false removals (keep lines removed):")
        print("\n".join("  " + x for x in false_removals))
        print("misses (noise lines kept):")
        print("\n".join("  " + x for x in misses))
    docs_per_s, mb_per_s = throughput(rows, args.no_language)
    print(f"throughput on ~5 KB documents: {docs_per_s:.0f} docs/s, {mb_per_s:.2f} MB/s (one core, warm)")
    out: dict[str, Any] = {"split": args.split, "docs": len(rows), "language_hint": not args.no_language}
    out["docs_per_s_5kb"] = round(docs_per_s)
    out.update(
        {k: {m: round(v, 4) if isinstance(v, float) else v for m, v in s.items()} for k, s in table.items()}
    )
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
