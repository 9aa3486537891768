"""Cross-validate the boilerplate model on the pages it may be fitted on, to choose without the dev splits.

    .venv/bin/python -m bench.cv_boilerplate              # 4 folds over the training pages
    .venv/bin/python -m bench.cv_boilerplate --own-pages   # with our own written pages (a trial)

The training pages (bench/train_boilerplate.py: readability and cleanportaleval train pages of text-dumps,
line-labels train, our own pages) are split into folds by page; each fold's pages are cleaned by the whole
pipeline (rules, model, comment and region stage, passes) with a model fitted on the other folds exactly
as the training script fits the shipped one. Scores are pooled over the held-out lines as in
bench/eval_boilerplate.py: content F1 on the text-dumps pages, keep and noise F1 on line-labels (per
language too) and on our own pages. Choices of features, data and fitting are made on these figures; the
dev splits are scored once, at the end, and `dragnet` never takes part in a choice.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.boilerplate_data import Page, load_pages, require_dev_data, training_pages
from bench.eval_boilerplate import scores, webcurate_keep
from bench.train_boilerplate import (
    DEPTH,
    LEARNING_RATE,
    MIN_SAMPLES_LEAF,
    TREES,
    Boosting,
    fit_boosted_trees,
    model_bytes,
    training_matrix,
)
from pipeline.cleaning.boilerplate import BoilerplateSettings
from pipeline.cleaning.boilerplate.features import FEATURE_NAMES
from pipeline.cleaning.boilerplate.model import load_model, model_from_json

SITE_LINE_CHARS = 20  # a line this long shared by two pages says they come from one site (its template)


def _hashed_fold(key: str, folds: int) -> int:
    """The fold of a key, from the key alone (stable whatever else is in the data)."""
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % folds


def page_fold(page: Page, folds: int) -> int:
    """A page's fold, from its id alone."""
    return _hashed_fold(page.id, folds)


def site_groups(pages: list[Page]) -> dict[str, str]:
    """Each page's site group: pages sharing a line of SITE_LINE_CHARS or more, transitively, named by the
    smallest page id among them.

    Why: 17% of the training pages' long lines occur on more than one page (a site's menus, footers and
    teasers). Folds drawn page by page put a site's other pages among the fitted ones, and the folds then
    reward what recognises the site (a page-level feature did best on them and worst on dev)."""
    parent = {p.id: p.id for p in pages}

    def root(page_id: str) -> str:
        """The group's representative (path halving)."""
        while parent[page_id] != page_id:
            parent[page_id] = parent[parent[page_id]]
            page_id = parent[page_id]
        return page_id

    first_seen: dict[str, str] = {}
    for page in pages:
        for line in {" ".join(line.split()) for line in page.lines}:
            if len(line) < SITE_LINE_CHARS:
                continue
            other = first_seen.setdefault(line, page.id)
            a, b = root(other), root(page.id)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {p.id: root(p.id) for p in pages}


def site_fold(page_id: str, groups: dict[str, str], folds: int) -> int:
    """A page's fold by its site group: every page of a site is held out together."""
    return _hashed_fold(groups[page_id], folds)


def fold_of_pages(pages: list[Page], by: str, folds: int) -> dict[str, int]:
    """Each page's fold (by id): by its site, by itself, or by site with each line-labels page in its
    language's fold."""
    if by == "page":
        return {p.id: page_fold(p, folds) for p in pages}
    groups = site_groups(pages)
    fold_of = {p.id: site_fold(p.id, groups, folds) for p in pages}
    if by == "language":
        # Each fold's line-labels pages are one language that none of its fitted pages is in: how the model
        # does on a language it never saw (most of line-labels dev is French and Swedish, never fitted on).
        languages = sorted({p.language or "" for p in pages if p.set == "line-labels"})
        fold_of.update(
            {p.id: languages.index(p.language or "") % folds for p in pages if p.set == "line-labels"}
        )
    return fold_of


def group(page: Page) -> str:
    """The figure a page counts towards."""
    if page.set == "line-labels":
        return f"line-labels [{page.language}]"
    return "own" if page.set == "own" else "text-dumps"


def main(argv: list[str] | None = None) -> int:
    """Fit per fold, clean the held-out pages, print pooled scores."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument(
        "--by",
        choices=("site", "page", "language"),
        default="site",
        help="hold out whole sites (default), single pages, or (line-labels) one language per fold",
    )
    ap.add_argument("--own-pages", action="store_true", help="add bench/own_pages.py's pages")
    ap.add_argument("--models", type=Path, help="keep the folds' models in this folder")
    ap.add_argument("--reuse", action="store_true", help="score the models kept in --models again")
    ap.add_argument("--errors", type=Path, help="write the held-out pages' errors to this file")
    args = ap.parse_args(argv)
    require_dev_data()
    started = time.perf_counter()
    pages = training_pages(load_pages(written=args.own_pages))
    how = Boosting(TREES, DEPTH, LEARNING_RATE, MIN_SAMPLES_LEAF, "lines")
    pairs: dict[str, list[tuple[list[bool], list[int]]]] = defaultdict(list)
    errors: list[str] = []
    fold_of = fold_of_pages(pages, args.by, args.folds)
    for fold in range(args.folds):
        held = [p for p in pages if fold_of[p.id] == fold]
        fitted = [p for p in pages if fold_of[p.id] != fold]
        saved = args.models / f"fold{fold}.json" if args.models else None
        if saved and saved.is_file() and args.reuse:
            model = load_model(saved)
        else:
            x, y, weights = training_matrix(fitted)
            fitted_model = fit_boosted_trees(x, y, FEATURE_NAMES, how, weights)
            if saved:
                saved.parent.mkdir(parents=True, exist_ok=True)
                saved.write_bytes(model_bytes(fitted_model))
            model = model_from_json(fitted_model, f"fold{fold}")
        kept, _ = webcurate_keep(held, BoilerplateSettings(), model)
        for page, keep in zip(held, kept, strict=True):
            pairs[group(page)].append((keep, page.labels))
            errors.extend(
                f"{page.id}:{i + 1} {'DROPPED' if label else 'KEPT'} {page.lines[i][:120]}"
                for i, (k, label) in enumerate(zip(keep, page.labels, strict=True))
                if k != bool(label) and page.lines[i].strip()
            )
            if page.set == "line-labels":
                pairs["line-labels"].append((keep, page.labels))
    print(f"{'held-out pages':<24} {'lines':>7} {'P':>6} {'R':>6} {'F1':>6} {'noise F1':>8}")
    for name in sorted(pairs):
        s = scores(pairs[name])
        print(
            f"{name:<24} {s['lines']:>7} {s['P']:>6.3f} {s['R']:>6.3f} {s['F1']:>6.3f} {s['noise_F1']:>8.3f}"
        )
    if args.errors:
        args.errors.write_text("\n".join(errors) + "\n", encoding="utf-8")
    print(f"{args.folds} folds in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
