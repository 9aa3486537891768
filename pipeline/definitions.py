"""The Dagster Definitions of webcurate: assets, checks, jobs, schedule, sensors and resources.

This module is what `dagster dev` loads (workspace.yaml, [tool.dagster] in pyproject.toml); it is the
one place that reads the environment, so that everything below it gets its settings passed in.
"""

import os

import dagster as dg

from pipeline.defs import assets, automation
from pipeline.defs.io import resources_for
from pipeline.defs.resources import settings_from_env

# When the daily refresh runs (UTC), and how often the seeds sensor looks at the folder.
SCHEDULE_CRON = os.environ.get("WEBCURATE_SCHEDULE_CRON") or "0 2 * * *"
SENSOR_INTERVAL_SECONDS = int(os.environ.get("WEBCURATE_SENSOR_INTERVAL") or 30)

# The settings shape the assets' code versions (a changed rules file or threshold makes them stale).
SETTINGS = settings_from_env()

defs = dg.Definitions(
    assets=assets.build_assets(SETTINGS),
    jobs=[automation.curate_job],
    schedules=[automation.curate_schedule(SCHEDULE_CRON)],
    sensors=[automation.seeds_sensor(SENSOR_INTERVAL_SECONDS), automation.report_failed_runs],
    resources=resources_for(SETTINGS),
    # The graph is a chain: a process per step would only add start-up time (imports, the language model)
    # to every step. Parallel work happens inside the steps.
    executor=dg.in_process_executor,
)
