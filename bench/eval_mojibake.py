"""Mojibake repair on ../shared/dev-data/mojibake: repair rate on broken strings, unchanged rate on clean.

.venv/bin/python -m bench.eval_mojibake [--show-failures]
"""

from __future__ import annotations

import argparse
import json
import unicodedata
from collections import defaultdict

from bench.common import dev_data, print_table, read_jsonl
from pipeline.cleaning.decode import repair_mojibake


def nfc(text: str) -> str:
    """NFC form, as the pipeline emits."""
    return unicodedata.normalize("NFC", text)


def main() -> None:
    """Score repair_mojibake on every case and print the rates per category and overall."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--show-failures", action="store_true")
    args = parser.parse_args()
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # broken, repaired, clean, unchanged
    failures = []
    for case in read_jsonl(dev_data("mojibake") / "cases.jsonl"):
        fixed, _ = repair_mojibake(case["original"])
        row = stats[case["category"]]
        if case["is_mojibake"]:
            row[0] += 1
            ok = fixed == nfc(case["expected"])
            row[1] += ok
        else:
            row[2] += 1
            ok = fixed == nfc(case["original"])
            row[3] += ok
        if not ok:
            failures.append((case["id"], case["original"], fixed, case["expected"]))
    total = [sum(col) for col in zip(*stats.values(), strict=True)]
    rows = [
        (name, b, f"{r / b:.3f}" if b else "-", c, f"{u / c:.3f}" if c else "-")
        for name, (b, r, c, u) in [*sorted(stats.items()), ("all", total)]
    ]
    print_table(["category", "broken", "repaired", "clean", "unchanged"], rows)
    b, r, c, u = total
    print(
        json.dumps(
            {"bench": "mojibake", "repair_rate": r / b, "unchanged_rate": u / c, "broken": b, "clean": c}
        )
    )
    if args.show_failures:
        for failure in failures:
            print(json.dumps(failure, ensure_ascii=False))


if __name__ == "__main__":
    main()
