"""`webcurate`: materialize the dataset through Dagster, or show what is published.

webcurate run      materialize every asset of the real Definitions into the Dagster instance
                   (DAGSTER_HOME), then print the published version, its path and row counts
webcurate status   list the published versions and what LATEST names
webcurate explain FILE
                   run one file through the pipeline's steps with the same settings (WEBCURATE_RULES_FILE
                   and the rest) and print every line of its parsed body: kept or dropped, by which rule
                   or model score, and its sections with their languages
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.datasets.versions import list_versions, read_latest, read_manifest
from pipeline.engine import EngineSpec

if TYPE_CHECKING:
    import dagster as dg


def load_job() -> tuple[dg.DagsterInstance, dg.JobDefinition]:
    """The Dagster instance (DAGSTER_HOME's, else an ephemeral one) and the curate job of the Definitions."""
    if os.environ.get("WEBCURATE_ENGINE", "local") == "local":
        # The local engine's fork server loads the document code (about a second of CPU) on the other
        # core while this process imports Dagster; the first asset finds it ready.
        EngineSpec().warm_up()
    import dagster as dg  # imported here so that `webcurate status` starts fast

    from pipeline.definitions import defs

    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    job = defs.resolve_job_def("curate_job")
    # Dagster, its storage and the Definitions (some 200k objects) live until exit: frozen, they are left
    # out of every full collection during the run and of the one at exit (together about 0.5 s of CPU).
    gc.freeze()
    return instance, job


def run(log_level: str) -> int:
    """Materialize every asset through Dagster and print the outcome; returns the exit code."""
    instance, job = load_job()
    with instance:  # disposed at the end: its storage's connections (a PostgreSQL pool, say) are closed
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        )
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
                print(
                    f"FAILED {event.step_key}: {event.step_failure_data.error.message.strip()}",
                    file=sys.stderr,
                )
        print(f"run {result.run_id} failed; the previous version (if any) is untouched", file=sys.stderr)
        return 1
    materialization = result.asset_materializations_for_node("curated_dataset")[-1]
    meta = {key: getattr(value, "value", value) for key, value in materialization.metadata.items()}
    rows = ", ".join(f"{key[5:]}={value}" for key, value in meta.items() if key.startswith("rows_"))
    state = "published" if meta["published"] else "unchanged (content equals the latest version)"
    print(
        f"webcurate: {state}: {meta['version']} at {meta['path']} ({rows}); skipped files: {meta['skipped']}"
    )
    return 0


def status(output_dir: Path) -> int:
    """Print the published versions with their row counts; returns the exit code."""
    root = output_dir / "curated"
    versions = list_versions(root)
    if not versions:
        print(f"no published version under {root}; run `make run`")
        return 1
    latest = read_latest(root)
    for name in versions:
        manifest = read_manifest(root, name)
        rows = ", ".join(f"{table}={count}" for table, count in manifest.get("rows", {}).items())
        marker = "  <- LATEST" if name == latest else ""
        print(f"{name}  {manifest.get('created', '?')}  {rows}{marker}")
    return 0


def explain(path: Path, rules_file: str | None) -> int:
    """Print how the pipeline curates one file, line by line; returns the exit code."""
    from pipeline.cleaning.boilerplate import RulesFileError
    from pipeline.cleaning.quality import ThresholdsFileError
    from pipeline.datasets.explain import ExplainSettings, explain_file, print_explanation

    settings = ExplainSettings.from_env()
    if rules_file:
        settings = dataclasses.replace(settings, rules_file=rules_file)
    if not path.is_file():
        print(f"webcurate explain: {path}: not a readable file", file=sys.stderr)
        return 2
    try:
        found = explain_file(path, settings)
    except (RulesFileError, ThresholdsFileError) as exc:
        print(f"webcurate explain: {exc}", file=sys.stderr)
        return 1
    print_explanation(found, settings)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `webcurate` command."""
    parser = argparse.ArgumentParser(
        prog="webcurate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="materialize the whole dataset through Dagster")
    run_parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    status_parser = commands.add_parser("status", help="list published versions")
    status_parser.add_argument(
        "--output-dir", type=Path, default=Path(os.environ.get("WEBCURATE_OUTPUT_DIR") or "output")
    )
    explain_parser = commands.add_parser("explain", help="show what the pipeline keeps and drops in one file")
    explain_parser.add_argument("file", type=Path, help="the file to explain (any format the seeds take)")
    explain_parser.add_argument(
        "--rules-file", default=None, help="boilerplate rules YAML (default: WEBCURATE_RULES_FILE)"
    )
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args.log_level)
    if args.command == "explain":
        return explain(args.file, args.rules_file)
    return status(args.output_dir)


if __name__ == "__main__":
    sys.exit(main())
