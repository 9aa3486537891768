"""End-to-end fixtures: the real `webcurate` CLI and `dagster dev`, in temporary folders."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Mapping
from pathlib import Path

from tests.conftest import REPO, SEEDS

BIN = REPO / ".venv" / "bin"


def e2e_env(tmp: Path, seeds: Path = SEEDS, **extra: str) -> dict[str, str]:
    """The process environment for a run into `tmp`: its own output folder and Dagster home."""
    home = tmp / "dagster_home"
    home.mkdir(exist_ok=True)
    shutil.copy(REPO / ".dagster" / "dagster.yaml", home / "dagster.yaml")
    return {
        **os.environ,
        "WEBCURATE_SEEDS_DIR": str(seeds),
        "WEBCURATE_OUTPUT_DIR": str(tmp / "output"),
        "DAGSTER_HOME": str(home),
        **extra,
    }


def run_cli(args: list[str], env: Mapping[str, str], cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """Run a command to completion, capturing its output."""
    return subprocess.run(
        args, cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=300, check=False
    )


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
