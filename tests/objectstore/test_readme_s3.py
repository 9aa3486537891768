"""The README's S3 loading snippets run against a version published to the SeaweedFS server, with
nothing but each library's own S3 support and the standard AWS settings."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.datasets.objectstore import StorePath
from tests.conftest import REPO
from tests.e2e.conftest import BIN, e2e_env, run_cli
from tests.objectstore.test_store_run import upload_seeds

pytestmark = pytest.mark.e2e

README = (REPO / "README.md").read_text(encoding="utf-8")
S3_SECTION = README.split("### From S3", 1)[1].split("\n## ", 1)[0]
SNIPPETS = re.findall(r"```python\n(.*?)```", S3_SECTION, flags=re.DOTALL)
PLACEHOLDER = "s3://my-bucket/datasets/curated"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, s3_server: object) -> str:
    """The release root of a version published from the seeds to a new bucket by `webcurate run`."""
    from tests.objectstore.seaweed import S3Server

    assert isinstance(s3_server, S3Server)
    bucket = s3_server.new_bucket("readme")
    seeds = StorePath.parse(f"s3://{bucket}/seeds")
    upload_seeds(seeds)
    tmp = tmp_path_factory.mktemp("s3project")
    env = e2e_env(tmp, WEBCURATE_WORK_DIR=str(tmp / "work"))
    env.update(WEBCURATE_SEEDS_DIR=str(seeds), WEBCURATE_OUTPUT_DIR=f"s3://{bucket}/datasets")
    result = run_cli([str(BIN / "webcurate"), "run", "--progress", "log"], env)
    assert result.returncode == 0, result.stderr[-2000:]
    return f"s3://{bucket}/datasets/curated"


def test_the_readme_has_an_s3_snippet_per_library() -> None:
    assert len(SNIPPETS) == 4
    for library in ("pandas", "pyarrow.dataset", "duckdb", "polars"):
        assert any(library in snippet for snippet in SNIPPETS)
    assert all(PLACEHOLDER in snippet for snippet in SNIPPETS)


@pytest.fixture(scope="module")
def duckdb_home(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """A home folder where DuckDB finds its httpfs and aws extensions installed, from their wheels (DuckDB
    would download them on first use, which these machines cannot); None where no wheel is built."""
    import duckdb

    home = tmp_path_factory.mktemp("duckdb-home")
    connection = duckdb.connect(config={"home_directory": str(home)})
    for name in ("httpfs", "aws"):
        try:
            package = importlib.import_module(f"duckdb_extension_{name}")
        except ImportError:
            return None
        folder = Path(package.__file__ or "").parent / "extensions" / f"v{duckdb.__version__}"
        [path] = folder.glob(f"{name}.duckdb_extension")
        connection.execute(f"INSTALL '{path}'")
    return home


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: s.split("\n")[0])
def test_s3_snippet_runs(published: str, snippet: str, tmp_path: Path, duckdb_home: Path | None) -> None:
    env = dict(os.environ)
    if "duckdb" in snippet:
        if duckdb_home is None:
            pytest.skip("no wheel of DuckDB's httpfs and aws extensions for this machine")
        env["HOME"] = str(duckdb_home)  # DuckDB autoloads the extensions installed under it
    code = snippet.replace(PLACEHOLDER, published)
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip()
