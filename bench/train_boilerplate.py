"""Fit the boilerplate model and write pipeline/cleaning/boilerplate/boilerplate_model.json.

    .venv/bin/python -m bench.train_boilerplate            # rebuild the shipped model file
    .venv/bin/python -m bench.train_boilerplate --out F    # write it elsewhere (the test compares)

The training lines are the train splits of the sets that may be fitted on (bench/boilerplate_data.py):
`readability` and `cleanportaleval` pages of text-dumps, line-labels, and our own labelled lines in
bench/data/. Never the `dragnet` pages: they are the cross-source measure. Each page goes through the same
first pass as at run time (`document_evidence`: rules, then the lines the model decides), so the model is
fitted on exactly the features it will see. The model is scikit-learn's exact gradient boosting (no
histogram binning, no subsampling: the same data gives the same trees), written out as complete trees of
one depth that pipeline/cleaning/boilerplate/model.py evaluates with numpy; the file is byte for byte
the same on every rebuild, and its sha256 is part of every cleaned document's cache key.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.boilerplate_data import Page, load_pages, require_dev_data, training_pages
from pipeline.cleaning.boilerplate import guess_language
from pipeline.cleaning.boilerplate.features import FEATURE_NAMES, LineBatch, line_features
from pipeline.cleaning.boilerplate.model import MODEL_FILE, model_from_json
from pipeline.cleaning.boilerplate.remove import document_evidence, rule_code

TREES = 60
DEPTH = 5
LEARNING_RATE = 0.1
MIN_SAMPLES_LEAF = 20
CLEANED_WEIGHT = 0.3  # weight of a cleaned page's lines against the raw pages' lines


def cleaned(page: Page) -> Page:
    """The page as its own cleaning would leave it: its content lines alone, all labelled content.

    Cleaning repeats its passes until nothing more goes (so that it is idempotent); fitted on raw pages
    alone, the model would see a clean article as a page of unusual context and nibble at it pass after
    pass. With these pages it learns that an article without its chrome is all content.
    """
    lines = [line for line, label in zip(page.lines, page.labels, strict=True) if label]
    return Page(page.id + "#clean", page.set, page.split, page.language, lines, [1] * len(lines))


def training_matrix(pages: list[Page]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, labels and weights of the lines the model decides on every page (certain rule lines
    left out), and on each page's cleaned form (weighted CLEANED_WEIGHT)."""
    docs: list[list[str]] = []
    codes: list[int] = []
    labels: list[int] = []
    weights: list[float] = []
    for page in [*pages, *(cleaned(p) for p in pages if any(p.labels))]:
        # The language hint as at run time (clean_document's stop-word vote), not the data's label.
        found = document_evidence(page.text, language=guess_language(page.text))
        assert len(found.lines) == len(page.labels), page.id
        docs.append([found.lines[i] for i in found.open_lines])
        codes += [rule_code(found.labels[i]) for i in found.open_lines]
        labels += [page.labels[i] for i in found.open_lines]
        weights += [CLEANED_WEIGHT if page.id.endswith("#clean") else 1.0] * len(found.open_lines)
    x = line_features(LineBatch.of(docs), np.array(codes, dtype=np.int8))
    return x, np.array(labels), np.array(weights)


def complete_tree(tree: object, depth: int) -> dict[str, list[float] | list[int]]:
    """A fitted sklearn regression tree as a complete binary tree of `depth` levels (node k's children
    are 2k+1 and 2k+2); a leaf above the bottom is copied down, its inner nodes always going left."""
    inner = 2**depth - 1
    feature = [0] * inner
    threshold = [sys.float_info.max] * inner  # never exceeded: an unused node goes left
    leaf = [0.0] * (2**depth)
    left, right = tree.children_left, tree.children_right  # type: ignore[attr-defined]
    values = tree.value  # type: ignore[attr-defined]

    def fill(position: int, node: int, level: int) -> None:
        """Lay sklearn's `node` at `position` of the complete tree."""
        if level == depth or left[node] == -1:
            assert left[node] == -1, "the tree is deeper than the layout"
            # Every bottom leaf under `position` gets the value (the path always goes left, but the
            # others are filled too so that the layout has no arbitrary numbers).
            first, count = position, 1
            for _ in range(depth - level):
                first, count = 2 * first + 1, 2 * count
            for k in range(first, first + count):
                leaf[k - inner] = float(values[node][0][0])
            return
        feature[position] = int(tree.feature[node])  # type: ignore[attr-defined]
        threshold[position] = float(tree.threshold[node])  # type: ignore[attr-defined]
        fill(2 * position + 1, int(left[node]), level + 1)
        fill(2 * position + 2, int(right[node]), level + 1)

    fill(0, 0, 0)
    return {"feature": feature, "threshold": threshold, "leaf": leaf}


@dataclass(frozen=True)
class Boosting:
    """How a model's trees are fitted, and what its rows are called in the file ("lines", "blocks")."""

    trees: int
    depth: int
    learning_rate: float
    min_samples_leaf: int
    rows: str


def fit_boosted_trees(
    x: np.ndarray,
    y: np.ndarray,
    features: tuple[str, ...],
    how: Boosting,
    weights: np.ndarray | None = None,
) -> dict[str, object]:
    """Fit scikit-learn's exact gradient boosting and return the model file's content (complete trees,
    learning rate applied), checked against scikit-learn's own scores on the training rows."""
    from sklearn.ensemble import GradientBoostingClassifier

    booster = GradientBoostingClassifier(
        n_estimators=how.trees,
        max_depth=how.depth,
        learning_rate=how.learning_rate,
        min_samples_leaf=how.min_samples_leaf,
        subsample=1.0,
        random_state=0,
    )
    booster.fit(x, y, sample_weight=weights)
    prior = float(np.mean(y) if weights is None else np.average(y, weights=weights))
    trees = []
    for estimator in booster.estimators_[:, 0]:
        tree = complete_tree(estimator.tree_, how.depth)
        tree["leaf"] = [how.learning_rate * v for v in tree["leaf"]]  # type: ignore[union-attr]
        trees.append(tree)
    model: dict[str, object] = {
        "format": "webcurate-boosted-trees/1",
        "features": list(features),
        "depth": how.depth,
        "base": float(np.log(prior / (1 - prior))),
        "trees": trees,
        "fitted": {
            how.rows: len(y),
            "content_share": round(prior, 6),
            "trees": how.trees,
            "learning_rate": how.learning_rate,
            "min_samples_leaf": how.min_samples_leaf,
        },
    }
    ours = model_from_json(model, "").log_odds(x)
    worst = float(np.max(np.abs(ours - booster.decision_function(x))))
    assert worst < 1e-6, f"exported trees disagree with scikit-learn by {worst}"
    return model


def model_bytes(model: dict[str, object]) -> bytes:
    """The model file's bytes: sorted keys, no spaces, one trailing newline (stable across rebuilds)."""
    return (json.dumps(model, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    """Build the training matrix, fit, and write the model file."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=MODEL_FILE, help="where to write the model file")
    ap.add_argument(
        "--own-pages", action="store_true", help="add bench/own_pages.py's pages (a trial; not shipped)"
    )
    args = ap.parse_args(argv)
    require_dev_data()
    started = time.perf_counter()
    pages = training_pages(load_pages(written=args.own_pages))
    x, y, weights = training_matrix(pages)
    print(f"training lines: {len(y)} from {len(pages)} pages, content share {y.mean():.3f}", file=sys.stderr)
    how = Boosting(TREES, DEPTH, LEARNING_RATE, MIN_SAMPLES_LEAF, "lines")
    data = model_bytes(fit_boosted_trees(x, y, FEATURE_NAMES, how, weights))
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data)} bytes) in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
