"""The job, schedule and sensors, evaluated against real folders and a real instance."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg

from pipeline.definitions import defs
from pipeline.defs import automation
from pipeline.defs.resources import WebcurateSettings
from tests.conftest import ASSET_NAMES, SEEDS


def test_the_job_covers_every_asset_and_the_schedule_is_daily_utc() -> None:
    job = defs.resolve_job_def("curate_job")
    assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} == set(ASSET_NAMES)
    schedule = defs.resolve_schedule_def("curate_daily")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 2 * * *", "UTC")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED


def tick(sensor: dg.SensorDefinition, seeds: Path, cursor: str | None) -> dg.SensorResult:
    context = dg.build_sensor_context(
        cursor=cursor, resources={"settings": WebcurateSettings(seeds_dir=str(seeds))}
    )
    result = sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def test_seeds_sensor_runs_once_per_settled_change(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    sensor = automation.seeds_sensor(30)
    first = tick(sensor, seeds, None)
    assert not first.run_requests and first.skip_reason is not None
    second = tick(sensor, seeds, first.cursor)
    (request,) = second.run_requests or []
    assert request.run_key
    third = tick(sensor, seeds, second.cursor)
    assert not third.run_requests
    (seeds / "new.txt").write_text("A new scraped article about data engineering at scale.")
    changed = tick(sensor, seeds, third.cursor)
    assert not changed.run_requests  # not yet: the file may still be being written
    settled = tick(sensor, seeds, changed.cursor)
    (again,) = settled.run_requests or []
    assert again.run_key != request.run_key
    (seeds / "new.txt").unlink()  # back to the first listing: still a change, so one more run
    deleted = tick(sensor, seeds, tick(sensor, seeds, settled.cursor).cursor)
    (after_delete,) = deleted.run_requests or []
    assert after_delete.run_key not in (request.run_key, again.run_key)
    assert after_delete.run_key is not None
    assert after_delete.run_key.endswith(request.run_key.split("-", 1)[1])


def test_failed_run_summary_names_the_asset_and_the_reason(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - name: x\n    group: related\n")  # no phrase/pattern, no why
    instance = dg.DagsterInstance.ephemeral()
    settings = WebcurateSettings(
        output_dir=str(tmp_path / "out"), rules_file=str(rules), work_dir=str(tmp_path / "work")
    )
    result = defs.resolve_job_def("curate_job").execute_in_process(
        instance=instance,
        raise_on_error=False,
        resources={"settings": settings},
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
    context = dg.build_run_status_sensor_context(
        sensor_name="report_failed_runs",
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    ).for_run_failure()
    summary = automation.summarize_failure(context)
    assert summary.startswith(f"webcurate run {result.run_id} of curate_job failed:")
    # The settings are checked by the first asset, before anything is read; the cause is the Failure's own.
    assert "  - raw_documents: WEBCURATE_RULES_FILE=" in summary and "rules.yaml:2" in summary
    assert not (tmp_path / "out" / "curated" / "LATEST").exists()
