"""The PostgreSQL deployment for real: deploy/dagster.postgres.yaml as the instance, a PostgreSQL server
started here (Debian's binaries, `initdb` in a temporary folder, a loopback port), curate_job twice through
the `webcurate` CLI, the seeds sensor once under `dagster dev`, and every run found in Dagster's tables."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypedDict

import pytest

from pipeline.datasets.versions import list_versions, read_latest
from tests.conftest import REPO, SEEDS
from tests.e2e.conftest import BIN, dagster_dev, e2e_env, free_port, graphql, run_cli, wait_for

pytestmark = pytest.mark.e2e

DEPLOY_FILE = REPO / "deploy" / "dagster.postgres.yaml"
START_SENSOR = """
mutation Start($selector: SensorSelector!) {
  startSensor(sensorSelector: $selector) {
    __typename
    ... on Sensor { sensorState { status } }
    ... on PythonError { message }
  }
}"""
SENSOR_SELECTOR = {
    "repositoryLocationName": "webcurate",
    "repositoryName": "__repository__",
    "sensorName": "seeds_sensor",
}


def postgres_bindir() -> Path | None:
    """The folder of PostgreSQL's server programs: Debian keeps them off PATH, under /usr/lib/postgresql."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def server_user() -> dict[str, Any]:
    """subprocess arguments that run the server as `postgres` when we are root (initdb refuses root)."""
    if os.geteuid() != 0:
        return {}
    try:
        account = pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail("running as root, but there is no 'postgres' user to run the server as")
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def run_as_server(args: list[str], cwd: Path, as_user: dict[str, Any]) -> None:
    """Run one PostgreSQL program to completion, failing with its output."""
    done = subprocess.run(
        args,
        cwd=cwd,
        env={**os.environ, "LC_ALL": "C"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **as_user,
    )
    assert done.returncode == 0, f"{' '.join(args)}\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL server on a free loopback port with an empty `dagster` database; stopped after."""
    bindir = postgres_bindir()
    if bindir is None:
        reason = "PostgreSQL's server programs (initdb) are not installed; `make postgres` installs them"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI must run this test)")
        pytest.skip(reason)
    as_user = server_user()
    # Not under pytest's tmp_path: that is private to root (0700), and the server runs as `postgres`.
    root = Path(tempfile.mkdtemp(prefix="webcurate-pg-"))
    if as_user:
        os.chown(root, as_user["user"], as_user["group"])
    data, port = root / "data", free_port()
    try:
        run_as_server(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            root,
            as_user,
        )
        # Loopback only, and the unix socket in our folder (Debian's default /var/run/postgresql may be
        # missing or another server's); fsync off: the data is thrown away.
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        run_as_server(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(root / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            root,
            as_user,
        )
        try:
            run_as_server(
                [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "dagster"],
                root,
                as_user,
            )
            # The driver named: SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3, which dagster-postgres
            # does not install (it brings psycopg2).
            yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/dagster"
        finally:
            stop = [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
            run_as_server(stop, root, as_user)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def query(url: str, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Rows of one SQL query against Dagster's database (psycopg2 comes with dagster-postgres)."""
    import psycopg2

    # libpq's URLs name no driver: SQLAlchemy's `+psycopg2` is dropped.
    dsn = url.replace("postgresql+psycopg2://", "postgresql://", 1)
    with psycopg2.connect(dsn) as connection, connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    connection.close()
    return rows


def sensor_runs(url: str) -> list[tuple[str, str]]:
    """(run id, status) of every run the seeds sensor started, from Dagster's runs and run_tags tables."""
    return [
        (str(run_id), str(status))
        for run_id, status in query(
            url,
            "SELECT r.run_id, r.status FROM runs r JOIN run_tags t ON t.run_id = r.run_id "
            "WHERE t.key = 'dagster/sensor_name' AND t.value = 'seeds_sensor'",
        )
    ]


class InstanceEnv(TypedDict):
    """The variables that put a process on the PostgreSQL instance: its home (dagster.yaml) and database."""

    DAGSTER_HOME: str
    DAGSTER_POSTGRES_URL: str


def test_curate_job_and_the_sensor_keep_their_runs_in_postgres(postgres_url: str, tmp_path: Path) -> None:
    home = tmp_path / "postgres_home"
    home.mkdir()
    shutil.copy(DEPLOY_FILE, home / "dagster.yaml")
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    instance_env: InstanceEnv = {"DAGSTER_HOME": str(home), "DAGSTER_POSTGRES_URL": postgres_url}
    env = e2e_env(tmp_path, seeds, **instance_env)
    root = tmp_path / "output" / "curated"

    first = run_cli([str(BIN / "webcurate"), "run"], env)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "webcurate: published: v0001" in first.stdout, first.stdout
    second = run_cli([str(BIN / "webcurate"), "run"], env)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "webcurate: unchanged" in second.stdout and "v0001" in second.stdout, second.stdout
    # Nothing went to SQLite: the run and event databases would be files under DAGSTER_HOME.
    assert not list(home.rglob("*.db")), list(home.rglob("*.db"))

    # The sensor, turned on in a running `dagster dev` (webserver and daemon on this instance), sees a new
    # file, waits for the listing to settle over two ticks, and starts one run that publishes v0002.
    (seeds / "dropped.md").write_text(
        "---\ntitle: Dropped in\n---\n\n# Dropped in\n\nA new article about curating web text at scale, "
        "copied into the seeds folder while the sensor was watching it.\n"
    )
    with dagster_dev(tmp_path, seeds, WEBCURATE_SENSOR_INTERVAL="2", **instance_env) as port:
        started = graphql(port, START_SENSOR, {"selector": SENSOR_SELECTOR})["startSensor"]
        assert started["__typename"] == "Sensor" and started["sensorState"]["status"] == "RUNNING", started
        finished = ("SUCCESS", "FAILURE", "CANCELED")
        wait_for(
            lambda: any(status in finished for _, status in sensor_runs(postgres_url)),
            240,
            "the sensor's run to finish",
        )
    assert [status for _, status in sensor_runs(postgres_url)] == ["SUCCESS"]
    assert list_versions(root) == ["v0001", "v0002"] and read_latest(root) == "v0002"

    # Dagster's own tables in PostgreSQL: the three runs of curate_job (two from the CLI, one from the
    # sensor), their events, and the sensor's state and ticks (schedule storage).
    runs = query(postgres_url, "SELECT run_id, pipeline_name, status FROM runs ORDER BY create_timestamp")
    assert [(job, status) for _, job, status in runs] == [("curate_job", "SUCCESS")] * 3
    (sensor_run,) = sensor_runs(postgres_url)
    assert sensor_run[0] == runs[-1][0]
    (seeds_tag,) = query(
        postgres_url,
        "SELECT value FROM run_tags WHERE run_id = %s AND key = 'webcurate/seeds'",
        sensor_run[0],
    )
    assert seeds_tag[0].startswith("1-")  # the sensor's first launch
    materialized = query(
        postgres_url,
        "SELECT run_id FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION' AND asset_key = %s",
        '["curated_dataset"]',
    )
    assert sorted(run_id for (run_id,) in materialized) == sorted(run_id for run_id, _, _ in runs)
    instigators = query(postgres_url, "SELECT job_origin_id, status FROM jobs WHERE job_type = 'SENSOR'")
    assert ("RUNNING",) in [(status,) for _, status in instigators]
    ticks = query(postgres_url, "SELECT status FROM job_ticks")
    assert ("SUCCESS",) in ticks  # the tick that requested the run
    assert ("SKIPPED",) in ticks  # the tick that waited for the listing to settle
