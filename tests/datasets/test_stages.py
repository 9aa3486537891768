"""Incremental runs of the stages on the sample documents: what is reused, what is recomputed, and that
the output is the same either way."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.datasets import stages
from pipeline.datasets.dedup import DECISIONS_SCHEMA
from pipeline.datasets.files import PARTS_FILE, part_ends, read_batches, read_stage, stage_files
from pipeline.datasets.release import RELEASE_TABLES, ReleasePolicy
from pipeline.datasets.schema import load_schema
from pipeline.datasets.steps import CurateConfig, SeedsConfig
from pipeline.datasets.versions import Release, read_manifest
from pipeline.engine import EngineSpec
from pipeline.engine.cache import ResultCache
from tests.cleaning.helpers import ALL_CHROME
from tests.conftest import REPO, SEEDS

ENGINE = EngineSpec(workers=2, timeout_s=30)
# A line of site chrome for the repeated-lines tests: long enough to count, in no sample.
CHROME = "Harbour news is edited by the volunteers of the county archive society"


@dataclass
class Run:
    """The counts of one pass through ingest, parse, repeated lines and curate."""

    parse: stages.StageStats
    repeated: stages.Repeated
    curate: stages.StageStats


class Pipeline:
    """The stages over one seeds folder and one work folder, as the assets run them."""

    def __init__(self, tmp: Path, seeds: Path = SEEDS, part_rows: int = 1_000) -> None:
        self.part_rows = part_rows
        self.seeds = tmp / "seeds"
        shutil.copytree(seeds, self.seeds)
        self.work = tmp / "work"
        self.outs = stages.CurateOutputs(
            *(self.work / f"{n}.parquet" for n in ("clean", "sections", "languages"))
        )

    def run(self, config: CurateConfig | None = None, min_docs: int = 10) -> Run:
        """One pass of every stage."""
        w = self.work
        stages.ingest.ingest(self.seeds, w / "raw.parquet", max_bytes=1 << 20)
        source = SeedsConfig(str(self.seeds), 1 << 20)
        parse = stages.parse.parse(
            w / "raw.parquet", w / "parsed.parquet", ENGINE, source, batch_size=2, part_rows=self.part_rows
        )
        repeated = stages.find_repeated(
            w / "parsed.parquet", w / "repeated.parquet", min_docs=min_docs, min_share=0.0
        )
        config = config or CurateConfig()
        curate = stages.curate.curate(
            w / "parsed.parquet", w / "repeated.parquet", self.outs, ENGINE, config, batch_size=2
        )
        return Run(parse, repeated, curate)

    def documents(self) -> dict[str, dict[str, object]]:
        """The curated rows by source path, without the cache key."""
        table = read_stage(self.outs.documents).drop_columns(["cache_key"])
        return {row["source_path"]: row for row in table.to_pylist()}


def computed(stats: stages.StageStats) -> tuple[int, int]:
    """(computed, reused) of a stage."""
    return stats.cache.computed, stats.cache.reused


def test_a_second_run_reuses_everything_and_gives_the_same_tables(tmp_path: Path) -> None:
    pipeline = Pipeline(tmp_path)
    first = pipeline.run()
    assert computed(first.parse) == (5, 0) and computed(first.curate) == (5, 0)
    before = {name: read_stage(path) for name, path in vars(pipeline.outs).items()}
    second = pipeline.run()
    assert computed(second.parse) == (0, 5) and computed(second.curate) == (0, 5)
    assert second.curate.tally_of("language") == first.curate.tally_of("language") == {"en": 4, "de": 1}
    for name, path in vars(pipeline.outs).items():
        assert read_stage(path).equals(before[name]), name


def test_one_changed_file_is_the_only_one_recomputed(tmp_path: Path) -> None:
    pipeline = Pipeline(tmp_path)
    pipeline.run()
    before = pipeline.documents()
    changed = sorted(pipeline.seeds.iterdir())[1]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nA closing paragraph added later on.\n")
    run = pipeline.run()
    assert computed(run.parse) == (1, 4) and computed(run.curate) == (1, 4)
    after = pipeline.documents()
    assert "A closing paragraph added later on." in str(after[changed.name]["text"])
    assert {k: v for k, v in after.items() if k != changed.name} == {
        k: v for k, v in before.items() if k != changed.name
    }


def part_files(stage: Path) -> dict[str, tuple[int, int]]:
    """The part files of a parted stage: name -> (inode, modification time in ns)."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in stage_files(stage)}


def test_parts_are_cut_where_the_paths_say_so_an_insert_moves_only_its_own_part() -> None:
    paths = [f"site/{i:05d}.txt" for i in range(6_000)]
    ends = part_ends(paths, 100)
    sizes = [b - a for a, b in zip([0, *ends], ends, strict=False)]
    assert ends[-1] == len(paths) and all(50 <= size <= 150 for size in sizes[:-1])
    assert 45 < len(ends) < 90  # about one part per 100 paths
    # An edit redoes its file's part: the part of a file picked at random is near the target size too.
    assert sum(size * size for size in sizes) / len(paths) < 120

    def parts(names: list[str]) -> list[tuple[str, ...]]:
        """The paths of each part."""
        bounds = part_ends(names, 100)
        return [tuple(names[a:b]) for a, b in zip([0, *bounds], bounds, strict=False)]

    before = parts(paths)
    after = parts(sorted([*paths, "site/03000a.txt"]))
    changed = set(after) - set(before)
    assert len(changed) <= 2 and any("site/03000a.txt" in part for part in changed)
    assert len(set(before) - set(after)) <= 2  # every other part is the same list of documents


def test_one_changed_file_rewrites_its_own_part_and_leaves_every_other_part_file_alone(
    tmp_path: Path,
) -> None:
    pipeline = Pipeline(tmp_path, part_rows=2)
    pipeline.run()
    stage_dirs = [pipeline.work / "parsed.parquet", *vars(pipeline.outs).values()]
    before = {stage: part_files(stage) for stage in stage_dirs}
    assert all(len(files) >= 2 for files in before.values())  # several parts, or the test says nothing
    changed = sorted(pipeline.seeds.iterdir())[3]
    closing = "One more paragraph closes the overview, and it says what the team will build next year."
    changed.write_text(changed.read_text(encoding="utf-8") + f"\n\n{closing}\n")
    run = pipeline.run()
    assert computed(run.parse) == (1, 4) and computed(run.curate) == (1, 4)
    for stage in stage_dirs:
        after = part_files(stage)
        kept = {name: where for name, where in after.items() if name in before[stage]}
        assert kept == {name: before[stage][name] for name in kept}, stage  # same files, not rewritten
        assert len(after) - len(kept) == 1, stage  # the edited file's part, and only that one
    assert closing in str(pipeline.documents()[changed.name]["text"])


def test_a_changed_run_looks_up_cached_rows_only_in_the_parts_it_replaces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(40):
        text = f"Report {i}: the harbour board met on day {i} and agreed works on pier {i} and quay {i}."
        (corpus / f"{i:02d}.txt").write_text(text, encoding="utf-8")
    pipeline = Pipeline(tmp_path, corpus, part_rows=6)  # parts of 1 to 13 files; 17.txt in one of 13
    pipeline.run()
    stage_dirs = [pipeline.work / "parsed.parquet", pipeline.outs.documents]
    before = {stage: set(part_files(stage)) for stage in stage_dirs}
    assert all(len(names) >= 3 for names in before.values())  # several parts, or the test says nothing
    opened: list[Path] = []
    open_cache_file = ResultCache._open

    def recording_open(cache: ResultCache, path: Path) -> tuple[pq.ParquetFile, list[pa.Array]] | None:
        opened.append(path)
        return open_cache_file(cache, path)

    monkeypatch.setattr(ResultCache, "_open", recording_open)
    changed = pipeline.seeds / "17.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + " The board then closed the meeting.")
    run = pipeline.run()
    # The changed file's neighbours in its part come from that part's previous version...
    assert computed(run.parse) == (1, 39) and computed(run.curate) == (1, 39)
    for stage in stage_dirs:
        replaced = before[stage] - set(part_files(stage))
        assert len(replaced) == 1, stage
        # ...and no other part file of the stage is opened to find them.
        assert sorted(path.name for path in opened if path.parent == stage) == sorted(replaced), stage


def publish_ids(root: Path, ids: pa.ChunkedArray) -> None:
    """A stand-in release under `root` whose documents are `ids` (all the duplicates stage reads)."""
    folder = root / "v0001" / "documents"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"doc_id": ids}), folder / "part-00000.parquet")
    (root / "LATEST").write_text("v0001\n", encoding="utf-8")


def test_whole_corpus_stages_are_not_redone_for_unchanged_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline = Pipeline(tmp_path)
    first = pipeline.run()
    dups = pipeline.work / "duplicates.parquet"
    found = stages.find_dups(pipeline.outs.documents, dups, threshold=0.8, release_root=tmp_path / "out")

    def fail(*args: object, **kwargs: object) -> object:
        raise AssertionError("recomputed although nothing changed")

    with monkeypatch.context() as patched:
        patched.setattr(stages.repeated, "count_hashes", fail)
        patched.setattr(stages.dedup, "find_duplicates", fail)
        again = pipeline.run()
        assert again.repeated == first.repeated
        same = stages.find_dups(pipeline.outs.documents, dups, threshold=0.8, release_root=tmp_path / "out")
        assert (
            (same.documents, same.exact, same.near) == (found.documents, found.exact, found.near) == (5, 0, 0)
        )
        with pytest.raises(AssertionError, match="recomputed"):  # another threshold is another input
            stages.find_dups(pipeline.outs.documents, dups, threshold=0.5, release_root=tmp_path / "out")
        # A release made from these decisions keeps all five: deciding again from it decides the same.
        ids = read_stage(pipeline.outs.documents, columns=["doc_id"]).column("doc_id")
        publish_ids(tmp_path / "out", ids)
        stages.find_dups(pipeline.outs.documents, dups, threshold=0.8, release_root=tmp_path / "out")
        publish_ids(tmp_path / "out", ids.slice(0, 2))  # a release that kept two of them: decide again
        with pytest.raises(AssertionError, match="recomputed"):
            stages.find_dups(pipeline.outs.documents, dups, threshold=0.8, release_root=tmp_path / "out")
    changed = sorted(pipeline.seeds.iterdir())[0]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nA new closing line.\n")
    assert pipeline.run().repeated.documents == 5  # counted again: a parsed part changed


def test_a_stage_file_of_an_older_layout_is_replaced_by_parts(tmp_path: Path) -> None:
    pipeline = Pipeline(tmp_path)
    pipeline.work.mkdir()
    (pipeline.work / "parsed.parquet").write_bytes(b"a single stage file of an older webcurate")
    run = pipeline.run()
    assert computed(run.parse) == (5, 0)
    assert (pipeline.work / "parsed.parquet" / PARTS_FILE).is_file()
    assert len(pipeline.documents()) == 5


def test_a_killed_writers_temporary_part_is_removed_and_a_live_writers_kept(tmp_path: Path) -> None:
    pipeline = Pipeline(tmp_path)
    pipeline.run()
    stage = pipeline.work / "parsed.parquet"
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    dead = stage / f".abc.parquet.{int(finished.stdout)}-00ff.tmp"  # that process has exited
    live = stage / f".def.parquet.{os.getpid()}-00ff.tmp"
    for leftover in (dead, live):
        leftover.write_bytes(b"half a part")
    (pipeline.seeds / "note.txt").write_text("A new file, so that the stage is written again.\n")
    pipeline.run()
    assert not dead.exists()
    assert live.exists()


def test_a_changed_rules_file_recomputes_curation_but_not_parsing(tmp_path: Path) -> None:
    pipeline = Pipeline(tmp_path)
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n  - name: ask_bot\n    group: community\n    phrase: ask the bot\n    why: a widget\n"
    )
    pipeline.run(CurateConfig(rules_file=str(rules)))
    rules.write_text(rules.read_text().replace("ask the bot", "ask our bot"))
    run = pipeline.run(CurateConfig(rules_file=str(rules)))
    assert computed(run.parse) == (0, 5) and computed(run.curate) == (5, 0)


def test_a_renamed_file_is_reused_under_its_new_name(tmp_path: Path) -> None:
    pipeline = Pipeline(tmp_path)
    pipeline.run()
    old = sorted(pipeline.seeds.iterdir())[0]
    text = pipeline.documents()[old.name]["text"]
    old.rename(old.with_name("renamed.txt"))
    run = pipeline.run()
    assert computed(run.parse) == (0, 5)
    row = pipeline.documents()["renamed.txt"]
    assert row["text"] == text and row["doc_id"] != pipeline.documents().get(old.name, {}).get("doc_id")
    assert old.name not in pipeline.documents()


def test_a_line_that_becomes_repeated_recomputes_exactly_the_documents_holding_it(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    towns = ["Aldbury", "Bexley", "Crowthorne", "Dunmore", "Eskdale", "Fairlight"]
    for i, town in enumerate(towns):
        # Distinct words, not just numbers: normalisation maps every digit to 0.
        body = (
            f"{town} reports on the progress of its harbour works.\n\n"
            f"The {town} council met on Monday and agreed the next steps for the quay."
        )
        chrome = f"\n\n{CHROME}\n" if i < 2 else "\n"
        (corpus / f"{i}.txt").write_text(body + chrome, encoding="utf-8")
    pipeline = Pipeline(tmp_path, corpus)
    first = pipeline.run(min_docs=3)
    assert first.repeated.lines == []  # two documents share the line: below the threshold of three
    assert CHROME in str(pipeline.documents()["0.txt"]["text"])
    (pipeline.seeds / "2.txt").write_text((pipeline.seeds / "2.txt").read_text() + f"\n{CHROME}\n")
    run = pipeline.run(min_docs=3)
    assert [line["n_docs"] for line in run.repeated.lines] == [3]
    # 2.txt changed; 0.txt and 1.txt did not, but their share of the repeated lines did.
    assert computed(run.parse) == (1, 5) and computed(run.curate) == (3, 3)
    documents = pipeline.documents()
    for name in ("0.txt", "1.txt", "2.txt"):
        assert CHROME not in str(documents[name]["text"])
        removed = documents[name]["removed"]
        assert isinstance(removed, list)
        assert [span["rule"] for span in removed] == ["repeated_line"]


def test_a_file_changed_between_scan_and_parse_is_skipped_with_its_reason(tmp_path: Path) -> None:
    pipeline = Pipeline(tmp_path)
    stages.ingest.ingest(pipeline.seeds, pipeline.work / "raw.parquet", max_bytes=1 << 20)
    victim = sorted(pipeline.seeds.iterdir())[2]
    victim.write_text("Rewritten after the scan.", encoding="utf-8")
    source = SeedsConfig(str(pipeline.seeds), 1 << 20)
    work = pipeline.work
    stats = stages.parse.parse(work / "raw.parquet", work / "parsed.parquet", ENGINE, source)
    assert stats.skipped == [
        {
            "source_path": victim.name,
            "reason": "unreadable: changed while the run was reading it (the next run picks it up)",
        }
    ]


def test_a_page_with_no_main_content_is_skipped_with_its_reason(tmp_path: Path) -> None:
    """A page that is all chrome is not published with its chrome put back: the curate stage skips it,
    naming the rules that took its lines, and the release holds the five samples alone."""
    pipeline = Pipeline(tmp_path)
    (pipeline.seeds / "index.txt").write_text(ALL_CHROME, encoding="utf-8")
    run = pipeline.run()
    [skipped] = run.curate.skipped
    assert skipped["source_path"] == "index.txt"
    assert skipped["reason"].startswith("no main content: every line is boilerplate (account_links 3, ")
    from pipeline.datasets.release import release_chunk

    schemas = {name: load_schema(REPO / "schemas", name) for name in RELEASE_TABLES}
    released = release_chunk(read_stage(pipeline.outs.documents), schemas)
    assert sorted(released["documents"].column("source_path").to_pylist()) == sorted(
        p.name for p in SEEDS.iterdir()
    )


def test_an_unknown_engine_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown engine 'spark'; choose one of local, ray"):
        EngineSpec("spark")


def test_release_chunks_hold_every_curated_document_section_and_removal(tmp_path: Path) -> None:
    pipeline = Pipeline(tmp_path)
    run = pipeline.run()
    from pipeline.datasets.release import release_chunk

    schemas = {name: load_schema(REPO / "schemas", name) for name in RELEASE_TABLES}
    chunks = [release_chunk(b, schemas) for b in read_batches(pipeline.outs.documents, batch_size=2)]
    tables = {name: pa.concat_tables([c[name] for c in chunks]) for name in RELEASE_TABLES}
    assert tables["documents"].num_rows == 5
    assert tables["sections"].num_rows == sum(run.curate.tally_of("section_language").values())
    assert tables["removed"].num_rows == sum(run.curate.tally_of("rule").values()) >= 28
    # Every section's text is its slice of the document's text.
    text_of = dict(zip(*tables["documents"].select(["doc_id", "text"]).to_pydict().values(), strict=True))
    for section in tables["sections"].to_pylist():
        assert text_of[section["doc_id"]][section["char_start"] : section["char_end"]] == section["text"]


Published = tuple[Release, dict[str, Any]]  # a release and its manifest


def release(pipeline: Pipeline, root: Path, policy: ReleasePolicy | None = None) -> Published:
    """Publish the pipeline's curated documents under `root`; the release and its manifest."""
    schemas = {name: load_schema(REPO / "schemas", name) for name in RELEASE_TABLES}
    published, _ = stages.publish_release(
        pipeline.outs.documents, root, schemas, {}, lambda m: f"# {m['version']}\n", policy=policy
    )
    return published, read_manifest(root, published.version)


def inodes(root: Path, version: str) -> dict[str, int]:
    """The release files of a version: relative path -> inode."""
    folder = root / version
    return {p.relative_to(folder).as_posix(): p.stat().st_ino for p in folder.rglob("*.parquet")}


def release_tables(root: Path, version: str) -> dict[str, pa.Table]:
    """The tables of a version as pyarrow reads the folders."""
    return {name: pq.read_table(root / version / name) for name in RELEASE_TABLES}


def assert_same_release(first: Published, second: Published) -> None:
    """Two releases hold equal rows, hashes and counts (versions and dates may differ)."""
    (one, left), (two, right) = first, second
    assert one.content_hash == two.content_hash
    assert left["counts"] == right["counts"] and left["rows"] == right["rows"]
    assert left["skipped"] == right["skipped"]
    assert isinstance(one.path, Path) and isinstance(two.path, Path)  # releases in local folders
    for name, table in release_tables(one.path.parent, one.version).items():
        assert table.equals(release_tables(two.path.parent, two.version)[name]), name


def test_a_release_after_one_changed_file_links_every_other_part_and_equals_a_full_release(
    tmp_path: Path,
) -> None:
    pipeline = Pipeline(tmp_path, part_rows=2)
    pipeline.run()
    root = tmp_path / "curated"
    _, first = release(pipeline, root)
    assert len(first["parts"]) >= 3  # the test needs parts that stay and one that changes
    changed = sorted(pipeline.seeds.iterdir())[2]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nA closing paragraph added later on.\n")
    pipeline.run()
    incremental = release(pipeline, root)
    assert incremental[0].version == "v0002"
    before, after = inodes(root, "v0001"), inodes(root, "v0002")
    kept = [r for r in incremental[1]["parts"] if r["key"] in {p["key"] for p in first["parts"]}]
    assert 1 <= len(kept) == len(first["parts"]) - 1
    for record in incremental[1]["parts"]:
        linked = record in kept
        old = next((p for p in first["parts"] if p["key"] == record["key"]), None)
        for name, files in record["files"].items():
            for index, path in enumerate(files):
                # A kept part's files are the very files of v0001 (hard links); the changed one's are new.
                assert (old is not None and after[path] == before[old["files"][name][index]]) is linked
    assert any(changed.name in str(row) for row in release_tables(root, "v0002")["documents"].to_pylist())
    assert_same_release(incremental, release(pipeline, tmp_path / "fresh"))


def test_a_changed_duplicate_decision_rewrites_only_the_part_of_the_document_it_drops(tmp_path: Path) -> None:
    pipeline = Pipeline(tmp_path, part_rows=2)
    pipeline.run()
    root = tmp_path / "curated"
    _, first = release(pipeline, root)
    documents = read_stage(pipeline.outs.documents)
    dropped, kept_one = documents.column("doc_id").to_pylist()[-1], documents.column("doc_id").to_pylist()[0]
    decisions = pa.Table.from_pylist(
        [
            {
                "doc_id": dropped,
                "duplicate_of": kept_one,
                "rule": "exact_duplicate",
                "similarity": 1.0,
                "canonical_in_input": True,
            }
        ],
        schema=DECISIONS_SCHEMA,
    )
    policy = ReleasePolicy(decisions)
    second = release(pipeline, root, policy)
    assert second[0].version == "v0002"
    assert dropped not in release_tables(root, "v0002")["documents"].column("doc_id").to_pylist()
    new_keys = [r["key"] for r in second[1]["parts"] if r["key"] not in {p["key"] for p in first["parts"]}]
    assert len(new_keys) == 1  # the last part, which holds the dropped document
    assert new_keys[0] == second[1]["parts"][-1]["key"]
    assert_same_release(second, release(pipeline, tmp_path / "fresh", policy))
