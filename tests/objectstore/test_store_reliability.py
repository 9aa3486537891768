"""The release guarantees on the S3 server (reduced counts; `make stress` runs the full ones): a writer
SIGKILLed at every stage of a publish, and writers racing, leave 0 torn or overwritten versions and
LATEST always on a complete one."""

from __future__ import annotations

from collections import Counter

from pipeline.datasets.objectstore import StorePath
from tests.objectstore import store_trials
from tests.objectstore.seaweed import S3Server


def test_a_writer_killed_at_every_stage_leaves_nothing_a_reader_can_see(s3_server: S3Server) -> None:
    results = list(
        store_trials.crash_trials(
            lambda: StorePath.parse(f"s3://{s3_server.new_bucket('crash')}/curated"), repeats=1, n_docs=120
        )
    )
    assert [f"{r.scenario}@{r.stage}: {f}" for r in results for f in r.failures] == []
    states = Counter(r.state for r in results)
    assert len(results) == len(store_trials.FAULT_POINTS)
    assert states["orphan"] == 1 and states["published"] == 1  # killed after the commit, after LATEST


def test_two_writers_racing_20_times_publish_distinct_complete_versions(s3_root: StorePath) -> None:
    results = list(store_trials.race_trials(s3_root, writers=2, races=20, n_docs=80, readers=True))
    assert [f for r in results for f in r.failures] == []
    outcomes = Counter(o for r in results for o in r.outcomes)
    assert outcomes["published"] >= 3 and sum(outcomes.values()) == 40
