"""Shared helpers for the bench scripts: where the dev data is, peak memory, table printing."""

from __future__ import annotations

import json
import resource
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEV_DATA = REPO.parent / "shared" / "dev-data"


def dev_data(name: str) -> Path:
    """A folder of ../shared/dev-data, or exit with a clear message when it is not beside the checkout."""
    path = DEV_DATA / name
    if not path.exists():
        sys.exit(f"{path} not found: the dev data lives in ../shared/dev-data beside the checkout")
    return path


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """The rows of a JSON-lines file."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print an aligned plain-text table."""
    cells = [[f"{c:.3f}" if isinstance(c, float) else str(c) for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]
    print("  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def prf(true_positive: int, predicted: int, actual: int) -> tuple[float, float, float]:
    """Precision, recall and F1 from counts."""
    precision = true_positive / predicted if predicted else 0.0
    recall = true_positive / actual if actual else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
