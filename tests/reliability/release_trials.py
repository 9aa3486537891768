"""Crash and concurrency trials of the release writer, shared by tests/reliability/ and bench/stress.py.

Writers run in processes forked from this one (pyarrow already imported, so a writer starts in
milliseconds, and the tables to publish are built here before the fork). A writer reports every stage
it reaches (versions.STAGES, through `on_stage`) down a pipe, so a kill is attributed to the last stage
the writer passed. Every check returns a list of failure messages instead of raising, so that the
stress bench can count failures and the tests can print them.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import select
import signal
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from pipeline.datasets import versions
from pipeline.datasets.release import RELEASE_TABLES
from pipeline.datasets.review import write_review
from pipeline.datasets.schema import TableSchema, load_schema
from pipeline.datasets.versions import (
    LATEST,
    MANIFEST,
    STAGING_PREFIX,
    VERSION_NAME,
    ReleaseBlocked,
    content_hash,
    list_versions,
    publish_stream,
    read_latest,
    read_manifest,
)
from tests.conftest import REPO

TABLES = RELEASE_TABLES
# Small parts and row groups in the forked writers, so that one publish writes several part files and
# a kill can land between parts and in the middle of one.
CHILD_ROWS_PER_PART = 400
CHILD_ROWS_PER_GROUP = 100
WRITER_TIMEOUT_S = 120.0  # a writer publishes in well under a second; after this it is called hung
WORDS = ["alpha", "beta", "gamma", "delta", "river", "stone", "cloud", "paper", "lamp", "orbit", "violet"]


def release_schemas() -> dict[str, TableSchema]:
    """The schemas of the three release tables, from the repository's schemas/."""
    return {name: load_schema(REPO / "schemas", name) for name in TABLES}


SCHEMAS = release_schemas()


def make_tables(seed: int, n_docs: int, *, bad: bool = False) -> dict[str, pa.Table]:
    """Valid release tables whose rows depend on `seed` (a schema violation in the last row if `bad`)."""
    rng = random.Random(seed)
    documents: list[dict[str, Any]] = []
    sections: list[dict[str, Any]] = []
    removed: list[dict[str, Any]] = []
    for i in range(n_docs):
        doc_id = f"{seed:08x}{i:08x}"
        heading = f"Part {i}"
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 40))) + "."
        text = f"{heading}\n{body}"
        documents.append(
            {
                "doc_id": doc_id,
                "source_path": f"seed{seed}/{i:06d}.txt",
                "sha256": hashlib.sha256(text.encode()).hexdigest(),
                "size_bytes": len(text.encode()),
                "format": "text",
                "encoding": "utf-8",
                "repairs": [],
                "title": heading,
                "tags": [WORDS[i % len(WORDS)]],
                "extra": [("seed", str(seed))],
                "links": [],
                "text": "   " if bad and i == n_docs - 1 else text,
                "n_chars": len(text),
                "n_words": len(text.split()),
                "n_sections": 2,
                "n_removed": 1,
                "removed_chars": 10,
                "language": "en",
                "language_score": 0.9,
                "languages": [{"language": "en", "share": 1.0}],
                "needs_translation": False,
            }
        )
        for index, (start, end) in enumerate(((0, len(heading)), (len(heading) + 1, len(text)))):
            part = text[start:end]
            sections.append(
                {
                    "doc_id": doc_id,
                    "section_index": index,
                    "heading": heading if index else None,
                    "level": index,
                    "parent_index": 0 if index else None,
                    "text": part,
                    "char_start": start,
                    "char_end": end,
                    "n_chars": len(part),
                    "n_words": len(part.split()),
                    "language": "en",
                    "language_score": 0.9,
                    "needs_translation": False,
                }
            )
        removed.append(
            {
                "doc_id": doc_id,
                "rule": "newsletter_box",
                "rule_group": "newsletter",
                "text": "Subscribe!",
                "char_start": 0,
                "char_end": 10,
                "line_start": 1,
                "line_end": 1,
            }
        )
    redactions = [
        {"doc_id": d["doc_id"], "type": "email", "char_start": 0, "char_end": 7} for d in documents[::5]
    ]
    rows = {"documents": documents, "sections": sections, "removed": removed, "redactions": redactions}
    return {name: pa.Table.from_pylist(rows[name], schema=SCHEMAS[name].arrow) for name in TABLES}


def chunks_of(tables: Mapping[str, pa.Table], n_chunks: int) -> list[dict[str, pa.Table]]:
    """The tables cut into `n_chunks` chunks of about equal rows, as the pipeline streams them."""
    out = []
    for k in range(n_chunks):
        chunk = {}
        for name, table in tables.items():
            size = -(-table.num_rows // n_chunks)
            chunk[name] = table.slice(k * size, size)
        out.append(chunk)
    return out


def expected_hash(tables: Mapping[str, pa.Table]) -> str:
    """The content hash a publish of `tables` must record."""
    return content_hash({name: tables[name].cast(SCHEMAS[name].arrow) for name in TABLES})


def publish_tables(
    root: Path,
    tables: Mapping[str, pa.Table],
    *,
    n_chunks: int = 1,
    on_stage: Callable[[str], None] | None = None,
) -> versions.Release:
    """Publish `tables` streamed in `n_chunks` chunks, with a small manifest and card."""
    return publish_stream(
        root,
        iter(chunks_of(tables, n_chunks)),
        SCHEMAS,
        lambda: {"input": {"files": tables["documents"].num_rows}},
        lambda manifest: f"# {manifest['version']}\n",
        on_stage=on_stage or (lambda name: None),
        attach=write_review,  # the review page, as every pipeline version has one
    )


# ---------------------------------------------------------------------------------------------------
# Checks


def tree_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder`, by relative path."""
    return {
        p.relative_to(folder).as_posix(): versions.file_sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def version_hashes(root: Path) -> dict[str, dict[str, str]]:
    """tree_hashes of every version folder under `root`."""
    return {name: tree_hashes(root / name) for name in list_versions(root)}


def leftovers(root: Path) -> list[str]:
    """Staging folders and LATEST temporary files under `root`."""
    return sorted(
        p.name
        for p in root.iterdir()
        if p.name.startswith(STAGING_PREFIX) or p.name.startswith(f".{LATEST}.")
    )


def read_with_every_reader(folder: Path, rows: int) -> list[str]:
    """Read a table folder with pyarrow, pandas, DuckDB and Polars; failures unless all see `rows` rows."""
    import duckdb
    import pandas as pd
    import polars as pl

    failures = []
    glob = f"{folder}/*.parquet"
    counts: dict[str, Callable[[], int]] = {
        "pyarrow": lambda: ds.dataset(folder, format="parquet").count_rows(),
        "pandas": lambda: len(pd.read_parquet(folder)),
        "duckdb": lambda: int(
            duckdb.execute(f"SELECT count(*) FROM read_parquet('{glob}')").fetchall()[0][0]
        ),
        "polars": lambda: pl.read_parquet(glob).height,
    }
    for reader, count in counts.items():
        try:
            seen = count()
        except Exception as exc:  # a reader that cannot read the folder is exactly what we look for
            failures.append(f"{folder}: {reader} cannot read it: {type(exc).__name__}: {exc}")
            continue
        if seen != rows:
            failures.append(f"{folder}: {reader} reads {seen} rows, the manifest says {rows}")
    return failures


def verify_version(root: Path, version: str, *, readers: bool = False, rehash: bool = True) -> list[str]:
    """Failures unless `version` is complete: its manifest names exactly its Parquet files, with their
    sha256 and row counts, and its other files (`extra_files`: the review page) with their sha256, the
    rows per table, and (`rehash`) the content hash of the rows read back."""
    folder = root / version
    try:
        manifest = read_manifest(root, version)
    except (OSError, ValueError) as exc:
        return [f"{version}: no readable manifest: {type(exc).__name__}: {exc}"]
    failures = []
    if manifest.get("version") != version:
        failures.append(f"{version}: the manifest names {manifest.get('version')}")
    if not (folder / "README.md").is_file():
        failures.append(f"{version}: no README.md")
    on_disk = {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name not in (MANIFEST, "README.md")
    }
    extra = manifest.get("extra_files", {})
    listed = set(manifest.get("files", {})) | set(extra)
    if on_disk != listed:
        failures.append(
            f"{version}: files {sorted(on_disk ^ listed)} are on disk or in the manifest, not both"
        )
    for relative in sorted(on_disk & set(extra)):
        if versions.file_sha256(folder / relative) != extra[relative]["sha256"]:
            failures.append(f"{version}/{relative}: sha256 differs from the manifest")
    rows = dict.fromkeys(manifest.get("rows", {}), 0)
    for relative in sorted(on_disk & listed - set(extra)):
        entry = manifest["files"][relative]
        path = folder / relative
        if versions.file_sha256(path) != entry["sha256"]:
            failures.append(f"{version}/{relative}: sha256 differs from the manifest")
            continue
        try:
            found = pq.read_metadata(path).num_rows
        except Exception as exc:  # an unreadable Parquet footer
            failures.append(f"{version}/{relative}: unreadable: {exc}")
            continue
        if found != entry["rows"]:
            failures.append(f"{version}/{relative}: {found} rows, the manifest says {entry['rows']}")
        table = relative.split("/", 1)[0]
        rows[table] = rows.get(table, 0) + found
    if rows != manifest.get("rows"):
        failures.append(f"{version}: the parts hold {rows} rows, the manifest says {manifest.get('rows')}")
    if failures:
        return failures

    def read(name: str) -> pa.Table:
        """A table of the version, read from its folder."""
        return pq.read_table(folder / name, schema=SCHEMAS[name].arrow)

    return verify_read_back(version, folder, manifest, read, rehash=rehash, readers=readers)


def verify_read_back(
    version: str,
    folder: Any,
    manifest: dict[str, Any],
    read: Callable[[str], pa.Table],
    *,
    rehash: bool,
    readers: bool,
    every_reader: Callable[[Any, int], list[str]] | None = None,
) -> list[str]:
    """Failures of a version's rows read back (`read` gives a table by name; the folder is local or on a
    store): their content hash against the manifest's (`rehash`), and the row counts `every_reader`
    (read_with_every_reader by default) finds."""
    failures: list[str] = []
    if rehash and content_hash({name: read(name) for name in manifest["rows"]}) != manifest["content_hash"]:
        failures.append(f"{version}: the rows read back do not hash to the manifest's content_hash")
    if readers:
        for name, count in manifest["rows"].items():
            failures += (every_reader or read_with_every_reader)(folder / name, count)
    return failures


def check_latest(root: Path, *, readers: bool, rehash: bool = True) -> tuple[str | None, list[str]]:
    """The version LATEST names, and failures unless it is one line naming a complete version."""
    try:
        raw = (root / LATEST).read_text(encoding="utf-8")  # read once: writers may replace it meanwhile
    except FileNotFoundError:
        return None, []
    latest = raw.strip()
    if raw != latest + "\n" or not VERSION_NAME.match(latest) or not (root / latest).is_dir():
        return None, [f"LATEST is {raw!r}, not one line naming a version folder"]
    return latest, verify_version(root, latest, readers=readers, rehash=rehash)


# ---------------------------------------------------------------------------------------------------
# Forked writers


@dataclass
class ChildReport:
    """What a forked writer did: the stages it reported, its result or error, how it ended."""

    pid: int
    stages: list[str]
    result: dict[str, Any] | None
    error: str | None
    killed: bool
    exit_code: int | None
    seconds: float
    stage_seconds: list[float] = field(default_factory=list)  # when each stage was reached, from the fork
    hung: bool = False  # still running after the time limit of wait(), so killed by it

    @property
    def last_stage(self) -> str:
        """The last stage the writer reported ("start" when none)."""
        return self.stages[-1] if self.stages else "start"


class Child:
    """A writer process forked from this one, reporting down a pipe."""

    def __init__(
        self, work: Callable[[Callable[[str], None]], dict[str, Any]], *, go: int | None = None
    ) -> None:
        read_end, write_end = os.pipe()
        self.started = time.perf_counter()
        pid = os.fork()
        if pid == 0:  # the writer
            os.close(read_end)
            _child_main(work, write_end, go)
        os.close(write_end)
        self.pid, self.read_end = pid, read_end
        self.status: int | None = None
        self._data = b""  # reports read by wait_for_stage

    def poll(self) -> bool:
        """Whether the writer has ended (reaping it)."""
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
        return self.status is not None

    def kill(self) -> None:
        """SIGKILL the writer (harmless if it already ended: it is not reaped until wait/poll)."""
        if self.status is None:
            os.kill(self.pid, signal.SIGKILL)

    def wait_for_stage(self, name: str, timeout: float = WRITER_TIMEOUT_S) -> bool:
        """Read the writer's reports as they come until it reaches stage `name`; False if it ended first."""
        marker = f"stage {name} ".encode()
        deadline = time.monotonic() + timeout
        while marker not in self._data:
            ready, _, _ = select.select([self.read_end], [], [], max(0.0, deadline - time.monotonic()))
            block = os.read(self.read_end, 1 << 16) if ready else b""
            if not block:
                return False
            self._data += block
        return True

    def wait(self, timeout: float = WRITER_TIMEOUT_S) -> ChildReport:
        """Wait for the writer to end (SIGKILLing it after `timeout` seconds) and collect its report."""
        data, hung = self._data, False
        deadline = time.monotonic() + timeout
        while True:
            ready, _, _ = select.select([self.read_end], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:  # a writer that hangs (a deadlock after fork, say) must not hang the tests
                hung = True
                self.kill()
                deadline = time.monotonic() + timeout
                continue
            block = os.read(self.read_end, 1 << 16)
            if not block:
                break
            data += block
        os.close(self.read_end)
        if self.status is None:
            self.status = os.waitpid(self.pid, 0)[1]
        seconds = time.perf_counter() - self.started
        stages, stage_seconds, result, error = [], [], None, None
        for line in data.decode().splitlines():
            kind, _, rest = line.partition(" ")
            if kind == "stage":
                name, _, when = rest.partition(" ")
                stages.append(name)
                stage_seconds.append(float(when) - self.started)
            elif kind == "result":
                result = json.loads(rest)
            elif kind == "error":
                error = rest
        killed = os.WIFSIGNALED(self.status) and os.WTERMSIG(self.status) == signal.SIGKILL
        code = os.WEXITSTATUS(self.status) if os.WIFEXITED(self.status) else None
        killed = killed and not hung
        return ChildReport(self.pid, stages, result, error, killed, code, seconds, stage_seconds, hung)


def _child_main(
    work: Callable[[Callable[[str], None]], dict[str, Any]], report: int, go: int | None
) -> NoReturn:
    """Run `work` in the forked writer, report down `report`, and leave without any cleanup handlers."""
    code = 0
    try:
        versions.ROWS_PER_PART = CHILD_ROWS_PER_PART
        versions.ROWS_PER_GROUP = CHILD_ROWS_PER_GROUP
        if go is not None:
            os.read(go, 1)  # wait for the start signal, so that concurrent writers really race

        def on_stage(name: str) -> None:
            os.write(report, f"stage {name} {time.perf_counter()}\n".encode())  # the parent's clock too

        result = work(on_stage)
        os.write(report, f"result {json.dumps(result)}\n".encode())
    except BaseException as exc:
        os.write(report, f"error {type(exc).__name__}: {exc}\n".encode()[:4000])
        code = 1
    finally:
        os._exit(code)


def killer(stage: str, nth: int, report: Callable[[str], None]) -> Callable[[str], None]:
    """An on_stage hook that reports each stage and SIGKILLs its own process at the `nth` `stage`."""
    seen = 0

    def on_stage(name: str) -> None:
        nonlocal seen
        report(name)
        if name == stage:
            seen += 1
            if seen == nth:
                os.kill(os.getpid(), signal.SIGKILL)

    return on_stage


def release_outcome(release: versions.Release) -> dict[str, Any]:
    """A writer's result as JSON."""
    return {
        "outcome": "published" if release.published else "unchanged",
        "version": release.version,
        "content_hash": release.content_hash,
    }


# ---------------------------------------------------------------------------------------------------
# Crash trials: one writer killed at a stage (or at a random time), then checks and the next publish


SCENARIOS = ("new", "same", "bad")  # what the killed writer publishes: new content, LATEST's, a violation
# The fixed fault points: (scenario, stage, nth occurrence). Three leftovers are planted before each
# trial, so "cleanup" happens three times; the new content comes in CHUNKS chunks.
CHUNKS = 6
FAULT_POINTS: tuple[tuple[str, str, int], ...] = (
    ("new", "locked", 1),
    ("new", "cleanup", 1),
    ("new", "cleanup", 2),
    ("new", "cleanup", 3),
    ("new", "staging", 1),
    ("new", "chunk", 1),
    ("new", "chunk", 3),
    ("new", "chunk", CHUNKS),
    ("new", "parts", 1),
    ("new", "manifest", 1),
    ("new", "staged", 1),
    ("new", "renamed", 1),
    ("new", "latest_tmp", 1),
    ("new", "latest", 1),
    ("same", "chunk", 2),
    ("same", "unchanged", 1),
    ("bad", "chunk", 2),
    ("bad", "blocked", 1),
)
# The state a kill right after each stage leaves: the new version absent, complete but not LATEST
# ("orphan"), or LATEST.
AFTER_STAGE = {"renamed": "orphan", "latest_tmp": "orphan", "latest": "published"}
STAGE_ORDER = ("start", "locked", "cleanup", "staging", "chunk", "parts", "manifest", "staged", *AFTER_STAGE)


@dataclass
class Contents:
    """The tables the crash trials publish: the base version, the new content, a violating one."""

    base: dict[str, pa.Table]
    new: dict[str, pa.Table]
    bad: dict[str, pa.Table]
    hashes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, n_docs: int) -> Contents:
        """Contents of about `n_docs` documents each."""
        made = cls(make_tables(0, n_docs // 4), make_tables(1, n_docs), make_tables(2, n_docs, bad=True))
        made.hashes = {"base": expected_hash(made.base), "new": expected_hash(made.new)}
        return made

    def for_scenario(self, scenario: str) -> dict[str, pa.Table]:
        """The tables the killed writer publishes in `scenario`."""
        return {"new": self.new, "same": self.base, "bad": self.bad}[scenario]


@dataclass
class CrashResult:
    """One crash trial: the fault, where the writer died, what it left, and every failed check."""

    fault: str  # "stage" or "random"
    scenario: str
    stage: str  # the stage it was killed at (or after, for random kills); "completed" if not killed
    state: str  # "absent", "orphan" or "published": the new version after the kill
    leftovers: int  # staging folders and temporary files the killed writer left (planted ones aside)
    failures: list[str]


def planted_names() -> tuple[str, ...]:
    """What dead writers leave, as plant_leftovers makes it: a staging folder named after a dead process,
    one named after a live unrelated process (a reused process id), and a LATEST temporary file."""
    return (
        f"{STAGING_PREFIX}4194999-dead",
        f"{STAGING_PREFIX}{os.getppid()}-reused",
        f".{LATEST}.4194999.tmp",
    )


def plant_leftovers(root: Path) -> None:
    """Plant the leftovers of planted_names under `root`, the folders with a few half-written parts."""
    *folders, temporary = planted_names()
    for name in folders:
        folder = root / name / "documents"
        folder.mkdir(parents=True)
        for i in range(20):
            (folder / f"part-{i:05d}.parquet").write_bytes(b"PAR1 half written")
    (root / temporary).write_text("v9999")


def crash_trial(
    root: Path,
    contents: Contents,
    scenario: str,
    *,
    stage: tuple[str, int] | None = None,
    delay: float | None = None,
    after_stage: str | None = None,
    readers: bool = True,
) -> CrashResult:
    """Publish a base version, kill a writer at `stage` (or `delay` seconds after its start, or after it
    reported `after_stage`), check the root, then publish the new content with a fresh writer and check
    again."""
    failures: list[str] = []
    publish_tables(root, contents.base)
    plant_leftovers(root)
    before = version_hashes(root)
    tables = contents.for_scenario(scenario)

    def work(report: Callable[[str], None]) -> dict[str, Any]:
        hook = killer(*stage, report) if stage else report
        try:
            return release_outcome(publish_tables(root, tables, n_chunks=CHUNKS, on_stage=hook))
        except ReleaseBlocked:
            return {"outcome": "refused"}

    child = Child(work)
    if delay is not None:
        if after_stage is None or child.wait_for_stage(after_stage):
            time.sleep(delay)
        child.kill()
    report = child.wait()
    where = report.last_stage if report.killed else "completed"
    if report.hung:
        failures.append(f"the writer hung after {report.last_stage}")
    if not report.killed and (report.exit_code != 0 or report.error):
        failures.append(f"the writer failed: {report.error} (exit {report.exit_code})")
    if stage and not report.killed:
        failures.append(f"the writer was not killed at {stage}: it reported {report.stages}")

    # The versions before the kill are untouched, LATEST names a complete version, every folder is whole.
    after = version_hashes(root)
    for name, hashes in before.items():
        if after.get(name) != hashes:
            failures.append(f"{name} changed: its files no longer have the same sha256")
    latest, found = check_latest(root, readers=readers)
    failures += found
    if read_latest(root) != latest:  # what load_table("documents") and the CLI resolve "latest" to
        failures.append(f"read_latest gives {read_latest(root)}, LATEST names {latest}")
    new_versions = [name for name in after if name not in before]
    for name in new_versions:
        failures += verify_version(root, name)
    state = "published" if latest in new_versions else "orphan" if new_versions else "absent"
    if len(new_versions) > 1 or latest is None:
        failures.append(f"after the kill: new versions {new_versions}, LATEST {latest}")
    allowed = _allowed_states(scenario, where, random_time=delay is not None)
    if state not in allowed:
        failures.append(f"killed at {where}: the new version is {state}, expected one of {allowed}")
    if state != "absent" and read_manifest(root, new_versions[0])["content_hash"] != contents.hashes["new"]:
        failures.append(f"{new_versions[0]} does not hold the new content")
    left = len(set(leftovers(root)) - set(planted_names()))

    # The next writer cleans up, never touches a version, and publishes the new content (or finds it).
    kept = version_hashes(root)
    try:
        release = publish_tables(root, contents.new, n_chunks=2)
    except Exception as exc:
        return CrashResult(
            "stage" if stage else "random",
            scenario,
            where,
            state,
            left,
            [*failures, f"the next publish failed: {type(exc).__name__}: {exc}"],
        )
    expected_version = new_versions[0] if state == "published" else versions.version_name(len(kept) + 1)
    if (release.version, release.published) != (expected_version, state != "published"):
        failures.append(
            f"the next publish gave {release.version} (published={release.published}), "
            f"expected {expected_version}"
        )
    if leftovers(root):
        failures.append(f"the next publish left {leftovers(root)}")
    for name, hashes in kept.items():
        if tree_hashes(root / name) != hashes:
            failures.append(f"the next publish changed {name}")
    latest, found = check_latest(root, readers=readers)
    failures += found
    if latest != expected_version:
        failures.append(f"after the next publish LATEST is {latest}, expected {expected_version}")
    elif read_manifest(root, latest)["content_hash"] != contents.hashes["new"]:
        failures.append(f"{latest} does not hold the new content")
    return CrashResult("stage" if stage else "random", scenario, where, state, left, failures)


def _allowed_states(scenario: str, where: str, *, random_time: bool) -> set[str]:
    """The states of the new version that a kill after stage `where` may leave."""
    if scenario != "new":
        return {"absent"}
    if where == "completed":
        return {"published"}
    exact = AFTER_STAGE.get(where, "absent")
    if not random_time:
        return {exact}
    # A random kill lands somewhere after the last stage reported, before the next one.
    following = STAGE_ORDER[min(STAGE_ORDER.index(where) + 1, len(STAGE_ORDER) - 1)]
    return {exact, AFTER_STAGE.get(following, "absent")}


def time_one_publish(root: Path, contents: Contents) -> tuple[float, float]:
    """Seconds from the fork of an unkilled writer publishing the new content (after a base version) to
    its "parts" stage and to its exit."""
    publish_tables(root, contents.base)
    plant_leftovers(root)
    report = Child(
        lambda report: release_outcome(publish_tables(root, contents.new, n_chunks=CHUNKS, on_stage=report))
    ).wait()
    return report.stage_seconds[report.stages.index("parts")], report.seconds


def crash_trials(
    base: Path, *, repeats: int, random_kills: int, n_docs: int, seed: int = 7, readers: bool = True
) -> Iterator[CrashResult]:
    """Every fault point `repeats` times, then writers killed at random times until `random_kills`
    of them really were killed (a writer that finished first is a trial, not a kill)."""
    contents = Contents.build(n_docs)
    trial = 0

    def fresh() -> Path:
        nonlocal trial
        trial += 1
        return base / f"trial-{trial:04d}"

    for _ in range(repeats):
        for scenario, stage, nth in FAULT_POINTS:
            yield crash_trial(fresh(), contents, scenario, stage=(stage, nth), readers=readers)
    parts, duration = map(max, zip(*(time_one_publish(fresh(), contents) for _ in range(2)), strict=True))
    rng = random.Random(seed)
    kills = 0
    for _ in range(4 * random_kills + 10):  # bounded: a writer that always finished first would loop
        if kills >= random_kills:
            break
        scenario = rng.choices(SCENARIOS, weights=(8, 1, 1))[0]
        # Every other kill after the parts are written, where the short steps are (hashing the parts, the
        # manifest, the rename, LATEST), timed from the writer's report: writing the parts takes most of
        # the time, and how long varies too much from one writer to the next to aim from the start.
        if kills % 2:
            delay, after_stage = rng.uniform(0, 1.2 * (duration - parts)), "parts"
        else:
            delay, after_stage = rng.uniform(0, duration), None
        result = crash_trial(
            fresh(), contents, scenario, delay=delay, after_stage=after_stage, readers=readers
        )
        kills += result.stage != "completed"
        yield result


# ---------------------------------------------------------------------------------------------------
# Concurrent writers


@dataclass
class WritersResult:
    """One race of concurrent writers: their outcomes and every failed check."""

    writers: int
    outcomes: list[str]  # "published", "unchanged", "refused" per writer
    latest_reads: int  # times LATEST was read and checked while the writers ran
    failures: list[str]


def writers_trial(
    root: Path,
    pool: list[dict[str, pa.Table]],
    hashes: list[str],
    choices: list[int],
    *,
    bad: dict[str, pa.Table] | None = None,
    pre_publish: int | None = None,
    readers: bool = True,
) -> WritersResult:
    """Start one writer per entry of `choices` (an index into `pool`; -1 publishes `bad`) at once,
    check LATEST over and over while they race, then check every outcome and version."""
    failures: list[str] = []
    before: list[str] = []
    if pre_publish is not None:
        publish_tables(root, pool[pre_publish])
        before = list_versions(root)
    go_read, go_write = os.pipe()

    def work_for(choice: int) -> Callable[[Callable[[str], None]], dict[str, Any]]:
        tables = bad if choice < 0 else pool[choice]
        assert tables is not None

        def work(report: Callable[[str], None]) -> dict[str, Any]:
            try:
                return release_outcome(publish_tables(root, tables, n_chunks=3))
            except ReleaseBlocked:
                return {"outcome": "refused"}

        return work

    children = [Child(work_for(choice), go=go_read) for choice in choices]
    os.close(go_read)
    os.write(go_write, b"g" * len(children))
    os.close(go_write)
    reads = 0
    deadline = time.monotonic() + WRITER_TIMEOUT_S
    while not all(child.poll() for child in children) and time.monotonic() < deadline:
        latest, found = check_latest(root, readers=False, rehash=False)
        if latest is not None:
            reads += 1
            failures += [f"while racing: {f}" for f in found]
        time.sleep(0.002)  # leave the two cores to the writers, mostly
    reports = [child.wait() for child in children]

    outcomes = []
    published: dict[str, int] = {}
    for choice, report in zip(choices, reports, strict=True):
        result = report.result or {}
        outcome = result.get("outcome", "failed")
        outcomes.append(outcome)
        if report.hung or report.exit_code != 0 or report.error or outcome == "failed":
            failures.append(f"a writer failed: {report.error} (exit {report.exit_code}, hung={report.hung})")
            continue
        if (choice < 0) != (outcome == "refused"):
            failures.append(f"writer of content {choice} ended {outcome}")
            continue
        if outcome == "refused":
            continue
        if result["content_hash"] != hashes[choice]:
            failures.append(f"writer of content {choice} reports another content hash")
        if outcome == "published":
            if result["version"] in published or result["version"] in before:
                failures.append(f"{result['version']} was published twice")
            published[result["version"]] = choice
        elif read_manifest(root, result["version"])["content_hash"] != hashes[choice]:
            failures.append(f"writer of content {choice} found {result['version']} equal, but it is not")
    names = list_versions(root)
    if names != sorted([*before, *published], key=lambda n: int(n[1:])):
        failures.append(f"version folders {names}, but published {sorted(published)} after {before}")
    previous = None
    for name in names:
        failures += verify_version(root, name)
        digest = read_manifest(root, name)["content_hash"]
        if name in published and digest != hashes[published[name]]:
            failures.append(f"{name} does not hold the content its writer published")
        if digest == previous:
            failures.append(f"{name} repeats the content of the version before it")
        previous = digest
    latest, found = check_latest(root, readers=readers)
    failures += found
    if names and latest != names[-1]:
        failures.append(f"LATEST is {latest}, the newest version is {names[-1]}")
    if leftovers(root):
        failures.append(f"leftovers after the race: {leftovers(root)}")
    return WritersResult(len(choices), outcomes, reads, failures)


def writers_trials(
    base: Path, *, writers: int, trials: int, n_docs: int, seed: int = 11, readers: bool = True
) -> Iterator[WritersResult]:
    """`trials` races of `writers` writers: contents drawn from a small pool (so some are equal and
    some differ), now and then a violating one, half of the races over an existing version."""
    rng = random.Random(seed * 1000 + writers)
    pool = [make_tables(10 + k, n_docs + k) for k in range(max(2, writers // 2))]
    hashes = [expected_hash(tables) for tables in pool]
    bad = make_tables(99, n_docs, bad=True)
    for trial in range(trials):
        if writers == 2:  # equal, different, different with one refusal, in turn
            choices = [[0, 0], [0, 1], [1, -1]][trial % 3]
        else:
            choices = [rng.randrange(len(pool)) for _ in range(writers)]
            choices[rng.randrange(writers)] = choices[0]  # at least two writers with equal content
            if trial % 3 == 1:
                choices[-1] = -1
        pre = trial % len(pool) if trial % 2 else None
        yield writers_trial(
            base / f"race-{writers}-{trial:03d}",
            pool,
            hashes,
            choices,
            bad=bad,
            pre_publish=pre,
            readers=readers,
        )
