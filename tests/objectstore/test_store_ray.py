"""Ray without a shared disk: the inventory is a listing of the S3 server, and the Ray workers (and the
local engine's) read each document's bytes from the store themselves; the parsed and curated stages
equal those of a run over a folder of the same files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.datasets.objectstore import StorePath
from pipeline.engine.cache import KEY_COLUMN
from tests.conftest import SEEDS
from tests.objectstore.seaweed import S3Server
from tests.objectstore.test_store_run import upload_seeds

ray = pytest.importorskip("ray", reason="the ray extra is not installed (make test installs it)")


@pytest.fixture(scope="module")
def local_cluster(s3_server: S3Server) -> Iterator[None]:
    """A local Ray cluster started after the AWS settings are in the environment its workers inherit."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def stage_tables(seeds: Path | StorePath, work: Path, kind: str) -> list[object]:
    """Ingest, parse and curate `seeds` on engine `kind`; the parsed and curated stages as tables."""
    from pipeline.datasets import stages
    from pipeline.datasets.files import read_stage
    from pipeline.datasets.steps import CurateConfig, SeedsConfig
    from pipeline.engine import EngineSpec

    engine = EngineSpec(kind, workers=2)
    stages.ingest.ingest(seeds, work / "raw.parquet", max_bytes=1 << 20)
    raw = pq.read_table(work / "raw.parquet")
    no_bytes = {"doc_id", "source_path", "sha256", "size_bytes", "stat_key", "skip_reason"}
    assert set(raw.column_names) <= no_bytes  # the workers get identities, never the documents' bytes
    source = SeedsConfig(str(seeds), 1 << 20)
    stages.parse.parse(work / "raw.parquet", work / "parsed.parquet", engine, source, batch_size=2)
    stages.find_repeated(work / "parsed.parquet", work / "repeated.parquet", min_docs=10, min_share=0.01)
    outs = stages.CurateOutputs(*(work / f"{n}.parquet" for n in ("clean", "sections", "languages")))
    parsed, repeated = work / "parsed.parquet", work / "repeated.parquet"
    stats = stages.curate.curate(parsed, repeated, outs, engine, CurateConfig())
    assert stats.cache.computed == 5 and not stats.skipped
    return [read_stage(path) for path in (work / "parsed.parquet", *vars(outs).values())]


def test_ray_and_local_workers_read_the_seeds_from_the_store(
    local_cluster: None, bucket: str, tmp_path: Path
) -> None:
    seeds = StorePath.parse(f"s3://{bucket}/seeds")
    upload_seeds(seeds)
    on_disk = stage_tables(SEEDS, tmp_path / "disk", "local")
    for kind in ("ray", "local"):
        from_store = stage_tables(seeds, tmp_path / kind, kind)
        for disk, store in zip(on_disk, from_store, strict=True):
            # Every column but the cache key, which is made from the inventory's identity of a file (its
            # sha256 on disk, a digest of its size and ETag on the store: see store_seeds.py).
            columns = [name for name in disk.column_names if name != KEY_COLUMN]  # type: ignore[attr-defined]
            assert store.select(columns).equals(disk.select(columns)), kind  # type: ignore[attr-defined]
