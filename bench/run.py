"""End-to-end benchmark: the real Definitions materialized through Dagster on a benchmark corpus.

The corpus is bench/make_corpus.py's: by default (`--source real`) real scraped text drawn from
../shared/dev-data (text dumps and multilingual line-labelled web text, 2% mojibake, one unique line per
document); `--source samples` is the corpus generated from the samples (`--html` adds HTML pages to it).

Scenarios, each in a fresh Python process (so imports, Dagster's start-up, the worker pool and the
language model load are all counted):

    cold     empty Dagster instance, stage files and output: everything computed
    warm     the same corpus again: every document comes from the cache, nothing new is published
    changed  one file edited, then run again: that file is recomputed, a new version published
    engine   the stage functions alone on the engine, no Dagster (fresh stage files)

Printed per scenario and per stage: seconds, docs/s, MB/s and peak RSS, as JSON lines and as a table.
`--repeat N` runs the scenarios N times over; the tables then show each scenario's fastest run (other work
on a shared machine only ever adds time) beside the wall times of all its runs.
Peak RSS is sampled over the whole process tree (the run process, the fork server and every worker),
summed, every 50 ms; `main_rss_mb` is the run process alone. `cpu_s` is the CPU time of that whole tree
(user + system). Each scenario is set against cold both by wall time (with start-up) and by in-run time
(the materialization alone).

    .venv/bin/python -m bench.run --docs 10000 [--source real|samples]
    .venv/bin/python -m bench.run --docs 100000 --scenarios cold --keep /tmp/webcurate-100k
    .venv/bin/python -m bench.run --docs 10000 --scenarios cold,warm,changed --store s3

`--store s3` starts a SeaweedFS S3 server on loopback ports (tests/objectstore/seaweed.py), uploads the
corpus to a bucket and runs with the seeds and the releases there (the work folder stays local); `cpu_s`
covers the run's process tree, `server_cpu_s` the S3 server's process during the run (JSON lines).
`--store local,s3` runs both in one invocation, one store after the other within each repeat (so both
see the same load on a shared machine), and ends with each scenario's S3 throughput as a share of the
local one:

    .venv/bin/python -m bench.run --docs 10000 --scenarios cold --store local,s3 --repeat 2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import REPO, TreeMemory, _proc_cpu_s, peak_rss_mb, print_table, probed

SCENARIOS = ("cold", "warm", "changed", "engine")
STORES = ("local", "s3")
# bench.make_corpus.SOURCES, not imported here: it imports the pipeline, which a scenario's child must not
# have loaded before its clock starts.
CORPUS_SOURCES = ("real", "samples")
SAMPLE_S = 0.05


# --- measuring -----------------------------------------------------------------------------------------


def share(result: dict[str, Any], cold: dict[str, Any], figure: str) -> str:
    """A scenario's figure as a share of the cold run's."""
    return f"{result[figure] / cold[figure]:.1%}"


def run_child(args: Sequence[str], env: dict[str, str]) -> dict[str, Any]:
    """Run `python -m bench.run --child ...`, sampling its process tree's RSS; its JSON result."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.run", "--child", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    with TreeMemory(process.pid, interval=SAMPLE_S) as memory:
        out, _ = process.communicate()
    wall = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"benchmark child {' '.join(args[:1])} failed with exit code {process.returncode}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result.update(
        wall_s=round(wall, 3),
        cpu_s=round(memory.cpu_s, 2),
        peak_rss_mb=round(memory.peak_tree_rss_kib / 1024, 1),
    )
    return result


# --- the child: one scenario in a fresh process --------------------------------------------------------


def step_seconds(instance: Any, run_id: str) -> dict[str, float]:
    """Seconds per step of a run, from the STEP_START and STEP_SUCCESS events' timestamps."""
    started: dict[str, float] = {}
    seconds: dict[str, float] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            started[event.step_key] = entry.timestamp
        elif event.event_type_value == "STEP_SUCCESS":
            seconds[event.step_key] = round(entry.timestamp - started[event.step_key], 3)
    return seconds


def child_dagster() -> dict[str, Any]:
    """Materialize curate_job of the real Definitions (settings from the WEBCURATE_* environment)."""
    from pipeline.cli import load_job

    instance, job = load_job()  # as `webcurate run` loads them
    started = time.perf_counter()
    result = job.execute_in_process(
        instance=instance, run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    )
    seconds = time.perf_counter() - started
    counts: dict[str, dict[str, Any]] = {}
    for event in result.get_asset_materialization_events():
        meta = {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}
        assert event.asset_key is not None  # a materialization event always names its asset
        counts[event.asset_key.to_user_string()] = {
            k: meta[k] for k in ("computed", "reused_from_cache", "version", "published") if k in meta
        }
    return {
        "materialize_s": round(seconds, 3),
        "steps": step_seconds(instance, result.run_id),
        "assets": counts,
        "main_rss_mb": round(peak_rss_mb(), 1),
    }


def child_engine(seeds: Path, work: Path) -> dict[str, Any]:
    """The stage functions alone on the local engine: ingest, parse, repeated lines, curate."""
    from pipeline.cleaning.ingest import DEFAULT_MAX_BYTES
    from pipeline.datasets import stages
    from pipeline.datasets.steps import CurateConfig, SeedsConfig
    from pipeline.engine import EngineSpec

    engine = EngineSpec()
    steps: dict[str, float] = {}
    started = time.perf_counter()
    engine.warm_up()
    stages.ingest.ingest(seeds, work / "raw.parquet", max_bytes=DEFAULT_MAX_BYTES)
    steps["ingest"] = time.perf_counter() - started
    source = SeedsConfig(str(seeds.resolve()), DEFAULT_MAX_BYTES)
    steps["parse"] = stages.parse.parse(work / "raw.parquet", work / "parsed.parquet", engine, source).seconds
    mark = time.perf_counter()
    stages.find_repeated(work / "parsed.parquet", work / "repeated.parquet", min_docs=10, min_share=0.01)
    steps["repeated"] = time.perf_counter() - mark
    outs = stages.CurateOutputs(*(work / f"{name}.parquet" for name in ("curated", "sections", "languages")))
    steps["curate"] = stages.curate.curate(
        work / "parsed.parquet", work / "repeated.parquet", outs, engine, CurateConfig()
    ).seconds
    return {
        "materialize_s": round(time.perf_counter() - started, 3),
        "steps": {k: round(v, 3) for k, v in steps.items()},
        "main_rss_mb": round(peak_rss_mb(), 1),
    }


# --- the parent ------------------------------------------------------------------------------------------


def corpus_size(root: Path) -> tuple[int, int]:
    """Number of files and bytes below `root`."""
    files = [p for p in root.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def install_instance_config(home: Path) -> None:
    """A Dagster home with the project's instance settings (telemetry off, run limits)."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / ".dagster" / "dagster.yaml", home / "dagster.yaml")


def edit_one_file(root: Path) -> Path:
    """Append a sentence to the middle file of the corpus (a changed document, same path)."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    target = files[len(files) // 2]
    with target.open("ab") as handle:
        handle.write(b"\n\nA sentence added by the benchmark to change this one document.\n")
    return target


def main(argv: Sequence[str] | None = None) -> None:
    """Run the scenarios and print their figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=10_000, help="documents in the benchmark corpus")
    parser.add_argument(
        "--source",
        choices=CORPUS_SOURCES,
        default="real",
        help="real: documents of ../shared/dev-data; samples: generated from the samples",
    )
    parser.add_argument(
        "--html", type=float, default=0.0, help="share of HTML pages, samples corpus only (0: text)"
    )
    parser.add_argument("--mojibake", type=float, default=0.02, help="share of double-encoded documents")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated, run in order")
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temporary one, removed)")
    parser.add_argument("--json", type=Path, help="also append the JSON lines to this file")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the scenarios this many times over; the tables show each scenario's fastest run",
    )
    parser.add_argument(
        "--store",
        default="local",
        help="s3: seeds and releases on a SeaweedFS S3 server started here (loopback), the corpus uploaded; "
        "local,s3: both, compared",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        result = child_dagster() if kind == "dagster" else child_engine(Path(rest[0]), Path(rest[1]))
        print(json.dumps(result))
        return
    if args.source == "real" and args.html:
        parser.error("--html needs --source samples: the real corpus is plain text")
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in scenarios if s not in SCENARIOS]
    if unknown:
        sys.exit(f"unknown scenario(s) {unknown}; choose from {', '.join(SCENARIOS)}")
    stores = [s.strip() for s in args.store.split(",") if s.strip()]
    if not stores or any(s not in STORES for s in stores) or len(set(stores)) != len(stores):
        parser.error(f"--store: one or more of {', '.join(STORES)}, comma-separated")
    if "s3" in stores and "engine" in scenarios:
        parser.error("--store s3 runs the Dagster scenarios (cold, warm, changed)")
    base = args.keep or Path(tempfile.mkdtemp(prefix="webcurate-bench-"))
    try:
        with probed("run"):
            if "s3" in stores:
                from tests.objectstore.seaweed import seaweed_server

                with seaweed_server(base / "seaweed") as server:
                    measure(base, args, scenarios, stores, server)
            else:
                measure(base, args, scenarios, stores)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


def upload_corpus(seeds: Path, url: str, server: Any) -> float:
    """Copy the corpus under `url` on the S3 server (16 at a time); the seconds it took."""
    from concurrent.futures import ThreadPoolExecutor

    from pipeline.datasets.objectstore import StorePath

    os.environ.update(server.env())
    prefix = StorePath.parse(url)
    files = [p for p in sorted(seeds.rglob("*")) if p.is_file()]
    started = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda p: (prefix / p.relative_to(seeds).as_posix()).upload(p), files))
    return time.perf_counter() - started


def measure(
    base: Path, args: argparse.Namespace, scenarios: list[str], stores: list[str], server: Any = None
) -> None:
    """Generate the corpus (once) and run each scenario on each store, printing JSON lines and then the
    tables; on "s3" the seeds and releases are on the S3 `server` (the corpus uploaded first, not timed
    in the runs). Within each repeat, every store runs all the scenarios in turn."""
    from bench.make_corpus import write_corpus

    seeds = base / "corpus"
    if not seeds.exists():
        print(f"writing {args.docs:,} {args.source} documents into {seeds} …", file=sys.stderr)
        options = {"mojibake": args.mojibake} | (
            {"html_share": args.html} if args.source == "samples" else {}
        )
        write_corpus(seeds, args.docs, args.source, **options)
    n_docs, n_bytes = corpus_size(seeds)
    home = base / "dagster_home"
    install_instance_config(home)
    local_env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "WEBCURATE_SEEDS_DIR": str(seeds),
        "WEBCURATE_OUTPUT_DIR": str(base / "output"),
        "WEBCURATE_WORK_DIR": str(base / "work"),
    }
    envs = {"local": local_env}
    if "s3" in stores:
        bucket = server.new_bucket("bench")
        seconds = upload_corpus(seeds, f"s3://{bucket}/corpus", server)
        print(f"uploaded {n_docs:,} files to s3://{bucket}/corpus in {seconds:.1f} s", file=sys.stderr)
        envs["s3"] = {
            **local_env,
            **server.env(),
            "WEBCURATE_SEEDS_DIR": f"s3://{bucket}/corpus",
            "WEBCURATE_OUTPUT_DIR": f"s3://{bucket}/output",
        }
    results = []
    for repeat in range(args.repeat):
        for store in stores:
            on_s3 = server if store == "s3" else None
            for scenario in scenarios:
                result = run_scenario(base, seeds, envs[store], scenario, repeat, on_s3)
                result.update(
                    scenario=scenario,
                    store=store,
                    repeat=repeat,
                    corpus=args.source,
                    docs=n_docs,
                    mb=round(n_bytes / 1e6, 2),
                    docs_per_s=round(n_docs / result["wall_s"], 1),
                    mb_per_s=round(n_bytes / 1e6 / result["wall_s"], 2),
                    cores=os.cpu_count(),
                )
                results.append(result)
                line = json.dumps(result)
                print(line, flush=True)
                if args.json:
                    with args.json.open("a", encoding="utf-8") as handle:
                        handle.write(line + "\n")
    best = {store: fastest([r for r in results if r["store"] == store]) for store in stores}
    for store in stores:
        if len(stores) > 1:
            print(f"\n== {store} ==")
        report(best[store])
    if len(stores) > 1:
        compare_stores(best["local"], best["s3"])


def run_scenario(
    base: Path, seeds: Path, env: dict[str, str], scenario: str, repeat: int, server: Any
) -> dict[str, Any]:
    """Prepare and run one scenario in a fresh process (on the S3 `server` when one is given)."""
    home = Path(env["DAGSTER_HOME"])
    if scenario == "cold":
        for folder in ("output", "work", "dagster_home"):
            shutil.rmtree(base / folder, ignore_errors=True)
        install_instance_config(home)
        if server is not None:  # an empty release root on the store too
            bucket_url = env["WEBCURATE_OUTPUT_DIR"].rsplit("/", 1)[0]
            env["WEBCURATE_OUTPUT_DIR"] = f"{bucket_url}/output-{repeat}"
    if scenario == "changed":
        edited = edit_one_file(seeds)
        print(f"edited {edited.relative_to(seeds)}", file=sys.stderr)
        if server is not None:
            from pipeline.datasets.objectstore import StorePath

            stored = StorePath.parse(env["WEBCURATE_SEEDS_DIR"]) / edited.relative_to(seeds).as_posix()
            stored.upload(edited)
    if scenario == "engine":
        work = base / "engine_work"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        return run_child(["engine", str(seeds), str(work)], env)
    server_cpu = _proc_cpu_s(server.process.pid) if server is not None else None
    result = run_child(["dagster"], env)
    if server is not None and server_cpu is not None:  # the S3 server's own CPU during the run
        result["server_cpu_s"] = round((_proc_cpu_s(server.process.pid) or 0.0) - server_cpu, 2)
    return result


def compare_stores(local: list[dict[str, Any]], s3: list[dict[str, Any]]) -> None:
    """Each scenario's fastest run from the S3 server beside the local one: S3's share of the throughput."""
    on_s3 = {r["scenario"]: r for r in s3}
    rows = []
    for r in local:
        other = on_s3.get(r["scenario"])
        if other is None:
            continue
        parse = r["steps"].get("parsed_documents"), other["steps"].get("parsed_documents")
        rows.append(
            (
                r["scenario"],
                r["wall_s"],
                other["wall_s"],
                r["docs_per_s"],
                other["docs_per_s"],
                f"{other['docs_per_s'] / r['docs_per_s']:.0%}",
                *(parse if None not in parse else ("-", "-")),
            )
        )
    print()
    print_table(
        [
            "scenario",
            "local wall s",
            "s3 wall s",
            "local docs/s",
            "s3 docs/s",
            "s3 of local",
            "parse s local",
            "parse s s3",
        ],
        rows,
    )


def fastest(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each scenario's run with the least wall time, in scenario order, the times of all its runs noted.

    Why the fastest: on a shared machine other work only ever adds time, so the least is the closest to
    what the code costs."""
    best: dict[str, dict[str, Any]] = {}
    for result in results:
        scenario = result["scenario"]
        walls = [*best.get(scenario, {}).get("walls", []), result["wall_s"]]
        if scenario not in best or result["wall_s"] < best[scenario]["wall_s"]:
            best[scenario] = dict(result)
        best[scenario]["walls"] = walls
    return list(best.values())


def report(results: list[dict[str, Any]]) -> None:
    """A table of the scenarios (whole process, start-up included) and one of their stages."""
    cold = next((r for r in results if r["scenario"] == "cold"), None)
    print()
    if results:
        print(f"corpus: {results[0]['corpus']} ({results[0]['docs']} documents, {results[0]['mb']} MB)")
    print_table(
        [
            "scenario",
            "docs",
            "MB",
            "wall s",
            "in-run s",
            "CPU s",
            "docs/s",
            "MB/s",
            "peak RSS MB",
            "main RSS MB",
            "of cold wall",
            "of cold in-run",
            "wall s, every run",
        ],
        [
            (
                r["scenario"],
                r["docs"],
                r["mb"],
                r["wall_s"],
                r["materialize_s"],
                r["cpu_s"],
                r["docs_per_s"],
                r["mb_per_s"],
                r["peak_rss_mb"],
                r["main_rss_mb"],
                *((share(r, cold, "wall_s"), share(r, cold, "materialize_s")) if cold else ("-", "-")),
                " ".join(f"{wall:.2f}" for wall in r["walls"]),
            )
            for r in results
        ],
    )
    print()
    rows = []
    for r in results:
        for step, seconds in r["steps"].items():
            rate = r["docs"] / seconds if seconds else 0.0
            rows.append(
                (
                    r["scenario"],
                    step,
                    seconds,
                    round(rate, 1),
                    round(r["mb"] / seconds, 2) if seconds else 0.0,
                )
            )
    print_table(["scenario", "stage", "seconds", "docs/s", "MB/s"], rows)


if __name__ == "__main__":
    main()
