"""The model's vectorised tree walk scores exactly as a plain walk, one row and one tree at a time."""

from __future__ import annotations

import numpy as np

from pipeline.cleaning.boilerplate.model import ALL_TREES_MAX_ROWS, TreeModel, load_model


def plain_log_odds(model: TreeModel, row: np.ndarray) -> float:
    """One row's log-odds: each tree walked from its root (node k's children 2k + 1 and 2k + 2), the
    leaves added to the base in tree order, as the many-rows walk adds them."""
    total = model.base
    inner = 2**model.depth - 1
    for t in range(model.feature.shape[0]):
        node = 0
        for _ in range(model.depth):
            go_right = float(row[model.feature[t, node]]) > model.threshold[t, node]
            node = 2 * node + 1 + int(go_right)
        total += model.leaf[t, node - inner]
    return total


def test_many_rows_score_exactly_as_each_row_alone() -> None:
    """Above ALL_TREES_MAX_ROWS rows the trees are walked one at a time over all rows: the scores are
    bit for bit those of the plain walk (same comparisons, same order of summation)."""
    model = load_model()
    rng = np.random.default_rng(11)
    x = (rng.random((ALL_TREES_MAX_ROWS + 50, len(model.features))) * 4).astype(np.float32)
    x[:, 0] = 0.0  # some rows sit exactly on round values
    walked = model.log_odds(x)
    assert walked.tolist() == [plain_log_odds(model, row) for row in x]
    # A column-major matrix (as line_features returns) scores the same.
    assert np.array_equal(model.log_odds(np.asfortranarray(x)), walked)
