"""The IO manager between stages: a downstream asset gets a lazy handle to its upstream stage's files.

The stages stream their own files (they are too large to pass as values and are the next run's cache),
so an asset returns the handle of the stage it wrote and this manager commits it (on an object store:
uploads what is new from the local mirror the asset wrote) and checks it is there; an input is the
upstream asset's handle in the stage store of the run's settings, nothing read until the asset asks.
Storage other than a local folder plugs in through the store (pipeline/datasets/stages/store.py).
"""

from typing import Any

import dagster as dg

from pipeline.datasets.files import StageFileMissing
from pipeline.datasets.stages import StageHandle, StageStore
from pipeline.defs.resources import WebcurateSettings


class StageIOManager(dg.IOManager):
    """Stage files in one stage store, handed to downstream assets as StageHandles."""

    def __init__(self, settings: WebcurateSettings) -> None:
        self.settings = settings

    def store(self, context: dg.InputContext | dg.OutputContext) -> StageStore:
        """The run's stage store (the instance's storage unless the settings name a work folder)."""
        return self.settings.stage_store(context.step_context.instance)

    def handle_output(self, context: dg.OutputContext, obj: StageHandle | None) -> None:
        """Commit the stage an asset wrote while streaming (on an object store: upload it) and check it is
        where inputs will look."""
        if obj is None:
            return
        name = context.asset_key.to_user_string()
        not_committed = dg.Failure(description=f"{obj.location} is not the committed stage of {name}")
        if obj != self.store(context).handle(context.asset_key.path[-1]):
            raise not_committed
        try:
            obj.commit()
        except StageFileMissing as exc:
            raise not_committed from exc
        if not obj.exists():
            raise not_committed
        context.add_output_metadata({"path": dg.MetadataValue.path(obj.location)})

    def load_input(self, context: dg.InputContext) -> StageHandle:
        """The upstream asset's stage, as a lazy handle (a Failure if it was never materialized here)."""
        handle = self.store(context).handle(context.asset_key.path[-1])
        if not handle.exists():
            missing = StageFileMissing(f"{handle.location} is missing: materialize its upstream asset first")
            raise dg.Failure(description=str(missing))
        return handle


@dg.io_manager(
    required_resource_keys={"settings"},
    description="Hands each asset lazy handles to its upstream stages (Parquet under the work folder: a "
    "local folder or an object store).",
)
def stage_io_manager(init_context: dg.InitResourceContext) -> StageIOManager:
    """The IO manager over the stage store of the run's `settings` resource."""
    return StageIOManager(init_context.resources.settings)


def resources_for(settings: WebcurateSettings) -> dict[str, Any]:
    """The resources the assets need: the settings, and the IO manager over their stage store."""
    return {"settings": settings, "io_manager": stage_io_manager}
