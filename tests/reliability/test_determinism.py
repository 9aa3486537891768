"""Two full runs of the real asset graph on the same seeds, each in a fresh process with its own hash
seed, worker count and batch size, into separate folders, publish identical tables and content hashes."""

from __future__ import annotations

from pathlib import Path

from tests.reliability.materialize_run import compare_releases, finish_run, make_seeds, start_run
from tests.reliability.release_trials import make_tables, publish_tables

GENERATED_DOCS = 30  # bench/stress.py uses 300
# (PYTHONHASHSEED, workers, batch size) of the two runs: the output must depend on none of them.
RUNS = (("1", 1, 500), ("2", 2, 3))


def test_two_runs_on_the_same_seeds_publish_identical_tables_and_hashes(tmp_path: Path) -> None:
    seeds = make_seeds(tmp_path / "seeds", GENERATED_DOCS)
    # Started together: two interpreters on two cores.
    runs = [start_run(seeds, tmp_path / f"run{i}", *settings) for i, settings in enumerate(RUNS)]
    outcomes = [finish_run(run) for run in runs]
    assert all(o["success"] for o in outcomes), outcomes
    assert [(o["version"], o["published"]) for o in outcomes] == [("v0001", True)] * 2
    assert outcomes[0]["content_hash"] == outcomes[1]["content_hash"]
    assert outcomes[0]["rows_documents"] >= 5 and outcomes[0]["rows_sections"] >= 5  # real work was done
    roots = [tmp_path / f"run{i}" / "output" / "curated" for i in range(len(RUNS))]
    assert compare_releases(*roots) == []


def test_the_comparison_sees_a_different_table(tmp_path: Path) -> None:
    """compare_releases can fail: two releases whose tables differ by one row are told apart."""
    tables = make_tables(3, 50)
    publish_tables(tmp_path / "a", tables)
    publish_tables(tmp_path / "b", {**tables, "removed": tables["removed"].slice(1)})
    found = compare_releases(tmp_path / "a", tmp_path / "b")
    assert "table removed differs" in found and any("content hashes differ" in f for f in found)
