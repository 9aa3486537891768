"""Every loading snippet of the README runs against a freshly published version."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.e2e.conftest import BIN, e2e_env, run_cli

pytestmark = pytest.mark.e2e

README = (REPO / "README.md").read_text(encoding="utf-8")
# The S3 variants after the local snippets run against the S3 server (tests/objectstore/test_readme_s3.py).
LOADING = README.split("## Loading the dataset from another project", 1)[1].split("### From S3", 1)[0]
SNIPPETS = re.findall(r"```python\n(.*?)```", LOADING, flags=re.DOTALL)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder like another project's, with output/curated holding a published version."""
    tmp = tmp_path_factory.mktemp("project")
    result = run_cli([str(BIN / "webcurate"), "run"], e2e_env(tmp))
    assert result.returncode == 0, result.stderr[-2000:]
    return tmp


def test_the_readme_has_a_snippet_per_library() -> None:
    joined = "\n".join(SNIPPETS)
    assert len(SNIPPETS) == 6
    for library in ("pandas", "pyarrow.dataset", "duckdb", "polars", "load_table"):
        assert library in joined


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: s.split("\n")[0])
def test_snippet_runs(project: Path, snippet: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", snippet], cwd=project, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
