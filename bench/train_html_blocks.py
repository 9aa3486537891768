"""Fit the HTML block model and write pipeline/cleaning/formats/html_block_model.json.

    .venv/bin/python -m bench.train_html_blocks            # rebuild the shipped model file
    .venv/bin/python -m bench.train_html_blocks --out F    # write it elsewhere (the test compares)

bench/eval_html.py also scores html-gold out of fold (`out_of_fold_models`): its pages are split by site
into FOLDS folds, and each page is scored by a model fitted by this same recipe on every training page
but its fold's, so the html-gold figure is not measured on pages the model was fitted on.

Every block of a page (pipeline/cleaning/formats/html_blocks.py) is labelled main text when at least half
of its word trigrams are in the page's gold text (a block shorter than three words: when it is a whole
line of the gold). The pages are those that may be fitted on (../shared/dev-data/README.md): all of
html-gold (CleanEval dev; comments are main text in its gold) and the train split of html-train's
`readability` (not the synthetic unit-test pages) and `cleanportaleval` pages. Never the `dragnet` pages
(the cross-source measure) nor html-train's dev split. Blocks that trafilatura put in the page's comments
are left out: the comment setting, not the model, decides them. The model is scikit-learn's exact
gradient boosting written out as complete trees (as bench/train_boilerplate.py), byte for byte the same
on every rebuild.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import dev_data, read_jsonl
from bench.train_boilerplate import Boosting, fit_boosted_trees, model_bytes
from pipeline.cleaning.boilerplate.model import TreeModel, model_from_json
from pipeline.cleaning.decode import decode_bytes, normalise_newlines
from pipeline.cleaning.formats.html import HtmlPage, read_page
from pipeline.cleaning.formats.html_blocks import (
    FEATURE_NAMES,
    MODEL_FILE,
    TRAF_COMMENTS,
    _gram_set,
    _grams,
    block_features,
    words_of,
)

TREES = 80
DEPTH = 4
LEARNING_RATE = 0.1
MIN_SAMPLES_LEAF = 20
LABEL_SHARE = 0.5  # a block is main text when at least this share of its trigrams is in the gold
COMMENT_VOTE = 0.5  # blocks with this share of their trigrams in trafilatura's comments are left out
FOLDS = 5  # html-gold's out-of-fold figure: each page scored by a model fitted without its fold


def html_pages(which: str) -> list[tuple[str, str, bytes, str]]:
    """(id, set, page bytes, gold) of html-gold ("gold") or one split of html-train ("train", "dev")."""
    if which == "gold":
        folder = dev_data("html-gold")
        return [
            (p["id"], "cleaneval", (folder / "pages" / f"{p['id']}.html").read_bytes(), p["body"])
            for p in read_jsonl(folder / "truth.jsonl")
        ]
    folder = dev_data("html-train")
    return [
        (p["id"], p["set"], (folder / "pages" / f"{p['id']}.html").read_bytes(), p["gold"])
        for p in read_jsonl(folder / "truth.jsonl")
        if p["split"] == which and not p.get("synthetic")
    ]


def fittable(pages: list[tuple[str, str, bytes, str]]) -> list[tuple[str, str, bytes, str]]:
    """The pages whose terms allow fitting: never `dragnet`."""
    return [p for p in pages if p[1] != "dragnet"]


def read(data: bytes) -> HtmlPage | None:
    """A page read as the pipeline reads it (decoded, newlines normalised)."""
    return read_page(normalise_newlines(decode_bytes(data).text).lstrip("\ufeff"))


def labelled(page: HtmlPage, gold: str) -> tuple[np.ndarray, np.ndarray]:
    """The features and labels of a page's blocks (blocks in trafilatura's comments left out)."""
    x = block_features(page.blocks, page.main, page.comments, page.fields.get("title"))
    ref = _gram_set(gold)
    y = np.zeros(len(page.blocks), dtype=np.int64)
    for i, block in enumerate(page.blocks):
        grams = _grams(words_of(block.text))
        y[i] = int(bool(grams) and sum(g in ref for g in grams) >= LABEL_SHARE * len(grams))
    keep = x[:, TRAF_COMMENTS] < COMMENT_VOTE
    return x[keep], y[keep]


def matrix(pages: list[tuple[str, str, bytes, str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stacked features, labels and page index of every block of the pages."""
    xs, ys, groups = [], [], []
    for k, (_, _, data, gold) in enumerate(pages):
        page = read(data)
        if page is None or not page.blocks:
            continue
        x, y = labelled(page, gold)
        xs.append(x)
        ys.append(y)
        groups.append(np.full(len(y), k))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(groups)


def fit(x: np.ndarray, y: np.ndarray) -> dict[str, object]:
    """Fit the boosted trees and return the model file's content."""
    how = Boosting(TREES, DEPTH, LEARNING_RATE, MIN_SAMPLES_LEAF, "blocks")
    return fit_boosted_trees(x, y, tuple(FEATURE_NAMES), how)


def training_pages() -> list[tuple[str, str, bytes, str]]:
    """html-gold and html-train's fittable train pages, in a fixed order."""
    return html_pages("gold") + fittable(html_pages("train"))


def site(url: str) -> str:
    """A page's site: the last two labels of its host (pages of one site share templates, so one fold)."""
    host = urlparse(url).hostname or url
    return ".".join(host.split(".")[-2:])


def gold_folds(k: int = FOLDS) -> dict[str, int]:
    """Each html-gold page's fold: sites in order of first appearance, dealt round-robin into k folds."""
    order: dict[str, int] = {}
    folds: dict[str, int] = {}
    for p in read_jsonl(dev_data("html-gold") / "truth.jsonl"):
        folds[p["id"]] = order.setdefault(site(p["url"]), len(order)) % k
    return folds


def out_of_fold_models(k: int = FOLDS) -> dict[str, TreeModel]:
    """For each html-gold page, the model fitted by this recipe on every training page but its fold's."""
    pages = training_pages()
    folds = gold_folds(k)
    x, y, groups = matrix(pages)
    page_fold = np.array([folds.get(p[0], -1) if p[1] == "cleaneval" else -1 for p in pages])
    models: dict[str, TreeModel] = {}
    for fold in range(k):
        rows = page_fold[groups] != fold
        model = model_from_json(fit(x[rows], y[rows]), f"fold-{fold}")
        models.update({page_id: model for page_id, f in folds.items() if f == fold})
    return models


def main(argv: list[str] | None = None) -> int:
    """Build the training matrix, fit, and write the model file."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=MODEL_FILE, help="where to write the model file")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    pages = training_pages()
    x, y, _ = matrix(pages)
    print(f"training blocks: {len(y)} from {len(pages)} pages, content share {y.mean():.3f}", file=sys.stderr)
    data = model_bytes(fit(x, y))
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data)} bytes) in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
