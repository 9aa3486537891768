"""Seeds on an object store: the inventory is a listing (no object is read by the driver), and each
worker reads the bytes of its own documents from the store.

An object's stat signature is its size and ETag (S3: any write changes the ETag; other stores: size and
modification time), and its `sha256` column in the inventory is a digest of that signature, which is
what the cache keys need: the worker that reads the bytes computes the content's real sha256 for the
tables, so a run from the store publishes the same tables as a run from a folder of the same files. The
order is the local walk's (a folder's files, then its subfolders, by name); names starting with "." are
left out, as on disk.

A worker reads its task's objects ahead of the parse (`prefetch`, then `read_store_seed` takes them), a few
at a time on threads, so that the GETs' round trips overlap each other and the parsing: read one after
the other, the parse step waited on each object in turn (10k objects: 24 s instead of 7 s from a folder).
The GETs of S3 objects are signed here (signed_get.py) with botocore as the fallback for what they do not
answer: botocore's own GET cost five times the CPU, on the same cores as the parse.
"""

from __future__ import annotations

import hashlib
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pyarrow.fs as pafs

from pipeline.cleaning.document import Skipped
from pipeline.cleaning.ingest import SeedFile, make_doc_id
from pipeline.datasets.objectstore import StorePath, s3_client, s3_signed_reader
from pipeline.datasets.signed_get import ObjectChanged, signed_get


def _walk_order(source: str) -> list[tuple[int, str]]:
    """A sort key giving the local walk's order: a folder's files (0) before its subfolders (1)."""
    parts = source.split("/")
    return [(1, part) for part in parts[:-1]] + [(0, parts[-1])]


def _listed(root: StorePath) -> Iterator[tuple[str, int, str]]:
    """(relative key, size, signature) of every object under `root`."""
    prefix = f"{root.key}/" if root.key else ""
    if root.scheme == "s3":  # ETags come with the listing
        pages = s3_client().get_paginator("list_objects_v2").paginate(Bucket=root.bucket, Prefix=prefix)
        for page in pages:
            for item in page.get("Contents", []):
                yield item["Key"][len(prefix) :], int(item["Size"]), f"etag {item['ETag'].strip(chr(34))}"
        return
    for info in root.listing(recursive=True):
        if info.type == pafs.FileType.File:
            relative = info.path[len(root.fs_path) + 1 :]
            yield relative, int(info.size or 0), f"mtime {info.mtime_ns}"


def scan_store(root: StorePath, *, max_bytes: int) -> Iterator[SeedFile | Skipped]:
    """Every object below `root` in the local walk's order, as SeedFiles (or Skipped when too large)."""
    entries = [
        (source, size, signature)
        for source, size, signature in _listed(root)
        if source and not source.endswith("/") and not any(p.startswith(".") for p in source.split("/"))
    ]
    if not entries and not root.is_dir():
        raise FileNotFoundError(f"no objects under {root}")
    for source, size, signature in sorted(entries, key=lambda entry: _walk_order(entry[0])):
        doc_id = make_doc_id(source)
        if size > max_bytes:
            yield Skipped(doc_id, source, f"unreadable: file too large ({size} bytes > {max_bytes})")
            continue
        key = f"{size}:{signature}"
        yield SeedFile(doc_id, source, size, key, store_identity(key))


def store_identity(stat_key: str) -> str:
    """The inventory's `sha256` of an object: a digest of its signature (its bytes are not read)."""
    return hashlib.sha256(f"object {stat_key}".encode()).hexdigest()


# What one object read names: the seeds root, the object's relative key, its listed stat key, the size limit.
Request = tuple[str, str, str, int]
# Reads in flight or done and not yet taken, per worker process: enough to keep a parse fed while the
# store answers (a GET is ~1 ms, a parse ~0.7 ms of CPU), few enough that memory stays bounded by
# PREFETCH_BYTES of listed sizes (one object larger than that is still read, alone).
PREFETCH_THREADS = 4
PREFETCH_AHEAD = 16
PREFETCH_BYTES = 32 * 1024 * 1024


def _listed_size(request: Request) -> int:
    """The object's size as listed (the stat key's first field), 0 if it says none."""
    size = request[2].partition(":")[0]
    return int(size) if size.isdigit() else 0


class Prefetch:
    """The objects of a worker's current task, read ahead on a few threads in the task's order.

    Only the thread that runs the steps calls `start` and `take`; the pool's threads only read. A read's
    error is kept with its future and raised by `take`, so each object fails its own row as a read in
    the step would."""

    def __init__(
        self, threads: int = PREFETCH_THREADS, ahead: int = PREFETCH_AHEAD, budget: int = PREFETCH_BYTES
    ) -> None:
        self.threads, self.ahead, self.budget = threads, ahead, budget
        self._pool: ThreadPoolExecutor | None = None
        self._queue: deque[Request] = deque()
        self._futures: dict[Request, Future[bytes]] = {}
        self._held = 0  # listed bytes of the requests in _futures

    def start(self, requests: Iterable[Request]) -> None:
        """Read these objects ahead, in this order (what an earlier task left unread is dropped)."""
        self.clear()
        self._queue.extend(requests)
        self._fill()

    def clear(self) -> None:
        """Drop every pending read (those already running finish and are forgotten)."""
        for future in self._futures.values():
            future.cancel()
        self._queue.clear()
        self._futures.clear()
        self._held = 0

    @property
    def held(self) -> int:
        """How many reads are started and not yet taken."""
        return len(self._futures)

    def _fill(self) -> None:
        """Start reads in order while fewer than `ahead` are held and their listed bytes fit the budget."""
        while self._queue and len(self._futures) < self.ahead:
            size = _listed_size(self._queue[0])
            if self._futures and self._held + size > self.budget:
                return
            request = self._queue.popleft()
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="webcurate-prefetch")
            self._futures[request] = self._pool.submit(_read_object, *request)
            self._held += size

    def take(self, request: Request) -> bytes | None:
        """The object's bytes if it was read ahead (raising its read's OSError), None if it was not."""
        future = self._futures.pop(request, None)
        if future is None:
            if request in self._queue:  # asked for out of order: it is read now, not again later
                self._queue.remove(request)
            return None
        self._held -= _listed_size(request)
        self._fill()  # the next reads go out before this one is waited for
        return future.result()


_PREFETCH = Prefetch()


def _fresh_prefetch() -> None:
    """In a forked child: a prefetch of its own (the parent's pool threads do not exist in it)."""
    global _PREFETCH
    _PREFETCH = Prefetch()


os.register_at_fork(after_in_child=_fresh_prefetch)


def prefetch(requests: Iterable[Request]) -> None:
    """Start reading these objects ahead in this process; `read_store_seed` takes them as they are asked."""
    _PREFETCH.start(requests)


def read_store_seed(root: str, source_path: str, stat_key: str, max_bytes: int) -> bytes:
    """The bytes of an object the listing saw; OSError if it is gone, changed since, or too large.

    Read ahead by `prefetch` when it was (the same read, on a prefetch thread), here otherwise."""
    data = _PREFETCH.take((root, source_path, stat_key, max_bytes))
    return _read_object(root, source_path, stat_key, max_bytes) if data is None else data


def _read_object(root: str, source_path: str, stat_key: str, max_bytes: int) -> bytes:
    """One GET of an object (If-Match its listed ETag on S3), within `max_bytes`."""
    path = StorePath.parse(root) / source_path
    signature = stat_key.partition(":")[2]
    if path.scheme == "s3" and signature.startswith("etag "):
        from botocore.exceptions import ClientError

        etag = signature.removeprefix("etag ")
        reader = s3_signed_reader()
        fast = None if reader is None else signed_get(*reader, path.bucket, path.key, etag, max_bytes)
        if fast is not None:
            return _within(fast, max_bytes)
        try:  # what the signed GET does not answer: botocore's retries, redirects and error codes
            answer = s3_client().get_object(Bucket=path.bucket, Key=path.key, IfMatch=f'"{etag}"')
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("PreconditionFailed", "412"):
                raise ObjectChanged from exc
            raise OSError(f"{code}: {exc}") from exc
        return _within(bytes(answer["Body"].read(max_bytes + 1)), max_bytes)
    return _within(path.read_bytes(), max_bytes)


def _within(data: bytes, max_bytes: int) -> bytes:
    """`data`, or OSError when it is larger than `max_bytes`."""
    if len(data) > max_bytes:
        raise OSError(f"file too large (> {max_bytes} bytes)")
    return data
