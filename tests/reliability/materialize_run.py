"""Full runs of the real asset graph for the determinism checks, each in a new interpreter.

    .venv/bin/python -m tests.reliability.materialize_run --seeds S --output O --work W [--workers N]
        [--batch-size B]

runs the graph once in this process and prints, as its last line, a JSON object: success and the
curated_dataset metadata (version, published, content hash, rows). tests/reliability/test_determinism.py
and bench/stress.py start it with start_run and compare two releases with compare_releases. The entry
point is guarded: the local engine's workers import the main module again.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from pipeline.datasets.versions import content_hash, read_latest, read_manifest
from tests.conftest import REPO, SEEDS
from tests.reliability.release_trials import SCHEMAS, TABLES, verify_version


def materialize(seeds: Path, output: Path, work: Path, *, workers: int, batch_size: int) -> dict[str, Any]:
    """Materialize every asset of the Definitions into `output` and `work`; the release's metadata."""
    import dagster as dg

    from pipeline.defs import assets
    from pipeline.defs.io import resources_for
    from pipeline.defs.resources import WebcurateSettings

    settings = WebcurateSettings(
        seeds_dir=str(seeds),
        output_dir=str(output),
        schemas_dir=str(REPO / "schemas"),
        work_dir=str(work),
        workers=workers,
        batch_size=batch_size,
    )
    result = dg.materialize(assets.ASSETS, resources=resources_for(settings), raise_on_error=False)
    found: dict[str, Any] = {"success": result.success}
    if result.success:
        (event,) = result.asset_materializations_for_node("curated_dataset")
        found.update({key: getattr(value, "value", value) for key, value in event.metadata.items()})
    return {key: value for key, value in found.items() if isinstance(value, str | int | float | bool)}


def make_seeds(folder: Path, generated: int) -> Path:
    """The repository's five samples plus `generated` documents of bench/make_corpus.py (HTML, Markdown,
    German, mojibake, boilerplate shared across documents)."""
    from bench.make_corpus import write_corpus

    shutil.copytree(SEEDS, folder)
    write_corpus(folder / "generated", generated)
    return folder


def start_run(seeds: Path, out: Path, hash_seed: str, workers: int, batch_size: int) -> subprocess.Popen[str]:
    """Start one full run into `out` in a new interpreter with its own PYTHONHASHSEED."""
    command = [sys.executable, "-m", "tests.reliability.materialize_run", "--seeds", str(seeds)]
    command += ["--output", str(out / "output"), "--work", str(out / "work")]
    command += ["--workers", str(workers), "--batch-size", str(batch_size)]
    (out / "home").mkdir(parents=True)
    environ = {**os.environ, "PYTHONHASHSEED": hash_seed, "DAGSTER_HOME": str(out / "home")}
    return subprocess.Popen(
        command, cwd=REPO, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish_run(run: subprocess.Popen[str]) -> dict[str, Any]:
    """Wait for a run; its outcome, or {"success": False, "error": …} with the end of its stderr."""
    stdout, stderr = run.communicate(timeout=600)
    lines = stdout.strip().splitlines()
    if run.returncode != 0 or not lines:
        return {"success": False, "error": stderr[-3000:]}
    outcome: dict[str, Any] = json.loads(lines[-1])
    if not outcome["success"]:
        outcome["error"] = stderr[-3000:]
    return outcome


def compare_releases(first: Path, second: Path) -> list[str]:
    """Differences between the LATEST versions of two release roots (creation times aside), and failures
    unless both are complete and readable by every reader."""
    a, b = read_latest(first), read_latest(second)
    if a is None or b is None:
        return [f"no LATEST in {first if a is None else second}"]
    differences = verify_version(first, a, readers=True) + verify_version(second, b, readers=True)
    left, right = read_manifest(first, a), read_manifest(second, b)
    if left["content_hash"] != right["content_hash"]:
        differences.append(f"content hashes differ: {left['content_hash']} and {right['content_hash']}")
    # The creation time differs, and so does the review page that shows it (extra_files); verify_version
    # has checked each page against its own manifest.
    for key in sorted((set(left) | set(right)) - {"created", "extra_files"}):
        if left.get(key) != right.get(key):
            differences.append(f"manifest {key!r} differs")  # "files" holds every part's sha256
    for name in TABLES:
        tables = [pq.read_table(first / a / name, schema=SCHEMAS[name].arrow)]
        tables.append(pq.read_table(second / b / name, schema=SCHEMAS[name].arrow))
        if not tables[0].equals(tables[1]):
            differences.append(f"table {name} differs")
        if content_hash({name: tables[0]}) != content_hash({name: tables[1]}):
            differences.append(f"table {name} hashes differently")
    return differences


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the arguments, run the graph once, print the outcome as JSON."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args(argv)
    outcome = materialize(
        args.seeds, args.output, args.work, workers=args.workers, batch_size=args.batch_size
    )
    print(json.dumps(outcome))


if __name__ == "__main__":
    main()
