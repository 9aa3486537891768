"""CPU per document of the per-document steps (`parse_step`, `curate_step`), in one process.

Writes a corpus with bench/make_corpus.py (`--source real`, the default: real dev-data text; `samples`:
generated from the samples) or takes a folder (`--seeds`, such as seeds/), lists it as the ingest
stage does, and runs each step through the local engine's own worker loop (`pipeline.engine.local._worker`:
an Arrow batch in, the step per row, Arrow batches out) in this process, on the stage's batches (the curate
input carries each document's repeated-line hashes, as `stages.curate` gives it). Prints CPU ms per
document per step and per sub-step (`time.process_time`: other processes share the machine, so CPU time is
the robust measure); `--profile` adds each step's top functions by cProfile.

`--save DIR` stores both steps' output tables; `--check DIR` compares them with stored ones exactly
(`Table.equals`): an optimisation must leave them identical.

    .venv/bin/python -m bench.bench_steps [--docs 2000] [--source real|samples] [--html 0.0] [--seeds DIR]
        [--repeat 3] [--profile] [--save DIR | --check DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import functools
import importlib
import io
import json
import pstats
import shutil
import sys
import tempfile
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from bench.common import print_table
from pipeline.cleaning.boilerplate.repeated import DEFAULT_MIN_DOCS, DEFAULT_MIN_SHARE
from pipeline.cleaning.ingest import DEFAULT_MAX_BYTES
from pipeline.datasets import stages
from pipeline.datasets.files import read_batches
from pipeline.datasets.steps import (
    PARSED_STEP_SCHEMA,
    CurateConfig,
    CurateStep,
    SeedsConfig,
    parse_keys,
    parse_step,
    with_cache_key,
)
from pipeline.datasets.tables import CURATED_SCHEMA
from pipeline.engine.cache import KEY_COLUMN
from pipeline.engine.local import TASK_ROWS, _worker, in_input_order, pack, unpack

Row = dict[str, Any]
BATCH_SIZE = stages.DEFAULT_BATCH_SIZE

# Sub-steps timed by wrapping the function a module calls (module, attribute, label); nested labels overlap,
# and a function the code does not have (any more) is left out.
SUB_STEPS: dict[str, list[tuple[str, str, str]]] = {
    "parse": [
        ("pipeline.datasets.steps", "read_seed", "read_seed"),
        ("pipeline.datasets.steps", "parse_document", "parse_document"),
        ("pipeline.cleaning.formats", "decode_bytes", "  decode_bytes"),
        ("pipeline.cleaning.formats", "repair_mojibake", "  repair_mojibake"),
        ("pipeline.cleaning.formats", "parse_text", "  parse_text"),
        ("pipeline.cleaning.formats", "parse_html", "    parse_html"),
        ("pipeline.cleaning.formats", "split_front_matter", "    split_front_matter"),
        ("pipeline.cleaning.formats", "looks_like_markdown", "    looks_like_markdown"),
        ("pipeline.cleaning.formats", "repair_escapes", "    repair_escapes"),
        ("pipeline.cleaning.formats", "render_markdown", "    render_markdown"),
        ("pipeline.datasets.steps", "parsed_row", "parsed_row"),
        ("pipeline.datasets.steps", "line_hashes", "line_hashes"),
    ],
    "curate": [
        ("pipeline.datasets.steps", "parsed_from_row", "parsed_from_row"),
        ("pipeline.datasets.steps", "lines_with_hashes", "lines_with_hashes"),
        ("pipeline.datasets.steps", "clean_texts", "clean_texts (a task's boilerplate, in one batch)"),
        ("pipeline.datasets.steps", "clean_document", "clean_document"),
        ("pipeline.cleaning.curate", "guess_language", "  guess_language"),
        ("pipeline.cleaning.curate", "remove_boilerplate", "  remove_boilerplate"),
        ("pipeline.cleaning.boilerplate.classify", "_mark_repeated", "    _mark_repeated"),
        ("pipeline.cleaning.curate", "remap_anchors", "  remap_anchors"),
        ("pipeline.datasets.steps", "segment_sections", "segment_sections"),
        ("pipeline.datasets.steps", "tag_languages", "tag_languages"),
        ("pipeline.datasets.steps", "redact_document", "redact_document"),
        ("pipeline.datasets.steps", "section_rows", "section_rows"),
        ("pipeline.datasets.steps", "quality_signals", "quality_signals"),
        ("pipeline.datasets.steps", "fingerprint", "fingerprint (dedup)"),
        ("pipeline.datasets.steps", "clean_row", "clean_row"),
    ],
}


class _Pipe:
    """The worker's end of the engine's pipe, in process: tasks to receive, messages sent back."""

    def __init__(self, tasks: list[tuple[int, list[int], bytes, bool]]) -> None:
        self.tasks = deque(tasks)
        self.sent: list[tuple[Any, ...]] = []

    def recv(self) -> Any:
        """The next task, then None (the engine's stop message)."""
        return self.tasks.popleft() if self.tasks else None

    def send(self, message: tuple[Any, ...]) -> None:
        """Keep a message of the worker."""
        self.sent.append(message)


def run_worker(fn: Callable[[Row], Row], batches: list[pa.RecordBatch], schema: pa.Schema) -> list[pa.Table]:
    """Each batch through the engine's worker loop in this process; the output tables, in input order."""
    # Tasks of TASK_ROWS rows, each prepared together first, as the engine gives them to its workers.
    pipe = _Pipe(
        [
            (i, list(range(start, min(start + TASK_ROWS, b.num_rows))), pack(b.slice(start, TASK_ROWS)), True)
            for i, b in enumerate(batches)
            for start in range(0, b.num_rows, TASK_ROWS)
        ]
    )
    _worker(fn, schema, pipe, [0.0, 0.0])  # type: ignore[arg-type]
    pieces: dict[int, list[tuple[list[int], pa.Table]]] = defaultdict(list)
    for kind, batch_id, *payload in pipe.sent:
        if kind == "failed":
            raise RuntimeError(f"a document of batch {batch_id} failed: {payload}")
        indices, packed = payload
        pieces[batch_id].append((indices, pa.Table.from_batches([unpack(packed)])))
    return [in_input_order(pieces[i], schema) for i in range(len(batches))]


@dataclass
class SubTimer:
    """CPU seconds spent inside wrapped functions, per label."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    restore: list[tuple[Any, str, Any]] = field(default_factory=list)

    def wrap(self, module_name: str, attribute: str, label: str) -> None:
        """Time every call of `module.attribute` made through the module's namespace."""
        module = sys.modules[module_name]
        original = getattr(module, attribute, None)
        if original is None:  # not in this version of the code
            return
        seconds = self.seconds

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            """The original call, its CPU time added to the label."""
            started = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                seconds[label] += time.process_time() - started

        setattr(module, attribute, timed)
        self.restore.append((module, attribute, original))

    def unwrap(self) -> None:
        """Put the original functions back."""
        for module, attribute, original in reversed(self.restore):
            setattr(module, attribute, original)
        self.restore.clear()


@dataclass
class Inputs:
    """The two steps' input batches and functions for one corpus."""

    parse_fn: Callable[[Row], Row]
    raw: list[pa.RecordBatch]
    curate_fn: Callable[[Row], Row]
    curate_inputs: Callable[[list[pa.Table]], list[pa.RecordBatch]]


def prepare(seeds: Path, work: Path) -> Inputs:
    """List the corpus as the ingest stage does; the curate inputs are built from the parse outputs."""
    stages.ingest.ingest(seeds, work / "raw.parquet", max_bytes=DEFAULT_MAX_BYTES, batch_size=BATCH_SIZE)
    raw = list(read_batches(work / "raw.parquet", batch_size=BATCH_SIZE))

    def curate_inputs(parsed: list[pa.Table]) -> list[pa.RecordBatch]:
        """The parsed stage file (with cache keys), its repeated lines, and the curate stage's batches."""
        keyed = [
            table.append_column(KEY_COLUMN, pa.array(parse_keys(batch), pa.string()))
            for table, batch in zip(parsed, raw, strict=True)
        ]
        path = work / "parsed.parquet"
        pq.write_table(pa.concat_tables(keyed).cast(with_cache_key(PARSED_STEP_SCHEMA)), path)
        stages.find_repeated(
            path, work / "repeated.parquet", min_docs=DEFAULT_MIN_DOCS, min_share=DEFAULT_MIN_SHARE
        )
        selected = pq.read_table(work / "repeated.parquet", columns=["line_hash"]).column(0).combine_chunks()
        return [stages.curate.with_repeated(b, selected) for b in read_batches(path, batch_size=BATCH_SIZE)]

    return Inputs(partial_parse(seeds), raw, CurateStep(CurateConfig()), curate_inputs)


def partial_parse(seeds: Path) -> Callable[[Row], Row]:
    """parse_step bound to the corpus folder, as the parse stage binds it."""
    return functools.partial(parse_step, SeedsConfig(str(seeds.resolve()), DEFAULT_MAX_BYTES))


def measure(
    name: str, fn: Callable[[Row], Row], batches: list[pa.RecordBatch], schema: pa.Schema, repeat: int
) -> tuple[list[pa.Table], dict[str, float]]:
    """Run a step `repeat` times, then once with sub-step timers; its outputs and CPU ms per document.

    `cold` is the first run: what a fresh worker of the local engine pays (every cache empty; what its fork
    server loads before forking, pipeline/datasets/warm.py, is loaded beforehand by `main`). `warm` is the
    best of the later runs, and the sub-steps are timed on a warm run too.
    """
    docs = sum(b.num_rows for b in batches)
    times: list[float] = []
    outputs: list[pa.Table] = []
    for _ in range(repeat):
        started = time.process_time()
        outputs = run_worker(fn, batches, schema)
        times.append(time.process_time() - started)
    # The engine's conversions alone: input rows to Python, output rows back to Arrow.
    started = time.process_time()
    rows = [b.to_pylist() for b in batches]
    to_py = time.process_time() - started
    results = [t.to_pylist() for t in outputs]
    started = time.process_time()
    for chunk in results:
        pa.RecordBatch.from_pylist(chunk, schema=schema)
    from_py = time.process_time() - started
    del rows, results
    timer = SubTimer()
    for module, attribute, label in SUB_STEPS[name]:
        timer.wrap(module, attribute, label)
    try:
        run_worker(fn, batches, schema)
    finally:
        timer.unwrap()
    ms = {"cold": 1000 * times[0] / docs, "warm": 1000 * min(times[1:] or times) / docs}
    ms["to_pylist (input)"] = 1000 * to_py / docs
    ms["from_pylist (output)"] = 1000 * from_py / docs
    ms.update(
        {label: 1000 * timer.seconds[label] / docs for *_, label in SUB_STEPS[name] if label in timer.seconds}
    )
    return outputs, ms


def profile(fn: Callable[[Row], Row], batches: list[pa.RecordBatch], schema: pa.Schema, top: int) -> str:
    """cProfile of one run of a step: the top functions by own time, and by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    run_worker(fn, batches, schema)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def run(seeds: Path, work: Path, args: argparse.Namespace) -> dict[str, pa.Table]:
    """Measure (and profile) both steps on one corpus; their output tables."""
    inputs = prepare(seeds, work)
    docs = sum(b.num_rows for b in inputs.raw)
    parsed, parse_ms = measure("parse", inputs.parse_fn, inputs.raw, PARSED_STEP_SCHEMA, args.repeat)
    curate_in = inputs.curate_inputs(parsed)
    curated, curate_ms = measure("curate", inputs.curate_fn, curate_in, CURATED_SCHEMA, args.repeat)
    print(f"\n{docs} documents from {seeds}: CPU ms per document ({args.repeat} runs)")
    rows = [("parse", k, round(v, 4)) for k, v in parse_ms.items()]
    rows += [("curate", k, round(v, 4)) for k, v in curate_ms.items()]
    rows += [("both", k, round(parse_ms[k] + curate_ms[k], 4)) for k in ("cold", "warm")]
    print_table(["step", "part", "ms/doc"], rows)
    print(
        json.dumps(
            {"bench": "steps", "corpus": str(seeds), "docs": docs, "parse": parse_ms, "curate": curate_ms}
        )
    )
    if args.profile:
        print(profile(inputs.parse_fn, inputs.raw, PARSED_STEP_SCHEMA, args.top))
        print(profile(inputs.curate_fn, curate_in, CURATED_SCHEMA, args.top))
    return {"parse": pa.concat_tables(parsed), "curate": pa.concat_tables(curated)}


def compare(outputs: dict[str, pa.Table], stored: Path) -> list[str]:
    """Differences between the outputs and the tables stored under `stored` (empty: identical)."""
    problems: list[str] = []
    for step, table in outputs.items():
        expected = pq.read_table(stored / f"{step}.parquet")
        if table.equals(expected):
            continue
        if table.schema != expected.schema or table.num_rows != expected.num_rows:
            problems.append(f"{step}: schema or row count differs")
            continue
        for name in table.column_names:
            got, want = table.column(name).to_pylist(), expected.column(name).to_pylist()
            bad = [i for i, (a, b) in enumerate(zip(got, want, strict=True)) if a != b]
            if bad:
                path = table.column("source_path")[bad[0]].as_py()
                problems.append(f"{step}.{name}: {len(bad)} rows differ, first {path}")
    return problems


def corpora(args: argparse.Namespace, base: Path) -> Iterator[Path]:
    """The corpus folder(s) to run on: the given one, or one written by bench/make_corpus.py."""
    if args.seeds is not None:
        yield args.seeds
        return
    from bench.make_corpus import write_corpus

    folder = base / "corpus"
    if args.source == "samples":
        write_corpus(folder, args.docs, "samples", html_share=args.html, mojibake=args.mojibake)
    else:
        write_corpus(folder, args.docs, "real", mojibake=args.mojibake)
    yield folder


def main() -> None:
    """Measure, then save or check the outputs."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=2000, help="documents in the benchmark corpus")
    parser.add_argument(
        "--source",
        choices=("real", "samples"),
        default="real",
        help="real: documents of ../shared/dev-data; samples: generated from the samples",
    )
    parser.add_argument(
        "--html", type=float, default=0.0, help="share of HTML pages, samples corpus only (0: text)"
    )
    parser.add_argument("--mojibake", type=float, default=0.02, help="share of double-encoded documents")
    parser.add_argument("--seeds", type=Path, help="run on this folder instead of a generated corpus")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step: the first (cold), then warm")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions per step")
    parser.add_argument("--top", type=int, default=30, help="functions shown per profile listing")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--save", type=Path, help="store the steps' output tables in this folder")
    group.add_argument("--check", type=Path, help="compare the outputs with tables stored by --save")
    args = parser.parse_args()
    if args.source == "real" and args.html:
        parser.error("--html needs --source samples: the real corpus is plain text")
    with contextlib.suppress(ImportError):  # what the engine's fork server loads before forking workers
        importlib.import_module("pipeline.datasets.warm")
    base = Path(tempfile.mkdtemp(prefix="webcurate-steps-"))
    try:
        for seeds in corpora(args, base):
            outputs = run(seeds, base, args)
            if args.save:
                args.save.mkdir(parents=True, exist_ok=True)
                for step, table in outputs.items():
                    pq.write_table(table, args.save / f"{step}.parquet")
                print(f"saved the outputs to {args.save}")
            if args.check:
                problems = compare(outputs, args.check)
                print("\n".join(problems) if problems else f"outputs identical to {args.check}")
                if problems:
                    sys.exit(1)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
