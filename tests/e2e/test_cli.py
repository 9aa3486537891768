"""`make run` and the `webcurate` CLI, as a user runs them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import SEEDS
from tests.e2e.conftest import BIN, e2e_env, run_cli

pytestmark = pytest.mark.e2e


def test_make_run_publishes_once_and_again_after_a_change(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    env = e2e_env(tmp_path, seeds)
    first = run_cli(["make", "--no-print-directory", "run"], env)
    assert first.returncode == 0, first.stderr[-2000:]
    root = tmp_path / "output" / "curated"
    published = f"webcurate: published: v0001 at {root / 'v0001'} (documents=5, sections="
    assert published in first.stdout and first.stdout.rstrip().endswith("skipped files: 0")
    docs = pd.read_parquet(root / "v0001" / "documents")
    assert len(docs) == 5

    second = run_cli(["make", "--no-print-directory", "run"], env)
    assert second.returncode == 0
    assert "unchanged (content equals the latest version): v0001" in second.stdout
    (seeds / "new.md").write_text("---\ntitle: New\n---\n\nA new document about machine learning at scale.\n")
    third = run_cli([str(BIN / "webcurate"), "run"], env)
    assert "published: v0002" in third.stdout and "documents=6" in third.stdout
    status = run_cli([str(BIN / "webcurate"), "status"], env)
    assert status.stdout.splitlines()[-1].startswith("v0002") and "<- LATEST" in status.stdout


def test_a_missing_seeds_folder_fails_clearly_and_publishes_nothing(tmp_path: Path) -> None:
    result = run_cli([str(BIN / "webcurate"), "run"], e2e_env(tmp_path, tmp_path / "nope"))
    assert result.returncode == 1
    assert "does not exist" in result.stderr
    assert not (tmp_path / "output" / "curated" / "LATEST").exists()
