"""Seeds on an object store: the inventory is a listing (no object is read by the driver), and each
worker reads the bytes of its own documents from the store.

An object's stat signature is its size and ETag (S3: any write changes the ETag; other stores: size and
modification time), and its `sha256` column in the inventory is a digest of that signature, which is
what the cache keys need: the worker that reads the bytes computes the content's real sha256 for the
tables, so a run from the store publishes the same tables as a run from a folder of the same files. The
order is the local walk's (a folder's files, then its subfolders, by name); names starting with "." are
left out, as on disk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pyarrow.fs as pafs

from pipeline.cleaning.document import Skipped
from pipeline.cleaning.ingest import SeedFile, make_doc_id
from pipeline.datasets.objectstore import StorePath, s3_client


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


def read_store_seed(root: str, source_path: str, stat_key: str, max_bytes: int) -> bytes:
    """The bytes of an object the listing saw; OSError if it is gone, changed since, or too large."""
    path = StorePath.parse(root) / source_path
    signature = stat_key.partition(":")[2]
    if path.scheme == "s3" and signature.startswith("etag "):
        from botocore.exceptions import ClientError

        try:
            answer = s3_client().get_object(
                Bucket=path.bucket, Key=path.key, IfMatch=f'"{signature.removeprefix("etag ")}"'
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("PreconditionFailed", "412"):
                raise OSError("changed while the run was reading it (the next run picks it up)") from exc
            raise OSError(f"{code}: {exc}") from exc
        data = bytes(answer["Body"].read(max_bytes + 1))
    else:
        data = path.read_bytes()
    if len(data) > max_bytes:
        raise OSError(f"file too large (> {max_bytes} bytes)")
    return data
