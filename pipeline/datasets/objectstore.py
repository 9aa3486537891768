"""Locations that are a local folder or an object-store URL (`s3://bucket/prefix`, `gs://…`, `az://…`).

Bytes go through pyarrow's filesystems (`pyarrow.fs.FileSystem.from_uri`), which take the standard
settings of each store: for S3 `AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`,
`AWS_REGION`, `AWS_PROFILE` and instance roles. The release's commit points need what pyarrow's
filesystems do not offer, conditional writes (a create-only put with `If-None-Match: *`, a
compare-and-swap with `If-Match`); those few small requests go through botocore, which reads the same
settings. Only S3 (and S3-compatible stores) has them here: a release on `gs://` or `az://` is refused.
The many small GETs of seed objects are signed by webcurate itself (`s3_signed_reader`, signed_get.py).
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs

from pipeline.datasets.signed_get import Endpoint, Signer, endpoint_of

SCHEMES = ("s3", "gs", "gcs", "az", "abfs", "abfss")
CONDITIONAL_SCHEMES = ("s3",)  # stores whose conditional writes the release uses
_LOCAL = threading.local()


def is_url(location: str | os.PathLike[str]) -> bool:
    """Whether `location` names an object store (`s3://…`), not a local path."""
    text = os.fspath(location)
    scheme, sep, _ = text.partition("://")
    return bool(sep) and scheme.lower() in SCHEMES


class PreconditionFailed(Exception):
    """A conditional write was refused: the object exists (create-only) or changed (compare-and-swap)."""


@cache
def _filesystem(scheme: str, bucket: str, settings: tuple[tuple[str, str], ...]) -> pafs.FileSystem:
    """pyarrow's filesystem for one bucket (cached per settings, so a changed environment is seen)."""
    filesystem, _ = pafs.FileSystem.from_uri(f"{scheme}://{bucket}")
    return filesystem


def _forget_clients() -> None:
    """In a forked child: drop the parent's clients, whose open connections the parent goes on using
    (two processes on one connection read each other's responses)."""
    _filesystem.cache_clear()
    _credentials.cache_clear()
    _LOCAL.__dict__.clear()


os.register_at_fork(after_in_child=_forget_clients)


def _settings() -> tuple[tuple[str, str], ...]:
    """The environment settings a client depends on, as a cache key."""
    names = sorted(k for k in os.environ if k.startswith(("AWS_", "GOOGLE_", "AZURE_")))
    return tuple((name, os.environ[name]) for name in names)


def s3_client(settings: tuple[tuple[str, str], ...] | None = None) -> Any:
    """A botocore S3 client from the standard AWS settings (one per thread and settings; `settings` when
    the caller has just read them)."""
    key = _settings() if settings is None else settings
    cached = getattr(_LOCAL, "clients", {})
    if key not in cached:
        import boto3
        from botocore.config import Config

        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        style = {"addressing_style": "path"} if endpoint else {}
        config = Config(s3=style, retries={"max_attempts": 5, "mode": "standard"})
        session = boto3.session.Session()
        cached[key] = session.client("s3", endpoint_url=endpoint, region_name=region, config=config)
        _LOCAL.clients = cached
    return cached[key]


@cache
def _credentials(settings: tuple[tuple[str, str], ...]) -> Any:
    """botocore's credentials for these settings (environment, profile, instance role), or None."""
    import boto3

    return boto3.session.Session().get_credentials()


def s3_signed_reader() -> tuple[Signer, Endpoint] | None:
    """A signer and endpoint for GETs signed here (signed_get.py), or None when botocore finds no
    credentials (anonymous reads go through botocore)."""
    settings = _settings()  # read once: it scans the environment, and this runs for every object
    credentials = _credentials(settings)
    if credentials is None:
        return None
    frozen = credentials.get_frozen_credentials()  # refreshed by botocore when a role's have expired
    client = s3_client(settings)
    signer = _signer(frozen.access_key, frozen.secret_key, client.meta.region_name, frozen.token)
    return signer, endpoint_of(client)


@lru_cache(maxsize=4)  # credentials of a role rotate: the last few are enough
def _signer(access_key: str, secret_key: str, region: str, token: str | None) -> Signer:
    """One Signer per credentials, so that each derives its day's key once."""
    return Signer(access_key, secret_key, region, token)


@dataclass(frozen=True)
class StorePath:
    """An object or prefix in a bucket, with the few path operations the release needs."""

    scheme: str
    bucket: str
    key: str = ""  # no leading or trailing slash; "" is the bucket itself

    @classmethod
    def parse(cls, url: str) -> StorePath:
        """`s3://bucket/some/prefix` as a StorePath."""
        scheme, _, rest = url.partition("://")
        bucket, _, key = rest.partition("/")
        if not bucket:
            raise ValueError(f"{url!r} names no bucket")
        return cls(scheme.lower(), bucket, key.strip("/"))

    def __str__(self) -> str:
        return f"{self.scheme}://{self.bucket}/{self.key}".rstrip("/")

    def __truediv__(self, other: str) -> StorePath:
        joined = "/".join(part for part in (self.key, str(other).strip("/")) if part)
        return StorePath(self.scheme, self.bucket, joined)

    @property
    def name(self) -> str:
        """The last component."""
        return self.key.rsplit("/", 1)[-1]

    @property
    def parent(self) -> StorePath:
        """The prefix holding this one."""
        return StorePath(self.scheme, self.bucket, self.key.rpartition("/")[0])

    @property
    def filesystem(self) -> pafs.FileSystem:
        """pyarrow's filesystem of the bucket."""
        return _filesystem(self.scheme, self.bucket, _settings())

    @property
    def fs_path(self) -> str:
        """The path of this object on `filesystem` (`bucket/key`)."""
        return f"{self.bucket}/{self.key}".rstrip("/")

    @property
    def conditional(self) -> bool:
        """Whether the store gives the conditional writes a release needs."""
        return self.scheme in CONDITIONAL_SCHEMES

    def info(self) -> pafs.FileInfo:
        """pyarrow's FileInfo of this path."""
        return self.filesystem.get_file_info(self.fs_path)

    def is_file(self) -> bool:
        """Whether an object is stored here."""
        return bool(self.info().type == pafs.FileType.File)

    def is_dir(self) -> bool:
        """Whether objects are stored under this prefix."""
        return bool(self.info().type == pafs.FileType.Directory)

    def exists(self) -> bool:
        """An object or a non-empty prefix."""
        return bool(self.info().type != pafs.FileType.NotFound)

    def read_bytes(self) -> bytes:
        """The object's bytes."""
        with self.filesystem.open_input_stream(self.fs_path) as stream:
            return bytes(stream.read())

    def read_text(self, encoding: str = "utf-8") -> str:
        """The object's text."""
        return self.read_bytes().decode(encoding)

    def open_input_file(self) -> pa.NativeFile:
        """A random-access file (a Parquet reader's source)."""
        return self.filesystem.open_input_file(self.fs_path)

    def write_bytes(self, data: bytes) -> None:
        """Store `data` here (an unconditional put)."""
        with self.filesystem.open_output_stream(self.fs_path) as stream:
            stream.write(data)

    def upload(self, source: Path) -> None:
        """Copy a local file here (multipart for large files)."""
        pafs.copy_files(
            str(source),
            self.fs_path,
            source_filesystem=pafs.LocalFileSystem(),
            destination_filesystem=self.filesystem,
        )

    def copy_from(self, source: StorePath) -> None:
        """A server-side copy of another object of the same store to here."""
        self.filesystem.copy_file(source.fs_path, self.fs_path)

    def listing(self, *, recursive: bool = False) -> list[pafs.FileInfo]:
        """What is under this prefix (empty if nothing)."""
        selector = pafs.FileSelector(self.fs_path, allow_not_found=True, recursive=recursive)
        return list(self.filesystem.get_file_info(selector))

    def iterdir(self) -> Iterator[StorePath]:
        """The objects and prefixes directly under this prefix."""
        for info in self.listing():
            yield self / info.base_name

    def glob(self, pattern: str) -> list[StorePath]:
        """The objects directly under this prefix whose names match `pattern` (fnmatch), sorted."""
        found = [i.base_name for i in self.listing() if i.type == pafs.FileType.File]
        return [self / name for name in sorted(fnmatch.filter(found, pattern))]

    def delete(self) -> None:
        """Remove this object (nothing if it is not there)."""
        with contextlib.suppress(FileNotFoundError):
            self.filesystem.delete_file(self.fs_path)

    # --- conditional writes (S3) ---------------------------------------------------------------

    def _require_conditional(self) -> None:
        """Refuse a store without the conditional writes a release needs."""
        if not self.conditional:
            raise NotImplementedError(
                f"{self}: releases need conditional writes, which webcurate uses on s3:// only"
            )

    def get_with_etag(self) -> tuple[bytes, str] | None:
        """The object's bytes and ETag, or None when there is no object."""
        self._require_conditional()
        from botocore.exceptions import ClientError

        try:
            answer = s3_client().get_object(Bucket=self.bucket, Key=self.key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        return bytes(answer["Body"].read()), str(answer["ETag"])

    def put_if_absent(self, data: bytes) -> None:
        """Create the object only if none is there (`If-None-Match: *`); PreconditionFailed if one is."""
        self._conditional_put(data, IfNoneMatch="*")

    def put_if_match(self, data: bytes, etag: str) -> None:
        """Replace the object only if its ETag is still `etag` (`If-Match`); PreconditionFailed if not."""
        self._conditional_put(data, IfMatch=etag)

    def _conditional_put(self, data: bytes, **condition: str) -> None:
        """A put with a precondition; PreconditionFailed when the store refuses it (412, 409)."""
        self._require_conditional()
        from botocore.exceptions import ClientError

        try:
            s3_client().put_object(Bucket=self.bucket, Key=self.key, Body=data, **condition)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            # 409 ConditionalRequestConflict: AWS's answer to a put racing another conditional put.
            if code in ("PreconditionFailed", "ConditionalRequestConflict") or status in (409, 412):
                raise PreconditionFailed(f"{self}: {code}") from exc
            raise


def location(value: str | os.PathLike[str]) -> Path | StorePath:
    """A local Path or, for an object-store URL, a StorePath."""
    text = os.fspath(value)
    return StorePath.parse(text) if is_url(text) else Path(text)


def check_reachable(path: StorePath) -> str | None:
    """Why the bucket of `path` cannot be listed (one line), or None when it can."""
    try:
        info = path.filesystem.get_file_info(pafs.FileSelector(path.bucket, allow_not_found=False))
        del info
    except FileNotFoundError:
        return f"bucket {path.bucket!r} does not exist"
    except Exception as exc:
        return " ".join(str(exc).split())[:300] or type(exc).__name__
    return None
