"""GETs of S3 objects signed here (AWS Signature Version 4) on a kept-alive connection per thread.

The workers read every seed object once, and through botocore a GET of a small object costs about 1.1 ms
of CPU (its event hooks, parameter models and response parsers), about 0.2 ms here: on 10k objects that
is 9 s of CPU on a two-core machine, the largest part of what a run from S3 costs beyond one from a
folder. Only the common answers are handled here, a 200 (the bytes) and a 412 (the object changed since
the listing); for anything else (missing object, denied, redirect to another region, throttling, a
broken connection, a proxy in the environment) `signed_get` returns None and the caller asks botocore,
whose retries, redirects and error codes then apply as before. Credentials, region and endpoint are
botocore's own (environment, profiles, instance roles), resolved once per process and settings.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.client
import os
import re
import ssl
import threading
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import quote, urlsplit

_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
# Proxy settings the connection here would ignore: with one set, botocore reads every object.
_PROXY_SETTINGS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
_LOCAL = threading.local()
_HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


class ObjectChanged(OSError):
    """The object's ETag is no longer the one asked for (412 Precondition Failed)."""

    def __init__(self) -> None:
        super().__init__("changed while the run was reading it (the next run picks it up)")


@dataclass
class Signer:
    """SigV4 signatures for S3 requests with one set of credentials (the day's key derived once)."""

    access_key: str
    secret_key: str
    region: str
    token: str | None = None
    # (day, key) in one attribute: threads signing across midnight never pair a day with another's key
    _derived: tuple[str, bytes] = field(default=("", b""), repr=False)

    def signing_key(self, day: str) -> bytes:
        """The key derived for `day` (YYYYMMDD), this region and S3."""
        derived_day, key = self._derived
        if day != derived_day:
            key = hmac.new(f"AWS4{self.secret_key}".encode(), day.encode(), hashlib.sha256).digest()
            for part in (self.region, "s3", "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            self._derived = (day, key)
        return key

    def headers(self, host: str, path: str, extra: dict[str, str], now: datetime.datetime) -> dict[str, str]:
        """The headers of a signed GET of `path` (already URI-encoded) on `host`, with `extra` signed too."""
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        headers = {"host": host, "x-amz-content-sha256": _EMPTY_SHA256, "x-amz-date": stamp}
        if self.token:
            headers["x-amz-security-token"] = self.token
        headers.update((name.lower(), value.strip()) for name, value in extra.items())
        names = sorted(headers)
        signed = ";".join(names)
        canonical = "\n".join(
            ["GET", path, "", *(f"{name}:{headers[name]}" for name in names), "", signed, _EMPTY_SHA256]
        )
        scope = f"{stamp[:8]}/{self.region}/s3/aws4_request"
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        to_sign = f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{digest}"
        signature = hmac.new(self.signing_key(stamp[:8]), to_sign.encode(), hashlib.sha256).hexdigest()
        credential = f"{self.access_key}/{scope}"
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders={signed}, Signature={signature}"
        )
        return headers


@dataclass(frozen=True)
class Endpoint:
    """Where a client's S3 requests go: scheme, host[:port], and whether buckets are in the path."""

    scheme: str
    netloc: str
    path_style: bool

    def locate(self, bucket: str, key: str) -> tuple[str, str] | None:
        """(host, URI-encoded path) of an object, or None for a bucket name no host can carry."""
        encoded = quote(key, safe="/~")
        if self.path_style:
            return self.netloc, f"/{bucket}/{encoded}"
        if _HOST_LABEL.fullmatch(bucket) is None:  # dots break TLS, capitals and "_" are no host names
            return None
        return f"{bucket}.{self.netloc}", f"/{encoded}"


def endpoint_of(client: Any) -> Endpoint:
    """The endpoint of a botocore S3 client (path style when its config says so or it has a custom URL)."""
    url = urlsplit(client.meta.endpoint_url)
    style = (client.meta.config.s3 or {}).get("addressing_style")
    return Endpoint(url.scheme, url.netloc, style == "path")


@cache
def _tls_context(cafile: str | None) -> ssl.SSLContext:
    """The TLS context of the connections (`AWS_CA_BUNDLE` when set, else the system's authorities)."""
    return ssl.create_default_context(cafile=cafile)


def _connection(endpoint: Endpoint, host: str) -> http.client.HTTPConnection:
    """This thread's kept-alive connection to `host`."""
    connections: dict[tuple[str, str], http.client.HTTPConnection]
    connections = _LOCAL.__dict__.setdefault("connections", {})
    connection = connections.get((endpoint.scheme, host))
    if connection is None:
        if endpoint.scheme == "https":
            context = _tls_context(os.environ.get("AWS_CA_BUNDLE"))
            connection = http.client.HTTPSConnection(host, timeout=60, context=context)
        else:
            connection = http.client.HTTPConnection(host, timeout=60)
        connections[(endpoint.scheme, host)] = connection
    return connection


def _drop_connection(endpoint: Endpoint, host: str) -> None:
    """Close and forget this thread's connection to `host` (the next request opens a new one)."""
    connection = _LOCAL.__dict__.get("connections", {}).pop((endpoint.scheme, host), None)
    if connection is not None:
        connection.close()


def _forget_connections() -> None:
    """In a forked child: the parent's connections are the parent's (their answers would be read twice)."""
    _LOCAL.__dict__.clear()


os.register_at_fork(after_in_child=_forget_connections)


def signed_get(
    signer: Signer, endpoint: Endpoint, bucket: str, key: str, etag: str, max_bytes: int
) -> bytes | None:
    """The object's bytes if its ETag is still `etag` (at most max_bytes + 1 of them); ObjectChanged if
    it changed; None for any other answer or failure (the caller then asks botocore)."""
    if any(os.environ.get(name) for name in _PROXY_SETTINGS):
        return None
    located = endpoint.locate(bucket, key)
    if located is None:
        return None
    host, path = located
    for attempt in range(2):  # a kept-alive connection the server closed fails once, then a new one
        connection = _connection(endpoint, host)
        now = datetime.datetime.now(datetime.UTC)
        headers = signer.headers(host, path, {"if-match": f'"{etag}"'}, now)
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            data = response.read(max_bytes + 1)
            if not response.isclosed():  # more than max_bytes: the rest is not read, the connection goes
                _drop_connection(endpoint, host)
        except (OSError, http.client.HTTPException):
            _drop_connection(endpoint, host)
            if attempt:
                return None
            continue
        if response.status == 200:
            return data
        if response.status == 412:
            raise ObjectChanged
        return None
    return None
