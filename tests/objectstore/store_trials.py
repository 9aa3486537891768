"""Crash and race trials of the release writer on an S3 server, shared by tests/objectstore/ and
bench/stress.py: the local trials' writers, contents and kill hooks (tests/reliability/release_trials.py),
with checks that read the bucket.

What a reader may see is a committed version (its manifest exists) and `LATEST`; a killed writer's claim
and uploads under a prefix without a manifest are invisible to both, and checked to be.
"""

from __future__ import annotations

import hashlib
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from pipeline.datasets.objectstore import StorePath
from pipeline.datasets.store_release import CLAIMS
from pipeline.datasets.versions import (
    LATEST,
    MANIFEST,
    VERSION_NAME,
    ReleaseBlocked,
    list_versions,
    read_latest,
    read_manifest,
)
from tests.reliability import release_trials as local
from tests.reliability.release_trials import (
    SCHEMAS,
    WRITER_TIMEOUT_S,
    Child,
    Contents,
    expected_hash,
    killer,
    make_tables,
    publish_tables,
    release_outcome,
)

CHUNKS = local.CHUNKS
# (scenario, stage, nth): every stage of store_release.STORE_STAGES a writer of each scenario reaches.
FAULT_POINTS: tuple[tuple[str, str, int], ...] = (
    ("new", "staging", 1),
    ("new", "chunk", 1),
    ("new", "chunk", CHUNKS),
    ("new", "parts", 1),
    ("new", "claimed", 1),
    ("new", "manifest", 1),
    ("new", "staged", 1),
    ("new", "upload", 1),
    ("new", "upload", 3),
    ("new", "uploaded", 1),
    ("new", "committed", 1),
    ("new", "latest", 1),
    ("same", "chunk", 2),
    ("same", "unchanged", 1),
    ("bad", "chunk", 3),
    ("bad", "blocked", 1),
)
AFTER_STAGE = {"committed": "orphan", "latest": "published"}
STORE_STAGES_KILLED = tuple(dict.fromkeys(stage for _, stage, _ in FAULT_POINTS))


def object_hashes(prefix: StorePath) -> dict[str, str]:
    """sha256 of every object under `prefix`, by relative key."""
    found = {}
    for info in prefix.listing(recursive=True):
        if info.type == pafs.FileType.File:
            relative = info.path[len(prefix.fs_path) + 1 :]
            found[relative] = hashlib.sha256((prefix / relative).read_bytes()).hexdigest()
    return found


def version_hashes(root: StorePath) -> dict[str, dict[str, str]]:
    """object_hashes of every committed version."""
    return {name: object_hashes(root / name) for name in list_versions(root)}


def read_with_every_reader(folder: StorePath, rows: int) -> list[str]:
    """Read a table folder on the store with pyarrow, pandas and Polars (each with its own S3 support)."""
    import pandas as pd
    import polars as pl

    failures = []
    url = str(folder)
    counts: dict[str, Callable[[], int]] = {
        "pyarrow": lambda: ds.dataset(url + "/", format="parquet").count_rows(),
        "pandas": lambda: len(pd.read_parquet(url + "/")),
        "polars": lambda: pl.read_parquet(url + "/*.parquet").height,
    }
    for reader, count in counts.items():
        try:
            seen = count()
        except Exception as exc:
            failures.append(f"{url}: {reader} cannot read it: {type(exc).__name__}: {exc}")
            continue
        if seen != rows:
            failures.append(f"{url}: {reader} reads {seen} rows, the manifest says {rows}")
    return failures


def verify_version(root: StorePath, version: str, *, readers: bool = False, rehash: bool = True) -> list[str]:
    """Failures unless the committed `version` is complete: its manifest names exactly its objects with
    their sha256 and rows, the rows per table add up, and the rows read back hash to its content_hash."""
    folder = root / version
    try:
        manifest = read_manifest(root, version)
    except (OSError, ValueError) as exc:
        return [f"{version}: no readable manifest: {type(exc).__name__}: {exc}"]
    failures = []
    if manifest.get("version") != version:
        failures.append(f"{version}: the manifest names {manifest.get('version')}")
    stored = object_hashes(folder)
    if "README.md" not in stored:
        failures.append(f"{version}: no README.md")
    on_store = set(stored) - {MANIFEST, "README.md"}
    extra = manifest.get("extra_files", {})
    listed = set(manifest.get("files", {})) | set(extra)
    if on_store != listed:
        failures.append(f"{version}: objects {sorted(on_store ^ listed)} are stored or listed, not both")
    rows = dict.fromkeys(manifest.get("rows", {}), 0)
    for relative in sorted(on_store & listed):
        entry = manifest["files"].get(relative) or extra[relative]
        if stored[relative] != entry["sha256"]:
            failures.append(f"{version}/{relative}: sha256 differs from the manifest")
            continue
        if relative in extra:
            continue
        found = pq.ParquetFile((folder / relative).open_input_file()).metadata.num_rows
        if found != entry["rows"]:
            failures.append(f"{version}/{relative}: {found} rows, the manifest says {entry['rows']}")
        table = relative.split("/", 1)[0]
        rows[table] = rows.get(table, 0) + found
    if rows != manifest.get("rows"):
        failures.append(f"{version}: the parts hold {rows} rows, the manifest says {manifest.get('rows')}")
    if failures:
        return failures

    def read(name: str) -> pa.Table:
        """A table of the version, read from the store."""
        return ds.dataset(f"{folder / name}/", format="parquet", schema=SCHEMAS[name].arrow).to_table()

    return local.verify_read_back(
        version, folder, manifest, read, rehash=rehash, readers=readers, every_reader=read_with_every_reader
    )


def check_latest(root: StorePath, *, readers: bool, rehash: bool = True) -> tuple[str | None, list[str]]:
    """The version LATEST names, and failures unless it is one line naming a committed, complete version."""
    try:
        raw = (root / LATEST).read_text()
    except FileNotFoundError:
        return None, []
    latest = raw.strip()
    if raw != latest + "\n" or not VERSION_NAME.match(latest) or not (root / latest / MANIFEST).is_file():
        return None, [f"LATEST is {raw!r}, not one line naming a committed version"]
    return latest, verify_version(root, latest, readers=readers, rehash=rehash)


def _check_latest_retrying(root: StorePath, attempts: int = 3) -> tuple[str | None, list[str]]:
    """check_latest while writers race, a request that fails in transit (the loaded server drops a
    response now and then: an OSError, not a wrong answer) tried again; failures if it keeps failing."""
    for attempt in range(attempts):
        try:
            return check_latest(root, readers=False, rehash=False)
        except OSError as exc:
            if attempt == attempts - 1:
                return None, [f"LATEST could not be read {attempts} times: {exc}"]
            time.sleep(0.2)
    raise AssertionError("unreachable")


def claimed(root: StorePath) -> int:
    """How many version numbers have been claimed under `root`."""
    return len((root / CLAIMS).listing())


@dataclass
class CrashResult:
    """One crash trial on the store: where the writer died, what a reader sees, every failed check."""

    scenario: str
    stage: str
    state: str  # "absent", "orphan" or "published"
    failures: list[str]


def crash_trial(
    root: StorePath, contents: Contents, scenario: str, stage: tuple[str, int], *, readers: bool = True
) -> CrashResult:
    """Publish a base version, kill a writer at `stage`, check what readers see, then publish the new
    content with a fresh writer and check again."""
    failures: list[str] = []
    publish_tables(root, contents.base)  # type: ignore[arg-type]
    before = version_hashes(root)
    latest_before = read_latest(root)
    tables = contents.for_scenario(scenario)

    def work(report: Callable[[str], None]) -> dict[str, Any]:
        try:
            hook = killer(*stage, report)
            return release_outcome(publish_tables(root, tables, n_chunks=CHUNKS, on_stage=hook))  # type: ignore[arg-type]
        except ReleaseBlocked:
            return {"outcome": "refused"}

    report = Child(work).wait()
    where = report.last_stage if report.killed else "completed"
    if not report.killed:
        failures.append(f"the writer was not killed at {stage}: {report.stages} {report.error}")
    after = version_hashes(root)
    for name, hashes in before.items():
        if after.get(name) != hashes:
            failures.append(f"{name} changed: its objects no longer have the same sha256")
    latest, found = check_latest(root, readers=readers)
    failures += found
    new_versions = [name for name in after if name not in before]
    for name in new_versions:
        failures += verify_version(root, name)
    state = "published" if latest in new_versions else "orphan" if new_versions else "absent"
    expected = AFTER_STAGE.get(where, "absent") if scenario == "new" else "absent"
    if state != expected:
        failures.append(f"killed at {where}: the new version is {state}, expected {expected}")
    if state == "absent" and latest != latest_before:
        failures.append(f"killed at {where}: LATEST moved from {latest_before} to {latest}")
    if state != "absent" and read_manifest(root, new_versions[0])["content_hash"] != contents.hashes["new"]:
        failures.append(f"{new_versions[0]} does not hold the new content")

    kept = version_hashes(root)
    try:
        release = publish_tables(root, contents.new, n_chunks=2)  # type: ignore[arg-type]
    except Exception as exc:
        return CrashResult(scenario, where, state, [*failures, f"the next publish failed: {exc!r}"])
    if release.published == (state == "published"):
        failures.append(f"the next publish gave {release.version} (published={release.published})")
    for name, hashes in kept.items():
        if object_hashes(root / name) != hashes:
            failures.append(f"the next publish changed {name}")
    latest, found = check_latest(root, readers=readers)
    failures += found
    if latest != release.version or (latest is not None and latest != list_versions(root)[-1]):
        failures.append(f"after the next publish LATEST is {latest}, it published {release.version}")
    elif read_manifest(root, latest)["content_hash"] != contents.hashes["new"]:
        failures.append(f"{latest} does not hold the new content")
    return CrashResult(scenario, where, state, failures)


def crash_trials(
    new_root: Callable[[], StorePath], *, repeats: int, n_docs: int, readers: bool = True
) -> Iterator[CrashResult]:
    """Every fault point `repeats` times, each in a fresh root."""
    contents = Contents.build(n_docs)
    for _ in range(repeats):
        for scenario, stage, nth in FAULT_POINTS:
            yield crash_trial(new_root(), contents, scenario, (stage, nth), readers=readers)


@dataclass
class RaceResult:
    """One race of writers on the store: their outcomes, how often LATEST was read, failed checks."""

    outcomes: list[str]
    latest_reads: int
    failures: list[str]


def race_trial(
    root: StorePath, pool: list[dict[str, Any]], hashes: list[str], choices: list[int], *, readers: bool
) -> RaceResult:
    """Start one writer per entry of `choices` at once, check LATEST while they race, then every outcome
    and committed version: distinct numbers, complete versions, LATEST on the newest."""
    failures: list[str] = []
    go_read, go_write = os.pipe()

    def work_for(choice: int) -> Callable[[Callable[[str], None]], dict[str, Any]]:
        def work(report: Callable[[str], None]) -> dict[str, Any]:
            return release_outcome(publish_tables(root, pool[choice], n_chunks=3))  # type: ignore[arg-type]

        return work

    children = [Child(work_for(choice), go=go_read) for choice in choices]
    os.close(go_read)
    os.write(go_write, b"g" * len(children))
    os.close(go_write)
    reads = 0
    deadline = time.monotonic() + WRITER_TIMEOUT_S
    while not all(child.poll() for child in children) and time.monotonic() < deadline:
        latest, found = _check_latest_retrying(root)
        if latest is not None:
            reads += 1
            failures += [f"while racing: {f}" for f in found]
        time.sleep(0.05)
    reports = [child.wait() for child in children]
    outcomes, published = [], {}
    for choice, report in zip(choices, reports, strict=True):
        result = report.result or {}
        outcomes.append(result.get("outcome", "failed"))
        if report.hung or report.exit_code != 0 or report.error or not result:
            failures.append(f"a writer failed: {report.error} (exit {report.exit_code})")
            continue
        if result["content_hash"] != hashes[choice]:
            failures.append(f"writer of content {choice} reports another content hash")
        if result["outcome"] == "published":
            if result["version"] in published:
                failures.append(f"{result['version']} was published twice")
            published[result["version"]] = choice
        elif read_manifest(root, result["version"])["content_hash"] != hashes[choice]:
            failures.append(f"writer of content {choice} found {result['version']} equal, but it is not")
    names = list_versions(root)
    if sorted(published) != [n for n in names if n in published] or not set(published) <= set(names):
        failures.append(f"committed versions {names}, published {sorted(published)}")
    for name in names:
        failures += verify_version(root, name)
        if name in published and read_manifest(root, name)["content_hash"] != hashes[published[name]]:
            failures.append(f"{name} does not hold the content its writer published")
    latest, found = check_latest(root, readers=readers)
    failures += found
    if names and latest != names[-1]:
        failures.append(f"LATEST is {latest}, the newest committed version is {names[-1]}")
    return RaceResult(outcomes, reads, failures)


def race_trials(
    root: StorePath, *, writers: int, races: int, n_docs: int, seed: int = 11, readers: bool = False
) -> Iterator[RaceResult]:
    """`races` races of `writers` writers in one root, contents drawn from a small pool (some equal)."""
    rng = random.Random(seed * 1000 + writers)
    pool = [make_tables(10 + k, n_docs + k) for k in range(3)]
    hashes = [expected_hash(tables) for tables in pool]
    for trial in range(races):
        choices = [rng.randrange(len(pool)) for _ in range(writers)]
        if trial % 4 == 0:
            choices = [choices[0]] * writers  # equal contents meeting
        yield race_trial(root, pool, hashes, choices, readers=readers and trial == races - 1)
