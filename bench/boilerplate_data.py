"""The labelled line data of ../shared/dev-data, read the same way by the training script and the evaluations.

Each page is a `Page`: its lines, a 0/1 content label per line, its set, split and language, and the user
comment lines where the set marks them. What may be fitted on what (dev-data/README.md): the
`readability` and `cleanportaleval` pages of text-dumps, line-labels, and data we write ourselves
(bench/data/, and on request bench/own_pages.py); the `dragnet` pages (AGPLv3) are for measuring only,
and `TRAINABLE_SETS` leaves them out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.own_pages import own_pages

DEV_DATA = Path(__file__).resolve().parents[2] / "shared" / "dev-data"
OWN_DATA = Path(__file__).resolve().parent / "data" / "boilerplate_lines.jsonl"
TRAINABLE_SETS = frozenset({"readability", "cleanportaleval", "line-labels", "own"})


@dataclass(frozen=True)
class Page:
    """One labelled page: lines with a content label each (1 content, 0 boilerplate)."""

    id: str
    set: str
    split: str
    language: str | None
    lines: list[str]
    labels: list[int]
    comment_lines: frozenset[int] = field(default_factory=frozenset)
    synthetic: bool = False

    @property
    def text(self) -> str:
        """The page as one body."""
        return "\n".join(self.lines)


def _rows(path: Path) -> Iterator[dict[str, object]]:
    """The JSON lines of a file."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def load_pages(root: Path = DEV_DATA, own: Path = OWN_DATA, written: bool = False) -> list[Page]:
    """Every labelled page: text-dumps, line-labels and our own, in a fixed order; `written` adds the
    pages of bench/own_pages.py (a trial: not in the shipped model's data, see its card)."""
    pages: list[Page] = []
    dumps = root / "text-dumps" / "truth.jsonl"
    if dumps.is_file():
        for r in _rows(dumps):
            pages.append(
                Page(
                    str(r["id"]),
                    str(r["set"]),
                    str(r["split"]),
                    None,
                    list(r["lines"]),  # type: ignore[call-overload]
                    list(r["labels"]),  # type: ignore[call-overload]
                    frozenset(r.get("comment_lines") or ()),  # type: ignore[call-overload]
                    bool(r.get("synthetic")),
                )
            )
    labels = root / "line-labels" / "truth.jsonl"
    if labels.is_file():
        for r in _rows(labels):
            pages.append(
                Page(
                    str(r["id"]),
                    "line-labels",
                    str(r["split"]),
                    str(r["lang"]),
                    list(r["lines"]),  # type: ignore[call-overload]
                    list(r["labels"]),  # type: ignore[call-overload]
                )
            )
    for page_id, language, lines, page_labels in own_pages() if written else []:
        pages.append(Page(page_id, "own", "train", language, lines, page_labels))
    if own.is_file():
        for r in _rows(own):
            pages.append(
                Page(
                    str(r["id"]),
                    "own",
                    "train",
                    r.get("lang"),  # type: ignore[arg-type]
                    list(r["lines"]),  # type: ignore[call-overload]
                    list(r["labels"]),  # type: ignore[call-overload]
                )
            )
    return pages


def training_pages(pages: list[Page]) -> list[Page]:
    """The pages the model may be fitted on: train splits of the trainable sets, no synthetic pages."""
    return [p for p in pages if p.set in TRAINABLE_SETS and p.split == "train" and not p.synthetic]


def require_dev_data(root: Path = DEV_DATA) -> None:
    """Exit with a clear message when the dev data is not beside the checkout."""
    if not (root / "text-dumps" / "truth.jsonl").is_file():
        raise SystemExit(
            f"dev data not found at {root}: the team's shared/dev-data must sit beside the checkout"
        )
