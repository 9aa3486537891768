"""GETs signed here (signed_get.py): the signature of AWS's own worked example, and on the SeaweedFS
server (which checks every signature) the bytes botocore reads for awkward keys, ObjectChanged for a
changed object, and None (botocore's turn) for what only botocore answers."""

from __future__ import annotations

import datetime

import pytest

from pipeline.datasets.objectstore import StorePath, s3_client, s3_signed_reader
from pipeline.datasets.signed_get import Endpoint, ObjectChanged, Signer, signed_get
from pipeline.datasets.store_seeds import read_store_seed
from tests.conftest import SEEDS
from tests.objectstore.seaweed import S3Server


def test_signature_of_the_aws_worked_example() -> None:
    # "Example: GET Object" of AWS's Signature Version 4 documentation for S3 (header-based auth).
    signer = Signer("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1")
    when = datetime.datetime(2013, 5, 24, tzinfo=datetime.UTC)
    headers = signer.headers("examplebucket.s3.amazonaws.com", "/test.txt", {"Range": "bytes=0-9"}, when)
    assert headers["authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


def test_session_token_is_sent_and_signed() -> None:
    # Temporary credentials (a role's, an SSO session's) are only valid with their token, signed.
    signer = Signer("AKIDEXAMPLE", "secret", "eu-west-1", token="FwoGZXIvYXdzEXAMPLE")
    when = datetime.datetime(2026, 12, 7, 12, 0, tzinfo=datetime.UTC)
    headers = signer.headers("b.s3.eu-west-1.amazonaws.com", "/k", {}, when)
    assert headers["x-amz-security-token"] == "FwoGZXIvYXdzEXAMPLE"
    authorization = headers["authorization"]
    assert "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token," in authorization
    assert "/20261207/eu-west-1/s3/aws4_request" in authorization


def test_virtual_hosted_and_path_style_locations() -> None:
    aws = Endpoint("https", "s3.eu-west-1.amazonaws.com", path_style=False)
    assert aws.locate("news", "a b/ü+%.txt") == ("news.s3.eu-west-1.amazonaws.com", "/a%20b/%C3%BC%2B%25.txt")
    for bucket in ("my.dotted.bucket", "Upper", "under_score"):  # no TLS host for them: botocore reads
        assert aws.locate(bucket, "k") is None
    local = Endpoint("http", "127.0.0.1:8333", path_style=True)
    assert local.locate("news", "a/b.txt") == ("127.0.0.1:8333", "/news/a/b.txt")


def put(bucket: str, key: str, data: bytes) -> str:
    """Store `data` at `key`; its ETag without quotes."""
    return str(s3_client().put_object(Bucket=bucket, Key=key, Body=data)["ETag"]).strip('"')


AWKWARD_KEYS = ["plain.md", "with space/and+plus.txt", "ünïcödé/日本語.html", "percent%20and~tilde.txt"]


@pytest.mark.parametrize("key", AWKWARD_KEYS)
def test_signed_get_reads_what_botocore_reads(bucket: str, key: str) -> None:
    data = (SEEDS / sorted(p.name for p in SEEDS.iterdir())[0]).read_bytes()
    etag = put(bucket, key, data)
    reader = s3_signed_reader()
    assert reader is not None
    assert reader[1].path_style  # the test server's custom endpoint
    assert signed_get(*reader, bucket, key, etag, max_bytes=1 << 20) == data
    # Larger than the limit: max_bytes + 1 bytes come back (the caller refuses them), and the next read
    # on this thread (a new connection) is whole.
    assert signed_get(*reader, bucket, key, etag, max_bytes=10) == data[:11]
    assert signed_get(*reader, bucket, key, etag, max_bytes=1 << 20) == data


def test_changed_object_missing_object_and_bad_credentials(
    bucket: str, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    etag = put(bucket, "doc.txt", b"first version\n")
    put(bucket, "doc.txt", b"second version\n")
    reader = s3_signed_reader()
    assert reader is not None
    with pytest.raises(ObjectChanged, match="changed while the run was reading it"):
        signed_get(*reader, bucket, "doc.txt", etag, max_bytes=1000)
    assert signed_get(*reader, bucket, "gone.txt", etag, max_bytes=1000) is None  # 404: botocore's code
    wrong = Signer(s3_server.access_key, "not-the-secret", s3_server.region)
    assert signed_get(wrong, reader[1], bucket, "doc.txt", etag, max_bytes=1000) is None  # 403
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # a proxy this client would not use
    assert signed_get(*reader, bucket, "doc.txt", etag, max_bytes=1000) is None


def test_read_store_seed_through_the_signed_get_and_botocore(bucket: str) -> None:
    etag = put(bucket, "seeds/a.txt", b"an article\n")
    root, stat_key = f"s3://{bucket}/seeds", f"11:etag {etag}"
    assert read_store_seed(root, "a.txt", stat_key, 1000) == b"an article\n"
    with pytest.raises(OSError, match="file too large"):
        read_store_seed(root, "a.txt", stat_key, 5)
    StorePath.parse(f"{root}/a.txt").delete()
    with pytest.raises(OSError, match=r"^NoSuchKey"):  # botocore's answer, as before the signed GETs
        read_store_seed(root, "a.txt", stat_key, 1000)
