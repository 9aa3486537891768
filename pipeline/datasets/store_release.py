"""Releases on an object store: the guarantees of versions.py without a lock, links or rename.

Layout under the release root (`s3://bucket/prefix/curated`):

    v0001/documents/part-00000.parquet  …  v0001/README.md  v0001/manifest.json (put last)
    .claims/v0001.json                   the create-only claim of a version number
    LATEST                               one line, the newest published version

A publish stages the version in a local folder exactly as on disk (versions.stage_version), then:

1. **claim** the next number with a create-only put (`If-None-Match: *`) of `.claims/vNNNN.json`; a
   writer refused (another claimed it) tries the next number, so two writers never share a number and
   never write into each other's version;
2. **upload** every file under `vNNNN/` (parts the latest version holds are copied inside the store);
3. **commit** with a create-only put of `vNNNN/manifest.json`: a version exists for readers exactly when
   its manifest does, and the manifest is written once (a second put is refused);
4. move **`LATEST`** with a compare-and-swap (`If-Match` on the ETag read; create-only when absent),
   and only forward: a writer that finds a newer version named leaves it.

A writer killed before 3 leaves a claim and files under a prefix without a manifest, which no reader
trusts (`list_versions` and `read_latest` require the manifest) and no later writer reuses or
overwrites; killed between 3 and 4 it leaves a complete version `LATEST` does not name, as on disk.

Each publish first sweeps such leftovers (`sweep_abandoned`): a claim without a manifest whose writer is
gone, that is a process of this machine that no longer runs, or any writer after `ABANDONED_AFTER`
(24 h, far past any publish), is marked swept (a compare-and-swap on the claim, so one sweeper acts) and
the files under its prefix are deleted. The claim stays, so its number is never claimed again. A writer
checks its claim is still its own just before it commits and gives up if it was swept; a writer paused
for longer than the grace period exactly between that check and its manifest is the one case the sweep
could delete under, which is why the grace is a day, not minutes.

A store that ignores these conditions would break the promise: AWS S3 honours both (create-only puts
since 2024-08, `If-Match` since 2024-11); the SeaweedFS server of the tests refuses a conflicting one of
each with PreconditionFailed (tests/objectstore/test_conditional_writes.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow.fs as pafs

from pipeline.datasets.files import pid_alive
from pipeline.datasets.objectstore import PreconditionFailed, StorePath
from pipeline.datasets.schema import TableSchema
from pipeline.datasets.versions import (
    LATEST,
    MANIFEST,
    STAGING_PREFIX,
    VERSION_NAME,
    Attach,
    Release,
    ReleasePart,
    StagedVersion,
    StageHook,
    read_manifest,
    stage_version,
    version_name,
    write_staged_manifest,
)

CLAIMS = ".claims"
# The points of a publish on an object store at which `on_stage` is called; "chunk" and "upload" (after
# each file is stored) repeat. It ends after "latest", or after "unchanged" or "blocked".
STORE_STAGES = (
    "staging",
    "chunk",
    "parts",
    "claimed",
    "manifest",
    "staged",
    "upload",
    "uploaded",
    "committed",
    "latest",
    "unchanged",
    "blocked",
)
UPLOAD_THREADS = 8
# A claim without a manifest is abandoned this long after it was made, whoever made it (see above).
ABANDONED_AFTER = dt.timedelta(hours=24)


class ClaimLost(Exception):
    """A writer's claim was swept as abandoned before it committed: it must not commit."""


def _number(name: str) -> int:
    """7 for `v0007`."""
    return int(name[1:])


def list_versions(root: StorePath) -> list[str]:
    """The committed versions under `root` (those whose manifest exists), oldest first."""
    names = [
        info.base_name
        for info in root.listing()
        if info.type == pafs.FileType.Directory and VERSION_NAME.match(info.base_name)
    ]
    if not names:
        return []
    infos = root.filesystem.get_file_info([(root / name / MANIFEST).fs_path for name in names])
    committed = [name for name, info in zip(names, infos, strict=True) if info.type == pafs.FileType.File]
    return sorted(committed, key=_number)


def read_latest(root: StorePath) -> str | None:
    """The version `LATEST` names (only ever a committed one), or None before the first release."""
    try:
        name = (root / LATEST).read_text().strip()
    except FileNotFoundError:
        return None
    return name if VERSION_NAME.match(name) and (root / name / MANIFEST).is_file() else None


def _claimed_numbers(root: StorePath) -> list[int]:
    """Every version number claimed or committed under `root`."""
    claims = [i.base_name.removesuffix(".json") for i in (root / CLAIMS).listing()]
    folders = [i.base_name for i in root.listing() if i.type == pafs.FileType.Directory]
    return [_number(name) for name in (*claims, *folders) if VERSION_NAME.match(name)]


def claim_version(root: StorePath, token: str) -> str:
    """Claim the next free version number with a create-only put; the version name."""
    number = max(_claimed_numbers(root), default=0) + 1
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    while True:
        name = version_name(number)
        claim = {"version": name, "writer": token, "claimed": stamp}
        try:
            (root / CLAIMS / f"{name}.json").put_if_absent(json.dumps(claim).encode())
        except PreconditionFailed:
            number += 1
            continue
        return name


def _claim_body(data: bytes) -> dict[str, Any]:
    """A claim's JSON ({} when it is not an object)."""
    try:
        body = json.loads(data)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _writer_gone(body: Mapping[str, Any], age: dt.timedelta, older_than: dt.timedelta, host: str) -> bool:
    """Whether a claim's writer is gone: a process of `host` that no longer runs, or any writer once the
    claim is `older_than` (another machine's processes cannot be seen from here)."""
    writer_host, _, rest = str(body.get("writer", "")).partition(":")
    pid = rest.partition(":")[0]
    if writer_host == host and pid.isdigit():
        return not pid_alive(int(pid))
    return age >= older_than


def sweep_abandoned(
    root: StorePath,
    *,
    older_than: dt.timedelta = ABANDONED_AFTER,
    host: str | None = None,
    now: dt.datetime | None = None,
) -> list[str]:
    """Delete the files of the versions claimed under `root` whose writer is gone without committing
    them, marking their claims swept (kept: the numbers stay taken); the versions swept.

    `host` is the machine whose processes can be checked (this one by default); `now` the time claims'
    ages are measured at (the store's clock is what dates them)."""
    host = socket.gethostname() if host is None else host
    now = dt.datetime.now(dt.UTC) if now is None else now
    claims = [
        info
        for info in (root / CLAIMS).listing()
        if info.type == pafs.FileType.File and VERSION_NAME.match(info.base_name.removesuffix(".json"))
    ]
    if not claims:
        return []
    committed = set(list_versions(root))
    swept = []
    for info in claims:
        version = info.base_name.removesuffix(".json")
        if version in committed:
            continue
        claim = root / CLAIMS / info.base_name
        found = claim.get_with_etag()
        if found is None:
            continue
        body = _claim_body(found[0])
        age = now - dt.datetime.fromtimestamp((info.mtime_ns or 0) / 1e9, dt.UTC)
        if body.get("swept") or not _writer_gone(body, age, older_than, host):
            continue
        stamp = now.isoformat(timespec="seconds")
        try:  # one sweeper marks it; a writer that checks its claim from now on gives up
            claim.put_if_match(json.dumps({**body, "swept": stamp}).encode(), found[1])
        except PreconditionFailed:
            continue
        if (root / version / MANIFEST).is_file():  # its writer committed just before the mark: whole
            continue
        root.filesystem.delete_dir_contents((root / version).fs_path, missing_dir_ok=True)
        swept.append(version)
    return swept


def _check_claim(root: StorePath, version: str, token: str) -> None:
    """ClaimLost unless `version`'s claim is still this writer's and not swept."""
    found = (root / CLAIMS / f"{version}.json").get_with_etag()
    body = _claim_body(found[0]) if found is not None else {}
    if body.get("writer") != token or body.get("swept"):
        raise ClaimLost(
            f"{root / version}: the claim was swept as abandoned while this writer ran (longer than "
            f"{ABANDONED_AFTER}); nothing was committed, the next run publishes"
        )


def move_latest(root: StorePath, version: str) -> None:
    """Point `LATEST` at `version` by compare-and-swap, unless it already names a newer one."""
    target = root / LATEST
    data = (version + "\n").encode()
    while True:
        current = target.get_with_etag()
        try:
            if current is None:
                target.put_if_absent(data)
            else:
                named = current[0].decode("utf-8", "replace").strip()
                if VERSION_NAME.match(named) and _number(named) >= _number(version):
                    return
                target.put_if_match(data, current[1])
        except PreconditionFailed:
            continue  # another writer moved it in between: read it again
        return


def _staging_base() -> Path:
    """The local folder of this machine's staging folders (stale ones of dead writers are removed)."""
    base = Path(os.environ.get("WEBCURATE_STAGING_DIR") or tempfile.gettempdir()) / "webcurate-staging"
    base.mkdir(parents=True, exist_ok=True)
    for folder in base.glob(f"{STAGING_PREFIX}*"):
        pid = folder.name.removeprefix(STAGING_PREFIX).split("-")[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
    return base


def _upload(staged: StagedVersion, target: StorePath, on_stage: StageHook) -> None:
    """Store every staged file but the manifest under `target`, copies inside the store; in parallel."""
    local = [
        path
        for path in sorted(staged.staging.rglob("*"))
        if path.is_file() and path.relative_to(staged.staging).as_posix() != MANIFEST
    ]

    def store(item: Path | tuple[str, StorePath]) -> None:
        """Upload one local file, or copy one stored file."""
        if isinstance(item, Path):
            (target / item.relative_to(staged.staging).as_posix()).upload(item)
        else:
            (target / item[0]).copy_from(item[1])

    work: list[Path | tuple[str, StorePath]] = [*local, *staged.copies.items()]
    with ThreadPoolExecutor(max_workers=UPLOAD_THREADS, thread_name_prefix="upload") as pool:
        for _ in pool.map(store, work):
            on_stage("upload")


def publish_stored(
    root: StorePath,
    parts: Iterable[ReleasePart],
    schemas: Mapping[str, TableSchema],
    manifest: Callable[[], Mapping[str, Any]],
    render_card: Callable[[dict[str, Any]], str],
    *,
    on_stage: StageHook,
    attach: Attach | None = None,
) -> Release:
    """Stage locally, then claim, upload, commit and point `LATEST` at the next version (see above)."""
    root._require_conditional()
    token = f"{socket.gethostname()}:{os.getpid()}:{os.urandom(6).hex()}"
    staging = _staging_base() / f"{STAGING_PREFIX}{os.getpid()}-{os.urandom(4).hex()}"
    staging.mkdir()
    on_stage("staging")
    try:
        staged = stage_version(root, staging, parts, schemas, on_stage)
        if isinstance(staged, Release):
            return staged
        newer = read_latest(root)  # another writer may have published this very content meanwhile
        if (
            newer is not None
            and newer != staged.latest
            and read_manifest(root, newer).get("content_hash") == staged.digest
        ):
            on_stage("unchanged")
            message = f"content equals {newer}; nothing new"
            return Release(newer, root / newer, False, staged.digest, staged.rows, message)
        # Hygiene, not the publish: a sweep that fails (a bucket policy without deletes) stops nothing.
        with contextlib.suppress(Exception):
            sweep_abandoned(root)
        version = claim_version(root, token)
        on_stage("claimed")
        full = write_staged_manifest(staged, version, schemas, manifest, render_card, on_stage, attach)
        target = root / version
        _upload(staged, target, on_stage)
        on_stage("uploaded")
        body = json.dumps(full, indent=2, ensure_ascii=False) + "\n"
        _check_claim(root, version, token)
        try:
            (target / MANIFEST).put_if_absent(body.encode("utf-8"))
        except PreconditionFailed as exc:  # only if the store ignored the claim
            raise FileExistsError(f"{target} has a manifest; refusing to overwrite a version") from exc
        on_stage("committed")
        move_latest(root, version)
        on_stage("latest")
        return Release(version, target, True, staged.digest, staged.rows, f"published {version}")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
