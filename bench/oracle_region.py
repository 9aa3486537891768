"""How much of the boilerplate gap is the main region's: each set scored with the region as shipped, and
with the region drawn by an oracle that knows the page's labels.

    .venv/bin/python -m bench.oracle_region                       # every set, every oracle
    .venv/bin/python -m bench.oracle_region --sets dragnet --oracles end

The oracle's region runs from the page's first content line to its last (`both`); `end` and `start` take
only that edge from the labels and the other from the shipped region. Everything else (rules, model,
comment thread, passes) is as shipped, so the figures bound what a better region could win: no model
reaches them. Pages are cleaned one at a time (the oracle must know whose lines it draws) through the
pipeline's own `remove_boilerplate_batch`, with `region.main_region` replaced for the run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.boilerplate_data import Page, load_pages, require_dev_data
from bench.eval_boilerplate import scores, select, webcurate_keep
from pipeline.cleaning.boilerplate import BoilerplateSettings, remove
from pipeline.cleaning.boilerplate import region as region_stage

ORACLES = ("both", "end", "start")


def oracle_mask(shipped: np.ndarray, labels: np.ndarray, which: str) -> np.ndarray:
    """The oracle's region over a pass's open lines: the first to the last content line (`both`), or one
    of those edges with the other from the `shipped` region (when it has one). A page without content
    has no region."""
    mask = np.zeros(len(labels), dtype=bool)
    if not labels.any():
        return mask
    first, last = np.flatnonzero(labels)[[0, -1]]
    if which != "both" and shipped.any():
        start, end = np.flatnonzero(shipped)[[0, -1]]
        if which == "end":
            first = min(start, last)
        else:
            last = max(end, first)
    mask[first : last + 1] = True
    return mask


@contextmanager
def oracle_region(page: Page, which: str) -> Iterator[None]:
    """While inside, the main region of `page`'s cleaning (one page per batch) is the oracle's."""
    seen: dict[str, Any] = {}
    main_region = region_stage.main_region
    evidence_of = remove.document_evidence
    run_pass = remove._run_pass

    def evidence(*args: Any, **kwargs: Any) -> remove.Evidence:
        """The rules' evidence, remembered: its open lines are the ones the region is drawn over."""
        seen["evidence"] = found = evidence_of(*args, **kwargs)
        return found

    def one_pass(docs: list[Any], *args: Any, **kwargs: Any) -> None:
        """A pass, with its document remembered: its view maps open lines to the page's lines."""
        seen["doc"] = docs[0]
        run_pass(docs, *args, **kwargs)

    def region(
        score: np.ndarray, chars: np.ndarray, threshold: float, walls: np.ndarray | None = None
    ) -> np.ndarray:
        """The oracle's region over the lines the stage draws it on (those before any comment thread)."""
        view, open_lines = seen["doc"].view, seen["evidence"].open_lines
        labels = np.array([page.labels[view[i]] for i in open_lines[: len(score)]], dtype=bool)
        return oracle_mask(main_region(score, chars, threshold, walls), labels, which)

    with (
        mock.patch.object(remove, "document_evidence", evidence),
        mock.patch.object(remove, "_run_pass", one_pass),
        mock.patch.object(region_stage, "main_region", region),
    ):
        yield


def kept_with(pages: list[Page], which: str | None) -> list[list[bool]]:
    """Which lines of each page the cleaning keeps, with the oracle's region (`which`) or the shipped one."""
    if which is None:
        return webcurate_keep(pages, BoilerplateSettings())[0]
    kept = []
    for page in pages:
        with oracle_region(page, which):
            kept.append(webcurate_keep([page], BoilerplateSettings())[0][0])
    return kept


def main(argv: list[str] | None = None) -> int:
    """Score each set as shipped and under each oracle; print a table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sets", default="dragnet,td-dev,ll-dev", help="comma-separated: dragnet, td-dev, ll-dev"
    )
    ap.add_argument("--oracles", default=",".join(ORACLES), help=f"comma-separated: {', '.join(ORACLES)}")
    args = ap.parse_args(argv)
    require_dev_data()
    pages = load_pages()
    runs: list[tuple[str, str | None]] = [("as shipped", None)]
    runs += [(f"oracle {which}", which) for which in args.oracles.split(",")]
    print(f"{'set':<8} {'region':<14} {'P':>6} {'R':>6} {'F1':>6} {'noise F1':>8}")
    for name in args.sets.split(","):
        chosen = select(pages, name)
        for label, which in runs:
            s = scores([(k, p.labels) for k, p in zip(kept_with(chosen, which), chosen, strict=True)])
            figures = " ".join(f"{s[key]:>6.3f}" for key in ("P", "R", "F1"))
            print(f"{name:<8} {label:<14} {figures} {s['noise_F1']:>8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
