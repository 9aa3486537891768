"""End-to-end fixtures: the real `webcurate` CLI and `dagster dev`, in temporary folders."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, SEEDS

BIN = REPO / ".venv" / "bin"


def e2e_env(tmp: Path, seeds: Path = SEEDS, /, **extra: str) -> dict[str, str]:
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


ASSETS_QUERY = "{ assetNodes { assetKey { path } groupName description } }"


def graphql(port: int, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """POST a GraphQL query to the local webserver."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        payload: dict[str, Any] = json.loads(response.read())
    assert "errors" not in payload, payload
    return payload["data"]  # type: ignore[no-any-return]


@contextlib.contextmanager
def dagster_dev(
    tmp: Path, seeds: Path = SEEDS, command: Callable[[int], list[str]] | None = None, **extra_env: str
) -> Iterator[int]:
    """`dagster dev` (webserver and daemon) on a free loopback port, with DAGSTER_HOME and output in `tmp`;
    `command` builds another command line for the port (such as `make ui`)."""
    port = free_port()
    log_path = tmp / "dagster-dev.log"
    default = [str(BIN / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command(port) if command else default,
            cwd=REPO,
            env=e2e_env(tmp, seeds, **extra_env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if graphql(port, ASSETS_QUERY)["assetNodes"]:
                        break
                except OSError:
                    pass
                assert process.poll() is None, log_path.read_text()[-3000:]
                assert time.monotonic() < deadline, "dagster dev did not come up in 120 s"
                time.sleep(1)
            yield port
        finally:
            # dagster dev stops its webserver, daemon and code server on SIGTERM; killpg is the backstop.
            # Under make, the whole group gets it (make would exit and leave dagster dev running).
            if command:
                os.killpg(process.pid, signal.SIGTERM)
            else:
                process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)


@pytest.fixture()
def ui(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """`dagster dev` on a free loopback port with a temporary DAGSTER_HOME and output folder."""
    with dagster_dev(tmp_path) as port:
        yield port, tmp_path


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll `condition` every half second until it holds, failing after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {seconds:.0f} s waiting for {what}"
        time.sleep(0.5)


LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""
RUN_STATUS = "query Status($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
JOB_SELECTOR = {
    "repositoryLocationName": "webcurate",
    "repositoryName": "__repository__",
    "jobName": "curate_job",
}


def launch_curate_job(port: int) -> str:
    """Launch curate_job through the webserver's GraphQL API; returns the run id."""
    launched = graphql(port, LAUNCH, {"params": {"selector": JOB_SELECTOR}})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return str(launched["run"]["runId"])


def run_status(port: int, run_id: str) -> str:
    """The status of a run (QUEUED, STARTED, SUCCESS, FAILURE, …)."""
    return str(graphql(port, RUN_STATUS, {"id": run_id})["runOrError"]["status"])


RUN_EVENTS = """
query Events($id: ID!) {
  logsForRun(runId: $id) {
    ... on EventConnection { events { __typename ... on MessageEvent { message } } }
  }
}"""


def run_story(port: int, run_id: str, last: int = 25) -> str:
    """The status and last events of a run, for a failure message that says where it stopped."""
    events = graphql(port, RUN_EVENTS, {"id": run_id})["logsForRun"].get("events") or []
    lines = [f"{e['__typename']}: {(e.get('message') or '')[:200]}" for e in events[-last:]]
    return f"status {run_status(port, run_id)}; last events:\n" + "\n".join(lines)


def wait_for_run(port: int, run_id: str, seconds: float = 180) -> str:
    """Wait until a run has finished; returns its final status. A run that does not finish in time fails
    the test with its status and last events (a run stuck in the queue reads differently from a hung step)."""
    try:
        wait_for(
            lambda: run_status(port, run_id) in ("SUCCESS", "FAILURE", "CANCELED"), seconds, f"run {run_id}"
        )
    except AssertionError as timeout:
        raise AssertionError(f"{timeout}\n{run_story(port, run_id)}") from None
    return run_status(port, run_id)
