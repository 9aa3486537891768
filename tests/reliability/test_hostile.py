"""The real asset graph over a hostile seeds folder (tests/reliability/hostile.py), and over a document
that hangs an extractor: the run finishes, every file is curated or skipped with its reason, nothing
outside the seeds folder is read, and memory stays bounded."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.reliability.hostile import (
    CURATED,
    SKIPPED,
    FifoWatch,
    GraphRun,
    Hostile,
    build,
    marker_hits,
    prose,
    run_graph_in_child,
)

MEMORY_LIMIT_MB = 1024
# Small batches: both workers get some of the files. Duplicates stay in `documents` (with duplicate_of):
# the fixtures share their prose, and "curated" here means "in the documents table".
SETTINGS = {"workers": 2, "batch_size": 8, "keep_duplicates": True}


@dataclass
class Outcome:
    """The hostile folder, the run over it, and what it published."""

    hostile: Hostile
    run: GraphRun
    fifos_opened: list[Path]
    documents: dict[str, str]  # source path -> curated text
    skipped: dict[str, str]  # source path -> reason
    manifest: dict[str, Any]

    @property
    def release(self) -> Path:
        """The published version's folder."""
        return Path(self.run.report["release"]["path"])


def read_strings(path: Path) -> object:
    """Every value of a Parquet file as Python objects (for the marker search)."""
    return pq.read_table(path).to_pylist()


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    root = tmp_path_factory.mktemp("hostile")
    hostile = build(root)
    try:
        with FifoWatch(hostile.fifos) as watch:
            run = run_graph_in_child(hostile.seeds, root / "run", **SETTINGS)
    finally:
        hostile.restore()
    print(
        f"hostile run: {len(hostile.fixtures)} files in {len(hostile.by_kind())} classes, "
        f"{run.seconds:.1f} s, peak RSS of the process tree {run.peak_tree_rss_mb:.0f} MB "
        f"(PSS {run.peak_tree_pss_mb:.0f} MB, largest process {run.peak_process_mb:.0f} MB)"
    )
    assert run.report["success"], run.report["failures"]
    release = Path(run.report["release"]["path"])
    documents = pq.read_table(release / "documents", columns=["source_path", "text"]).to_pydict()
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    return Outcome(
        hostile,
        run,
        watch.opened,
        dict(zip(documents["source_path"], documents["text"], strict=True)),
        {entry["source_path"]: entry["reason"] for entry in manifest["skipped"]},
        manifest,
    )


def test_the_folder_is_as_hostile_as_promised(outcome: Outcome) -> None:
    kinds = outcome.hostile.by_kind()
    assert len(outcome.hostile.fixtures) >= 45 and len(kinds) >= 15, {k: len(v) for k, v in kinds.items()}
    assert len({f.source_path for f in outcome.hostile.fixtures}) == len(outcome.hostile.fixtures)


def test_the_run_succeeds_and_publishes(outcome: Outcome) -> None:
    report = outcome.run.report
    assert (report["success"], report["failures"]) == (True, [])
    assert (report["release"]["version"], report["release"]["published"]) == ("v0001", True)


@pytest.mark.parametrize("expected", [CURATED, SKIPPED])
def test_every_file_is_curated_or_skipped_as_its_fixture_expects(outcome: Outcome, expected: str) -> None:
    wrong: list[str] = []
    for fixture in outcome.hostile.fixtures:
        path = fixture.source_path
        text, reason = outcome.documents.get(path), outcome.skipped.get(path)
        if (text is None) == (reason is None):
            wrong.append(f"{path!r}: curated {text is not None}, skipped {reason!r}")
        elif fixture.expect == expected == CURATED and (text is None or fixture.phrase not in text):
            wrong.append(
                f"{path!r} ({fixture.kind}): expected curated with {fixture.phrase!r}, got {reason!r}"
            )
        elif fixture.expect == expected == SKIPPED and (reason is None or fixture.phrase not in reason):
            wrong.append(
                f"{path!r} ({fixture.kind}): expected skipped for {fixture.phrase!r}, got {reason!r}"
            )
    assert wrong == []


def test_nothing_is_listed_that_is_not_a_fixture(outcome: Outcome) -> None:
    listed = set(outcome.documents) | set(outcome.skipped)
    assert listed == {fixture.source_path for fixture in outcome.hostile.fixtures}


def test_the_duplicate_files_point_at_one_kept_copy(outcome: Outcome) -> None:
    """The three byte-identical files stand for one kept document (one of them, or an earlier fixture
    with the same text): every one is it or names it in duplicate_of."""
    documents = pq.read_table(
        outcome.release / "documents", columns=["source_path", "doc_id", "duplicate_of"]
    )
    rows = [r for r in documents.to_pylist() if r["source_path"].startswith("dup/")]
    kept = {r["duplicate_of"] or r["doc_id"] for r in rows}
    assert len(rows) == 3 and len(kept) == 1
    assert sum(r["duplicate_of"] is not None for r in rows) >= 2
    (canonical,) = kept
    assert canonical in documents.column("doc_id").to_pylist()


def test_counts_reconcile(outcome: Outcome) -> None:
    counts = outcome.manifest["counts"]
    assert counts["seen"] == counts["curated"] + counts["skipped"] == len(outcome.hostile.fixtures)
    assert counts["curated"] == len(outcome.documents) == outcome.run.report["release"]["rows_documents"]
    assert counts["skipped"] == len(outcome.skipped) == outcome.run.report["release"]["skipped"]
    # The raw inventory saw every entry once: nothing was dropped before the release either.
    raw = pq.read_table(outcome.release.parents[2] / "work" / "raw_documents.parquet")
    assert raw.num_rows == counts["seen"]


def test_nothing_outside_the_seeds_folder_is_ever_opened(outcome: Outcome) -> None:
    # Any process that opened one of the FIFOs (the symlinked one outside, the one in the folder).
    assert outcome.fifos_opened == []
    # The marker of the files the symlinks point at is nowhere in the output: stage files, release,
    # manifest, dataset card (Parquet files are searched value by value: compression hides bytes).
    hits = marker_hits(outcome.release.parents[2], outcome.hostile.markers, read_strings)
    assert hits == []


def test_the_detectors_of_outside_reads_do_detect(tmp_path: Path) -> None:
    fifo = tmp_path / "trap.fifo"
    os.mkfifo(fifo)
    with FifoWatch([fifo]) as watch:
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # what a reader following the link would do
        deadline = time.monotonic() + 10
        while not watch.opened and time.monotonic() < deadline:
            time.sleep(0.01)
        os.close(fd)
    assert watch.opened == [fifo]
    marker = "OUTSIDE-MARKER-selftest"
    stage = tmp_path / "stage.parquet"
    text = f"{prose('Aldbury')} {marker} {prose('Bexley')}"
    pq.write_table(pa.table({"text": [text]}), stage, compression="zstd", write_statistics=False)
    assert marker.encode() not in stage.read_bytes()  # compressed out of a byte search's sight
    assert marker_hits(tmp_path, [marker], read_strings) == [str(stage)]


def test_peak_memory_of_the_process_tree_stays_under_a_gigabyte(outcome: Outcome) -> None:
    run = outcome.run
    # The sum is over the run process, the fork server and the workers: more than its largest member.
    assert run.peak_tree_rss_mb > run.peak_process_mb
    assert run.peak_tree_rss_mb < MEMORY_LIMIT_MB


# --- hangs -----------------------------------------------------------------------------------------------

TIMEOUT_S = 5
# A user's rule with nested quantifiers: on a line of 40 "a"s and a "b", re backtracks 2**40 times
# (hours) inside C, where no signal reaches it; only the engine's per-document time limit can stop it.
RUNAWAY_RULES = """\
rules:
  - name: runaway
    group: legal
    pattern: '^(a+)+(?=$)'
    why: nested quantifiers, catastrophic backtracking on a line of a's that does not end in one (the
      lookahead keeps RE2's screen, which would rule the line out at once, from vouching for it)
"""


def test_a_document_that_hangs_an_extractor_is_cut_off_and_the_run_goes_on(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    towns = ["Aldbury", "Bexley", "Crowthorne", "Dunmore", "Eskdale"]
    for town in towns:
        (seeds / f"{town}.txt").write_text(f"{town} harbour\n\n{prose(town)}\n", encoding="utf-8")
    (seeds / "hang.txt").write_text(f"Runaway\n\n{prose('Fairlight')}\n\n{'a' * 40}b\n", encoding="utf-8")
    rules = tmp_path / "rules.yaml"
    rules.write_text(RUNAWAY_RULES, encoding="utf-8")
    run = run_graph_in_child(
        seeds,
        tmp_path / "run",
        deadline_s=150,  # without the time limit the run would take hours: the deadline fails the test
        rules_file=str(rules),
        doc_timeout_s=TIMEOUT_S,
        workers=2,
        batch_size=2,
        keep_duplicates=True,  # the towns share their prose: near duplicates of each other
    )
    report = run.report
    assert report["success"], report["failures"]
    manifest = json.loads((Path(report["release"]["path"]) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["skipped"] == [{"source_path": "hang.txt", "reason": f"timed out after {TIMEOUT_S} s"}]
    documents = pq.read_table(Path(report["release"]["path"]) / "documents").column("source_path")
    assert sorted(documents.to_pylist()) == sorted(f"{town}.txt" for town in towns)
