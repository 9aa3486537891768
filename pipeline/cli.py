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
import contextlib
import dataclasses
import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.datasets.objectstore import location
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


def preflight() -> list[str]:
    """The problems of the settings (WEBCURATE_* variables, DAGSTER_HOME) that would fail a run, one line
    each; the WEBCURATE_* values are parsed before Dagster is imported (the Definitions read them)."""
    from pipeline.preflight import parse_environment

    problems = [str(problem) for problem in parse_environment(os.environ)[1]]
    home = os.environ.get("DAGSTER_HOME")
    if home and not Path(home).is_dir():
        fix = f"create it (mkdir -p {home}) or unset it for a throwaway instance"
        problems.append(f"DAGSTER_HOME={home!r}: not a folder; {fix}")
    return problems


def settings_failed(problems: list[str]) -> int:
    """Report settings that must be fixed before a run, the last line a cause; returns the exit code."""
    sys.stdout.flush()
    count = f"{len(problems)} settings" if len(problems) > 1 else "a setting"
    print(f"webcurate: nothing was run: {count} to fix (no version was touched)", file=sys.stderr)
    for problem in problems:
        print(f"webcurate: error: {problem}", file=sys.stderr)
    return 2


def failure_cause(event: dg.DagsterEvent) -> str:
    """What made a step fail, in its own words: a Failure's description, else the innermost exception."""
    data = event.step_failure_data
    if data is None:
        return "unknown error (see the run's log)"
    if data.user_failure_data is not None and data.user_failure_data.description:
        return data.user_failure_data.description.strip()
    error = data.error
    while error is not None and error.cause is not None:
        error = error.cause
    return error.message.strip() if error is not None else "unknown error (see the run's log)"


def run_failed(result: dg.ExecuteInProcessResult) -> int:
    """Report a failed run, the cause as the last line (the trace stays in the run's log); the exit code."""
    failures = [event for event in result.all_events if event.is_step_failure]
    sys.stdout.flush()
    steps = ", ".join(sorted({event.step_key or "?" for event in failures})) or "no step"
    print(
        f"webcurate: run {result.run_id} failed at {steps}; nothing was published and the previous "
        "version (if any) is untouched; the full trace is in the run's log (`make ui`, Runs)",
        file=sys.stderr,
    )
    causes = [failure_cause(event) for event in failures] or ["the run failed before any step (see its log)"]
    for cause in causes:
        for line in cause.splitlines():
            if line.strip():
                print(f"webcurate: error: {line.strip()}", file=sys.stderr)
    return 1


def run(log_level: str | None, progress: str = "auto") -> int:
    """Check the settings, materialize every asset through Dagster and print the outcome; returns the
    exit code (2: a setting to fix, nothing was run; 1: the run failed).

    Progress: bars per stage on a terminal (`progress` "auto") or always ("bars"), with Dagster's console
    at WARNING unless `log_level` says otherwise; else ("log", or not a terminal) the stages' log lines.
    """
    problems = preflight()
    if problems:
        return settings_failed(problems)
    instance, job = load_job()
    from pipeline.defs.resources import settings_from_env
    from pipeline.preflight import check_settings

    problems = [str(problem) for problem in check_settings(settings_from_env())]
    from pipeline.progress_bars import progress_bars, terminal_wanted

    bars = progress == "bars" or (progress == "auto" and terminal_wanted(sys.stderr, os.environ))
    level = log_level or ("WARNING" if bars else "INFO")  # INFO lines would break into the bars
    with instance:  # disposed at the end: its storage's connections (a PostgreSQL pool, say) are closed
        if problems:
            return settings_failed(problems)
        with progress_bars(force=progress == "bars") if bars else contextlib.nullcontext():
            result = job.execute_in_process(
                instance=instance,
                raise_on_error=False,
                run_config={"loggers": {"console": {"config": {"log_level": level}}}},
            )
    if not result.success:
        return run_failed(result)
    materialization = result.asset_materializations_for_node("curated_dataset")[-1]
    meta = {key: getattr(value, "value", value) for key, value in materialization.metadata.items()}
    rows = ", ".join(f"{key[5:]}={value}" for key, value in meta.items() if key.startswith("rows_"))
    state = "published" if meta["published"] else "unchanged (content equals the latest version)"
    print(
        f"webcurate: {state}: {meta['version']} at {meta['path']} ({rows}); skipped files: {meta['skipped']}"
    )
    return 0


def status(output_dir: str) -> int:
    """Print the published versions with their row counts; returns the exit code."""
    root = location(output_dir) / "curated"
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
    run_parser.add_argument(
        "--log-level",
        default=None,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="Dagster's console output (default: INFO, or WARNING while progress bars are drawn)",
    )
    run_parser.add_argument(
        "--progress",
        default="auto",
        choices=["auto", "bars", "log"],
        help="progress bars per stage (auto: on a terminal) or the stages' log lines",
    )
    status_parser = commands.add_parser("status", help="list published versions")
    status_parser.add_argument(
        "--output-dir",
        default=os.environ.get("WEBCURATE_OUTPUT_DIR") or "output",
        help="a folder or an s3:// URL (default: WEBCURATE_OUTPUT_DIR, else output)",
    )
    explain_parser = commands.add_parser("explain", help="show what the pipeline keeps and drops in one file")
    explain_parser.add_argument("file", type=Path, help="the file to explain (any format the seeds take)")
    explain_parser.add_argument(
        "--rules-file", default=None, help="boilerplate rules YAML (default: WEBCURATE_RULES_FILE)"
    )
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args.log_level, args.progress)
    if args.command == "explain":
        return explain(args.file, args.rules_file)
    return status(args.output_dir)


if __name__ == "__main__":
    sys.exit(main())
