"""2 and 8 release writers started at once (reduced counts; bench/stress.py runs 50 races of each):
every writer ends with a distinct complete version, "unchanged" or a clean refusal, and LATEST, read
over and over during the race, always names a complete version."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.datasets import versions
from tests.reliability import release_trials as trials

N_DOCS = 200  # the stress bench uses 300


def run_races(base: Path, writers: int, races: int) -> list[trials.WritersResult]:
    results = list(trials.writers_trials(base, writers=writers, trials=races, n_docs=N_DOCS))
    assert [f for r in results for f in r.failures] == []
    return results


def test_two_writers_racing_publish_distinct_complete_versions(tmp_path: Path) -> None:
    results = run_races(tmp_path, 2, 6)
    outcomes = Counter(o for r in results for o in r.outcomes)
    # equal content (one publishes, one finds it unchanged), different content, and a refusal all occurred
    assert outcomes["published"] >= 6 and outcomes["unchanged"] >= 2 and outcomes["refused"] == 2
    assert sum(r.latest_reads for r in results) > 0  # LATEST was really read during the races


def test_eight_writers_racing_publish_distinct_complete_versions(tmp_path: Path) -> None:
    results = run_races(tmp_path, 8, 3)
    outcomes = Counter(o for r in results for o in r.outcomes)
    # whether equal contents meet as neighbours (one then finds the other unchanged) depends on the race
    assert outcomes["published"] >= 3 and outcomes["refused"] == 1
    assert sum(outcomes.values()) == 24


@contextlib.contextmanager
def _no_lock(root: Path) -> Iterator[None]:
    yield


def test_the_race_checks_fail_when_writers_do_not_serialise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the writer lock (patched out before the writers fork) the checks report the damage."""
    monkeypatch.setattr(versions, "writer_lock", _no_lock)
    results = list(trials.writers_trials(tmp_path, writers=8, trials=2, n_docs=N_DOCS))
    assert any(r.failures for r in results)
