"""The Ray engine on a local cluster produces exactly the local engine's tables."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pipeline.engine.local import LocalEngine
from tests.engine.test_local import failed, run, work

ray = pytest.importorskip("ray", reason="the ray extra is not installed (make test installs it)")


@pytest.fixture(scope="module")
def local_cluster() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def test_ray_and_local_engines_produce_identical_tables(local_cluster: None) -> None:
    from pipeline.engine.ray_engine import RayEngine

    ray_rows = run(RayEngine(work, failed, timeout_s=2.0), 23, 4)
    local_rows = run(LocalEngine(work, failed, workers=2, timeout_s=2.0), 23, 4)
    assert ray_rows == local_rows
    assert ray_rows[3]["error"].startswith("failed: ValueError")
    assert ray_rows[5]["error"] == "timed out after 2 s"
