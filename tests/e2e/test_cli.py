"""`make run` and the `webcurate` CLI, as a user runs them."""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import REPO, SEEDS
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


def run_combined(env: Mapping[str, str], *, unprivileged: bool = False) -> tuple[int, list[str]]:
    """`webcurate run` with stdout and stderr in one stream, as a terminal shows them: the exit status and
    the non-blank lines. `unprivileged`: without the capabilities that let root read and write anything."""
    command = [str(BIN / "webcurate"), "run"]
    if unprivileged and os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: permissions cannot be taken away")
        command = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *command]
    result = subprocess.run(
        command,
        cwd=REPO,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
        check=False,
    )
    return result.returncode, [line for line in result.stdout.splitlines() if line.strip()]


def assert_fails_with(
    tmp_path: Path, env: Mapping[str, str], *expected: str, unprivileged: bool = False
) -> str:
    """The run fails with a setting to fix before it starts: exit 2, a short output whose last line names
    the cause (every `expected` piece), no trace, nothing published. Returns that line."""
    status, lines = run_combined(env, unprivileged=unprivileged)
    assert status == 2, lines
    last = lines[-1]
    assert last.startswith("webcurate: error: "), lines
    assert all(piece in last for piece in expected), (expected, last)
    assert len(lines) <= 3 and not any("Traceback" in line or "dagster._core" in line for line in lines)
    assert not (tmp_path / "output" / "curated" / "LATEST").exists()
    return last


def test_a_missing_seeds_folder_fails_in_one_line_and_publishes_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    last = assert_fails_with(tmp_path, e2e_env(tmp_path, missing), "WEBCURATE_SEEDS_DIR=", "does not exist")
    assert f"the seeds folder {missing} does not exist; create it, or set WEBCURATE_SEEDS_DIR" in last


def test_an_unreadable_seeds_folder_fails_in_one_line(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    seeds.chmod(0)
    try:
        env = e2e_env(tmp_path, seeds)
        assert_fails_with(
            tmp_path,
            env,
            "WEBCURATE_SEEDS_DIR=",
            f"cannot read the seeds folder {seeds}",
            "Permission denied",
            "chmod u+rx",
            unprivileged=True,
        )
    finally:
        seeds.chmod(0o755)


def test_an_unknown_engine_fails_in_one_line(tmp_path: Path) -> None:
    env = e2e_env(tmp_path, WEBCURATE_ENGINE="spark")
    assert_fails_with(tmp_path, env, "WEBCURATE_ENGINE='spark'", "unknown engine", "local, ray")


def test_a_bad_rules_file_fails_in_one_line_naming_the_file_and_line(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - name: acme_more\n    phrse: More from ACME\n", encoding="utf-8")
    env = e2e_env(tmp_path, WEBCURATE_RULES_FILE=str(rules))
    assert_fails_with(tmp_path, env, "WEBCURATE_RULES_FILE=", f"{rules}:3:", "'phrse'", "fix that line")


def test_a_bad_quality_file_fails_in_one_line_naming_the_file_and_line(tmp_path: Path) -> None:
    thresholds = tmp_path / "quality.yaml"
    thresholds.write_text("min_word_count: 50\nmin_wrods: 3\n", encoding="utf-8")
    env = e2e_env(tmp_path, WEBCURATE_QUALITY_FILE=str(thresholds))
    assert_fails_with(
        tmp_path, env, "WEBCURATE_QUALITY_FILE=", f"{thresholds}:2:", "min_wrods", "fix that line"
    )


def test_an_unwritable_output_folder_fails_in_one_line(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    try:
        env = e2e_env(tmp_path, WEBCURATE_OUTPUT_DIR=str(locked / "output"))
        assert_fails_with(
            tmp_path,
            env,
            "WEBCURATE_OUTPUT_DIR=",
            "cannot write the output folder",
            "Permission denied",
            unprivileged=True,
        )
    finally:
        locked.chmod(0o755)


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("WEBCURATE_BATCH_SIZE", "many", "expected an integer"),
        ("WEBCURATE_DEDUP_THRESHOLD", "1.5", "out of range"),
    ],
)
def test_a_bad_number_fails_in_one_line(tmp_path: Path, variable: str, value: str, expected: str) -> None:
    env = e2e_env(tmp_path, **{variable: value})
    assert_fails_with(tmp_path, env, f"{variable}=", expected, "unset it for the default")


def test_a_failure_during_the_run_ends_with_its_cause(tmp_path: Path) -> None:
    """A release blocked by a schema violation (found only during the run): the trace goes to the log,
    and the last line is the cause, after the line saying which step failed and that nothing changed."""
    strict = tmp_path / "schemas"
    shutil.copytree(REPO / "schemas", strict)
    spec = json.loads((strict / "documents.v1.json").read_text())
    for column in spec["columns"]:
        if column["name"] == "n_chars":
            column["constraints"]["max"] = 3000
    (strict / "documents.v1.json").write_text(json.dumps(spec))
    status, lines = run_combined(e2e_env(tmp_path, WEBCURATE_SCHEMAS_DIR=str(strict)))
    assert status == 1
    assert "failed at curated_dataset; nothing was published" in lines[-2]
    assert lines[-1].startswith("webcurate: error: release blocked, nothing published:"), lines[-3:]
    assert "documents.n_chars: max: above 3000" in lines[-1]
    assert not (tmp_path / "output" / "curated" / "LATEST").exists()


def test_off_a_terminal_progress_is_plain_log_lines(tmp_path: Path) -> None:
    """Piped output gets each stage's progress as a log line (Dagster's console), never a bar."""
    result = run_cli([str(BIN / "webcurate"), "run"], e2e_env(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "\x1b[" not in result.stdout + result.stderr and "━" not in result.stderr
    logged = [line.split(" - ")[-1] for line in result.stderr.splitlines() if " - dagster - INFO - " in line]
    assert "listed 5 entries (0.0 MB) in " + str(SEEDS) in logged
    for stage in ("parse", "repeated lines", "curate"):
        assert any(line.startswith(f"{stage}: 5 documents in ") for line in logged), (stage, logged)
    assert any(
        line.startswith("parse: 5 documents in ") and "5 computed, 0 reused" in line for line in logged
    )


def run_on_a_terminal(args: list[str], env: Mapping[str, str]) -> tuple[int, str]:
    """Run a command with a pseudo-terminal as its stdout and stderr; its exit status and all it wrote."""
    leader, follower = pty.openpty()
    os.set_inheritable(follower, True)
    process = subprocess.Popen(
        args, cwd=REPO, env={**env, "TERM": "xterm", "COLUMNS": "120"}, stdout=follower, stderr=follower
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the terminal's last writer is gone
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(timeout=300), b"".join(chunks).decode("utf-8", "replace")


def test_on_a_terminal_each_stage_has_a_progress_bar(tmp_path: Path) -> None:
    """On a terminal: a bar per stage with its count, docs/s and time, the outcome line last, and none of
    Dagster's INFO lines breaking into the bars (they stay in the run's log)."""
    status, output = run_on_a_terminal([str(BIN / "webcurate"), "run"], e2e_env(tmp_path))
    assert status == 0, output[-3000:]
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output)  # the escape codes of colours and cursor moves
    for stage, unit in [
        ("ingest", "files"),
        ("parse", "documents"),
        ("repeated lines", "documents"),
        ("curate", "documents"),
        ("duplicates", "documents"),
        ("release", "documents"),
    ]:
        rate = "files/s" if unit == "files" else "docs/s"
        bar = rf"{stage} +━+ 5/5 +{unit} +[\d,–]+ {rate} +\d+:\d\d:\d\d"
        assert re.search(bar, plain), (stage, plain[-3000:])
    assert " - dagster - INFO - " not in plain
    assert plain.rstrip().splitlines()[-1].startswith("webcurate: published: v0001 at ")
