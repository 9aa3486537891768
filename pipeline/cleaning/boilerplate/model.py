"""The fitted boilerplate model: gradient-boosted trees over line features, evaluated with numpy.

The model file (`boilerplate_model.json`, beside this module) is written by `bench/train_boilerplate.py`
and documented in `boilerplate_model.md` (its data card). It holds the feature names it was fitted on
and its trees laid out as complete binary trees of one depth: a leaf above the bottom level is copied
down both sides, so every row takes exactly `depth` steps per tree and a whole batch of lines walks a
tree together (one gather and one comparison per level), with no per-line Python.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_FILE = Path(__file__).with_name("boilerplate_model.json")
DEFAULT_THRESHOLD = 0.5  # a line whose content probability is below this is boilerplate
ALL_TREES_MAX_ROWS = 400  # up to this many rows walk all trees together (measured: 15x faster at 60 rows)


class ModelFileError(ValueError):
    """A model file that cannot be read or does not fit the features this code computes."""


@dataclass(frozen=True)
class TreeModel:
    """Boosted trees as arrays: tree t's node k tests `X[:, feature[t, k]] <= threshold[t, k]`."""

    features: tuple[str, ...]
    depth: int
    feature: np.ndarray  # (trees, 2**depth - 1) int: the feature each inner node tests
    threshold: np.ndarray  # (trees, 2**depth - 1) float64: go left when the (float32) value is <= this
    leaf: np.ndarray  # (trees, 2**depth) float64: the log-odds each leaf adds (learning rate applied)
    base: float  # the log-odds every line starts from
    digest: str  # sha256 of the model file: part of the cache key of every cleaned document

    def log_odds(self, x: np.ndarray) -> np.ndarray:
        """The model's log-odds of content for each row of the feature matrix.

        Few rows walk every tree at once (a handful of numpy calls per level, whatever the number of
        trees); many rows walk one tree at a time (the arrays of all trees at once outgrow the caches).
        """
        n = x.shape[0]
        if n == 0:
            return np.full(0, self.base)
        columns = np.ascontiguousarray(x.T).ravel()  # feature f of row i at f * n + i
        rows = np.arange(n)
        inner = 2**self.depth - 1
        # A model of depth 0 (a leaf per tree) walks here too: the walk below starts with the root's test.
        if n <= ALL_TREES_MAX_ROWS or self.depth == 0:
            trees = self.feature.shape[0]
            offset = (np.arange(trees) * inner)[:, None]
            nodes: np.ndarray = np.zeros((trees, n), dtype=np.intp)
            features, thresholds = self.feature.ravel(), self.threshold.ravel()
            for _ in range(self.depth):
                at = offset + nodes
                nodes = 2 * nodes + 1 + (columns[features[at] * n + rows] > thresholds[at])
            return np.asarray(self.base + self.leaf[np.arange(trees)[:, None], nodes - inner].sum(axis=0))
        # One tree at a time, its nodes numbered from 1 (node k's children are 2k and 2k + 1: one numpy call
        # fewer per level), each node holding where its feature's column starts. Every row is at the root:
        # its test reads that column whole, with no gather.
        start = np.pad(self.feature, ((0, 0), (1, 0))) * n
        threshold = np.pad(self.threshold, ((0, 0), (1, 0)))
        out = np.full(n, self.base)
        for t in range(self.feature.shape[0]):
            node = 2 + (columns[start[t, 1] : start[t, 1] + n] > threshold[t, 1])
            for _ in range(self.depth - 1):
                node = 2 * node + (columns[start[t][node] + rows] > threshold[t][node])
            out += self.leaf[t][node - (inner + 1)]
        return out

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The probability that each row's line is content."""
        return np.asarray(1.0 / (1.0 + np.exp(-self.log_odds(x))), dtype=np.float64)


def model_from_json(data: dict[str, object], digest: str) -> TreeModel:
    """A TreeModel from the model file's parsed JSON."""
    try:
        depth = int(data["depth"])  # type: ignore[call-overload]
        trees = data["trees"]
        assert isinstance(trees, list)
        return TreeModel(
            features=tuple(str(name) for name in data["features"]),  # type: ignore[attr-defined]
            depth=depth,
            feature=np.array([t["feature"] for t in trees], dtype=np.intp).reshape(len(trees), 2**depth - 1),
            threshold=np.array([t["threshold"] for t in trees], dtype=np.float64).reshape(
                len(trees), 2**depth - 1
            ),
            leaf=np.array([t["leaf"] for t in trees], dtype=np.float64).reshape(len(trees), 2**depth),
            base=float(data["base"]),  # type: ignore[arg-type]
            digest=digest,
        )
    except (KeyError, TypeError, ValueError, AssertionError) as exc:
        raise ModelFileError(f"not a boilerplate model file: {exc}") from exc


@lru_cache(maxsize=2)
def load_model(path: Path = MODEL_FILE) -> TreeModel:
    """The model in `path`, read once per process."""
    raw = path.read_bytes()
    return model_from_json(json.loads(raw), hashlib.sha256(raw).hexdigest())
