"""`dagster dev` as `make ui` starts it: the graph is served, runs launched from it publish, two runs
launched together both succeed without tearing a version, and the seeds sensor picks up a new file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.datasets import load_table
from pipeline.datasets.versions import file_sha256, list_versions, read_latest
from tests.conftest import ASSET_NAMES, SEEDS
from tests.e2e.conftest import (
    ASSETS_QUERY,
    dagster_dev,
    graphql,
    launch_curate_job,
    wait_for,
    wait_for_run,
)

pytestmark = pytest.mark.e2e

START_SENSOR = """
mutation Start($selector: SensorSelector!) {
  startSensor(sensorSelector: $selector) {
    __typename
    ... on Sensor { sensorState { status } }
    ... on PythonError { message }
  }
}"""


def assert_complete(root: Path, version: str) -> None:
    """Every file the manifest lists exists with its sha256, and nothing else is in the version."""
    manifest = json.loads((root / version / "manifest.json").read_text())
    listed = set(manifest["files"])
    present = {p.relative_to(root / version).as_posix() for p in (root / version).rglob("*.parquet")}
    assert listed == present
    for name, entry in manifest["files"].items():
        assert file_sha256(root / version / name) == entry["sha256"]


def test_ui_serves_the_graph_and_two_runs_launched_together_both_succeed(ui: tuple[int, Path]) -> None:
    port, tmp = ui
    nodes = graphql(port, ASSETS_QUERY)["assetNodes"]
    assert {"/".join(n["assetKey"]["path"]) for n in nodes} == set(ASSET_NAMES)
    assert all(n["description"] and n["groupName"] == "curation" for n in nodes)

    runs = [launch_curate_job(port), launch_curate_job(port)]
    assert [wait_for_run(port, run) for run in runs] == ["SUCCESS", "SUCCESS"]
    root = tmp / "output" / "curated"
    # Same seeds, same content: one run publishes, the other finds it equal and publishes nothing.
    assert list_versions(root) == ["v0001"] and read_latest(root) == "v0001"
    assert_complete(root, "v0001")
    assert not list(root.glob(".staging-*"))
    docs = load_table("documents", root=root)
    assert len(docs) == 5 and set(docs.language) == {"en", "de"}


def test_seeds_sensor_publishes_a_new_version_for_a_dropped_file(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    root = tmp_path / "output" / "curated"
    with dagster_dev(tmp_path, seeds, WEBCURATE_SENSOR_INTERVAL="2") as port:
        selector = {
            "repositoryLocationName": "webcurate",
            "repositoryName": "__repository__",
            "sensorName": "seeds_sensor",
        }
        started = graphql(port, START_SENSOR, {"selector": selector})["startSensor"]
        assert started["__typename"] == "Sensor" and started["sensorState"]["status"] == "RUNNING", started
        # First settled listing: the sensor runs the job once over the samples.
        wait_for(lambda: read_latest(root) == "v0001", 150, "the first version from the sensor")
        (seeds / "dropped.md").write_text(
            "---\ntitle: Dropped in\n---\n\n# Dropped in\n\nA new article about curating web text at scale, "
            "copied into the seeds folder while the sensor was watching it.\n"
        )
        wait_for(lambda: read_latest(root) == "v0002", 150, "a second version after a file was dropped in")
    assert_complete(root, "v0002")
    manifest = json.loads((root / "v0002" / "manifest.json").read_text())
    assert manifest["rows"]["documents"] == 6
