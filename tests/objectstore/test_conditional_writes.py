"""What the release relies on from the store, checked on the SeaweedFS server: a create-only put
(`If-None-Match: *`) and a compare-and-swap (`If-Match`) are refused with PreconditionFailed when they
conflict, also when writers race for the same key."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from pipeline.datasets.objectstore import PreconditionFailed, StorePath

RACES = 20
RACERS = 4


def test_create_only_put_is_refused_when_the_object_exists(bucket: str) -> None:
    key = StorePath.parse(f"s3://{bucket}/claims/v0001")
    key.put_if_absent(b"first")
    with pytest.raises(PreconditionFailed):
        key.put_if_absent(b"second")
    assert key.read_bytes() == b"first"


def test_compare_and_swap_is_refused_when_the_object_changed(bucket: str) -> None:
    key = StorePath.parse(f"s3://{bucket}/LATEST")
    key.put_if_absent(b"v0001\n")
    found = key.get_with_etag()
    assert found is not None and found[0] == b"v0001\n"
    key.put_if_match(b"v0002\n", found[1])
    with pytest.raises(PreconditionFailed):
        key.put_if_match(b"v0003\n", found[1])  # a stale ETag
    assert key.read_bytes() == b"v0002\n"
    with pytest.raises(PreconditionFailed):
        StorePath.parse(f"s3://{bucket}/absent").put_if_match(b"x", found[1])


def _race(attempt: object) -> int:
    """Run `attempt(i)` in RACERS threads released at once; how many succeeded."""
    barrier = threading.Barrier(RACERS)

    def go(i: int) -> bool:
        barrier.wait()
        try:
            attempt(i)  # type: ignore[operator]
        except PreconditionFailed:
            return False
        return True

    with ThreadPoolExecutor(RACERS) as pool:
        return sum(pool.map(go, range(RACERS)))


def test_racing_conditional_puts_have_exactly_one_winner(bucket: str) -> None:
    for race in range(RACES):
        key = StorePath.parse(f"s3://{bucket}/race/{race}")
        assert _race(lambda i, key=key: key.put_if_absent(f"{i}".encode())) == 1
    latest = StorePath.parse(f"s3://{bucket}/LATEST")
    latest.put_if_absent(b"start")
    for race in range(RACES):
        found = latest.get_with_etag()
        assert found is not None
        # distinct bodies: an ETag is the MD5 of the body, so an equal body would match the old ETag
        winners = _race(lambda i, etag=found[1], race=race: latest.put_if_match(f"{race}-{i}".encode(), etag))
        assert winners == 1
