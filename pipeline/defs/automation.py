"""Jobs, the daily schedule, the seeds-folder sensor and the run-failure sensor."""

import dagster as dg

from pipeline.datasets.watch import WatchState, decide, fingerprint, listing
from pipeline.defs.assets import ASSET_KEYS
from pipeline.defs.resources import WebcurateSettings

curate_job = dg.define_asset_job(
    "curate_job",
    selection=dg.AssetSelection.assets(*ASSET_KEYS),
    description="Materialize the whole graph: ingest, clean, segment, tag and publish a dataset version.",
)


def curate_schedule(cron: str) -> dg.ScheduleDefinition:
    """The daily refresh (stopped until turned on in the UI or with `dagster schedule start`)."""
    return dg.ScheduleDefinition(
        name="curate_daily",
        job=curate_job,
        cron_schedule=cron,
        execution_timezone="UTC",
        description=f"Refresh the dataset on the cron schedule {cron!r} (UTC).",
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )


def seeds_sensor(interval_seconds: int) -> dg.SensorDefinition:
    """A sensor that starts curate_job when the seeds folder changed and has settled."""

    @dg.sensor(
        name="seeds_sensor",
        job=curate_job,
        minimum_interval_seconds=interval_seconds,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description=(
            "Watches the seeds folder: new, changed or deleted files start one run once the listing "
            "is unchanged between two ticks (no half-copied file is read); the same listing never runs twice."
        ),
    )
    def watch_seeds(context: dg.SensorEvaluationContext, settings: WebcurateSettings) -> dg.SensorResult:
        """Compare the listing with the one in the cursor (which the instance keeps across restarts)."""
        entries = listing(settings.seeds_path)
        decision = decide(WatchState.load(context.cursor), fingerprint(entries))
        context.log.info(f"{len(entries)} files in {settings.seeds_path}: {decision.reason}")
        if not decision.launch:
            return dg.SensorResult(skip_reason=decision.reason, cursor=decision.state.dump())
        return dg.SensorResult(
            run_requests=[dg.RunRequest(run_key=decision.key, tags={"webcurate/seeds": decision.key})],
            cursor=decision.state.dump(),
        )

    return watch_seeds


def failure_summary(run_id: str, job_name: str, failures: list[tuple[str, str]]) -> str:
    """One readable paragraph: which run, which step (asset), and why."""
    lines = [f"webcurate run {run_id} of {job_name} failed:"]
    lines += [f"  - {step}: {message}" for step, message in failures] or [
        "  - (no step failed; see the run's logs)"
    ]
    return "\n".join(lines)


def summarize_failure(context: dg.RunFailureSensorContext) -> str:
    """The failure summary of the run a failure sensor was called for."""
    failures = []
    for event in context.get_step_failure_events():
        data = event.step_failure_data
        message = data.error.message.strip() if data and data.error else "unknown error"
        if data and data.user_failure_data and data.user_failure_data.description:
            message = data.user_failure_data.description.strip()  # a Failure's own words, no class name
        failures.append((event.step_key or "?", message.splitlines()[0]))
    run = context.dagster_run
    return failure_summary(run.run_id, run.job_name, failures)


@dg.run_failure_sensor(name="report_failed_runs", default_status=dg.DefaultSensorStatus.RUNNING)
def report_failed_runs(context: dg.RunFailureSensorContext) -> None:
    """Log a summary of every failed run: the failing assets and their error messages."""
    context.log.error(summarize_failure(context))
