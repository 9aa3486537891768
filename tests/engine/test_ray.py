"""The Ray engine on a local cluster produces exactly the local engine's tables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.engine.local import LocalEngine
from tests.conftest import SEEDS
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


def test_the_stages_on_ray_write_the_local_engines_tables(local_cluster: None, tmp_path: Path) -> None:
    from pipeline.datasets import stages
    from pipeline.datasets.files import read_stage
    from pipeline.datasets.steps import CurateConfig, SeedsConfig
    from pipeline.engine import EngineSpec

    tables = {}
    for kind in ("local", "ray"):
        work = tmp_path / kind
        engine = EngineSpec(kind, workers=2)
        stages.ingest.ingest(SEEDS, work / "raw.parquet", max_bytes=1 << 20)
        source = SeedsConfig(str(SEEDS), 1 << 20)
        stages.parse.parse(work / "raw.parquet", work / "parsed.parquet", engine, source, batch_size=2)
        stages.find_repeated(work / "parsed.parquet", work / "repeated.parquet", min_docs=10, min_share=0.01)
        outs = stages.CurateOutputs(*(work / f"{n}.parquet" for n in ("clean", "sections", "languages")))
        stats = stages.curate.curate(
            work / "parsed.parquet", work / "repeated.parquet", outs, engine, CurateConfig()
        )
        assert stats.cache.computed == 5
        tables[kind] = [read_stage(path) for path in (work / "parsed.parquet", *vars(outs).values())]
    for local, on_ray in zip(tables["local"], tables["ray"], strict=True):
        assert on_ray.equals(local)
