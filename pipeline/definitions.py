"""The Dagster Definitions of webcurate: assets, checks and resources (what `dagster dev` loads)."""

from __future__ import annotations

import dagster as dg

from pipeline.defs import assets
from pipeline.defs.resources import ArrowParquetIOManager, settings_from_env

defs = dg.Definitions(
    assets=assets.ASSETS,
    resources={"settings": settings_from_env(), "io_manager": ArrowParquetIOManager()},
)
