"""Deduplication on a generated corpus with planted duplicates: precision and recall of exact and near
duplicates, speed of the fingerprints and of the corpus step, peak memory.

The corpus (deterministic for a seed) holds:
- distinct documents: sentences drawn from the vocabulary of the seeds' article paragraphs;
- hard negatives: groups of documents sharing a template (a title line, boilerplate blocks and article
  paragraphs of bench/make_corpus.py) around their own bodies, Jaccard similarity 0.3-0.6 within a group;
- planted exact duplicates of some distinct documents: identical copies and copies with whitespace,
  case, punctuation or Unicode-form changes (equal after normalisation);
- planted near duplicates: copies with a changed or inserted sentence, word edits, an appended
  boilerplate line (some also with case or whitespace changes), edited until the exact Jaccard
  similarity of their 5-word shingles lies in [0.85, 0.95].

Paths are random, so the kept document of a cluster is sometimes the copy. Scores count pairs:
recall is the share of planted (copy, original) pairs that end with the same kept document; precision
is the share of decisions whose document and kept document belong to the same planted cluster. An
incremental run also deduplicates the whole corpus against the kept documents of a first run over 80%
of it, and reports how many of those stay kept.

    .venv/bin/python -m bench.eval_dedup [--docs 10000] [--seed 7] [--threshold 0.8] [--json out.jsonl]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pyarrow as pa

from bench.common import peak_rss_mb, print_table
from bench.make_corpus import BOILERPLATE, sample_pools
from pipeline.cleaning.dedup import NUM_PERM, fingerprint, shingle_hashes
from pipeline.datasets.dedup import (
    DEFAULT_THRESHOLD,
    EXACT_RULE,
    FINGERPRINT_FIELDS,
    NEAR_RULE,
    find_duplicates,
)

EXACT_KINDS = ("identical", "whitespace", "case", "punctuation", "unicode")
NEAR_KINDS = ("changed_sentence", "inserted_sentence", "word_edits", "appended_boilerplate")
NEAR_RANGE = (0.85, 0.95)
SITES = ("news.example", "blog.example", "mirror.example", "aggregator.example", "feed.example")
BATCH = 500
T = TypeVar("T")
INPUT_SCHEMA = pa.schema(
    [pa.field("doc_id", pa.string()), pa.field("source_path", pa.string()), *FINGERPRINT_FIELDS]
)


@dataclass
class Doc:
    """A generated document: its id, path, text, planted cluster and how it was made."""

    doc_id: str
    path: str
    text: str
    cluster: int
    kind: str  # "original", "distinct", "template", or an exact or near edit kind


class Writer:
    """Sentences, paragraphs and documents from the seeds' vocabulary, deterministically."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        pools = sample_pools()
        self.paragraphs = pools["en"].paragraphs
        counts = Counter(w for p in self.paragraphs for w in re.findall(r"[A-Za-z][A-Za-z'-]*", p))
        self.vocabulary = sorted(counts)
        weights = np.array([counts[w] for w in self.vocabulary], dtype=float) ** 0.8
        self.cumulative = np.cumsum(weights).tolist()

    def words(self, n: int) -> list[str]:
        """`n` words drawn by (damped) frequency."""
        return self.rng.choices(self.vocabulary, cum_weights=self.cumulative, k=n)

    def sentence(self) -> str:
        """One sentence of 8-24 words, capitalised, with the odd comma."""
        words = self.words(self.rng.randint(8, 24))
        if len(words) > 10 and self.rng.random() < 0.4:
            words[self.rng.randint(3, len(words) - 4)] += ","
        return words[0].capitalize() + " " + " ".join(words[1:]) + "."

    def body(self, n_words: int) -> str:
        """Paragraphs of 2-6 sentences until about `n_words` words."""
        paragraphs: list[str] = []
        total = 0
        while total < n_words:
            sentences = [self.sentence() for _ in range(self.rng.randint(2, 6))]
            total += sum(len(s.split()) for s in sentences)
            paragraphs.append(" ".join(sentences))
        return "\n\n".join(paragraphs)


def jaccard(first: str, second: str) -> float:
    """Exact Jaccard similarity of two texts' 5-word shingle sets."""
    a, b = set(shingle_hashes(first).tolist()), set(shingle_hashes(second).tolist())
    return len(a & b) / len(a | b) if a | b else 1.0


# --- edits -------------------------------------------------------------------------------------------


def exact_variant(rng: random.Random, text: str, kind: str) -> str:
    """A copy equal to `text` after normalisation."""
    if kind == "whitespace":
        return "  " + re.sub(r" ", lambda _: rng.choice([" ", "  ", "\n", " \t "]), text) + "\n\n"
    if kind == "case":
        return text.upper() if rng.random() < 0.5 else text.title()
    if kind == "punctuation":
        text = text.replace(",", "").replace(".", rng.choice(["!", " .", "…", ";"]))
        return f"“{text}”"
    if kind == "unicode":
        return text.replace(" ", "\u00a0", 40).replace("'", "’")
    return text


def near_edit(rng: random.Random, writer: Writer, text: str, kind: str) -> str:
    """`text` with one edit of `kind`."""
    sentences = re.split(r"(?<=\.) ", text)
    if kind == "changed_sentence":
        sentences[rng.randrange(len(sentences))] = writer.sentence()
        return " ".join(sentences)
    if kind == "inserted_sentence":
        sentences.insert(rng.randrange(len(sentences) + 1), writer.sentence())
        return " ".join(sentences)
    if kind == "word_edits":
        words = text.split(" ")
        for _ in range(rng.randint(1, 3)):
            words[rng.randrange(len(words))] = writer.words(1)[0]
        return " ".join(words)
    block = rng.choice(BOILERPLATE["en"]).split("\n")[0]
    return f"{text}\n\n{block}"


def near_variant(rng: random.Random, writer: Writer, text: str) -> tuple[str, str] | None:
    """A copy with Jaccard similarity in NEAR_RANGE from `text` and its first edit kind (None if the
    document is too short to land in the range)."""
    for _ in range(8):
        target = rng.uniform(*NEAR_RANGE)
        kind = rng.choice(NEAR_KINDS)
        copy, similarity = text, 1.0
        for step in range(12):
            edited = near_edit(rng, writer, copy, kind if step == 0 else rng.choice(NEAR_KINDS))
            j = jaccard(text, edited)
            if j < NEAR_RANGE[0]:
                break
            copy, similarity = edited, j
            if similarity <= target:
                break
        if NEAR_RANGE[0] <= similarity <= NEAR_RANGE[1]:
            if rng.random() < 0.3:
                copy = exact_variant(rng, copy, rng.choice(("whitespace", "case")))
            return copy, kind
    return None


# --- the corpus ----------------------------------------------------------------------------------------


def generate(n_docs: int, seed: int) -> list[Doc]:
    """The corpus: distinct documents, template groups, and clusters with planted copies, shuffled."""
    rng = random.Random(seed)
    writer = Writer(rng)
    docs: list[Doc] = []
    cluster = 0

    def add(text: str, kind: str, of: int) -> None:
        """Add a document with a fresh random path."""
        path = f"{rng.choice(SITES)}/{rng.getrandbits(48):012x}.txt"
        docs.append(Doc(f"d{len(docs):07d}", path, text, of, kind))

    while len(docs) < n_docs // 5:  # the template groups first
        shared = [rng.choice(writer.paragraphs) for _ in range(rng.randint(1, 3))]
        chrome = [rng.choice(BOILERPLATE["en"]) for _ in range(rng.randint(2, 4))]
        title = " ".join(writer.words(6)).title()
        template_words = sum(len(p.split()) for p in shared + chrome)
        for _ in range(rng.randint(5, 20)):
            body = writer.body(int(template_words * rng.uniform(0.4, 1.2)) + 20)
            add("\n\n".join([title, shared[0], body, *shared[1:], *chrome]), "template", cluster)
            cluster += 1
    while len(docs) < n_docs:
        text = writer.body(rng.randint(150, 700))
        if rng.random() < 0.08:
            add(text, "original", cluster)
            for _ in range(rng.randint(1, 3)):
                if rng.random() < 0.5:
                    kind = rng.choice(EXACT_KINDS)
                    add(exact_variant(rng, text, kind), kind, cluster)
                elif (variant := near_variant(rng, writer, text)) is not None:
                    add(variant[0], variant[1], cluster)
        else:
            add(text, "distinct", cluster)
        cluster += 1
    rng.shuffle(docs)
    return docs[:n_docs]


def template_similarity(docs: Sequence[Doc], rng: random.Random, pairs: int = 300) -> list[float]:
    """Exact Jaccard similarity of random pairs of documents made from the same template."""
    by_title: dict[str, list[Doc]] = {}
    for doc in docs:
        if doc.kind == "template":
            by_title.setdefault(doc.text.split("\n\n", 1)[0], []).append(doc)
    groups = [g for g in by_title.values() if len(g) > 1]
    found = []
    for _ in range(pairs if groups else 0):
        a, b = rng.sample(rng.choice(groups), 2)
        found.append(jaccard(a.text, b.text))
    return found


# --- running and scoring -------------------------------------------------------------------------------


def batches(docs: Sequence[Doc], keys: Sequence[int], signatures: np.ndarray) -> Iterator[pa.RecordBatch]:
    """The fingerprints as record batches, as a stage file would stream them."""
    for start in range(0, len(docs), BATCH):
        part = docs[start : start + BATCH]
        sigs = signatures[start : start + BATCH]
        offsets = pa.array(np.arange(0, sigs.size + 1, sigs.shape[1], dtype=np.int32))
        yield pa.RecordBatch.from_arrays(
            [
                pa.array([d.doc_id for d in part]),
                pa.array([d.path for d in part]),
                pa.array(keys[start : start + BATCH], pa.int64()),
                pa.ListArray.from_arrays(offsets, pa.array(sigs.ravel(), pa.uint32())),
            ],
            schema=INPUT_SCHEMA,
        )


def score(docs: Sequence[Doc], decisions: pa.Table) -> dict[str, float | int]:
    """Pair precision and recall, overall and per rule (exact, near)."""
    cluster = {d.doc_id: d.cluster for d in docs}
    kept = {d.doc_id: d.doc_id for d in docs}
    rows = decisions.to_pylist()
    for row in rows:
        kept[row["doc_id"]] = row["duplicate_of"]
    original = {d.cluster: d.doc_id for d in docs if d.kind == "original"}
    planted = {"exact": [0, 0], "near": [0, 0]}  # found, total
    for doc in docs:
        group = "exact" if doc.kind in EXACT_KINDS else "near" if doc.kind in NEAR_KINDS else None
        if group:
            planted[group][1] += 1
            planted[group][0] += kept[doc.doc_id] == kept[original[doc.cluster]]
    predicted = {"exact": [0, 0], "near": [0, 0]}  # correct, total
    for row in rows:
        group = "exact" if row["rule"] == EXACT_RULE else "near"
        predicted[group][1] += 1
        predicted[group][0] += cluster[row["doc_id"]] == cluster.get(row["duplicate_of"], -1)
    result: dict[str, float | int] = {}
    for group in ("exact", "near", "all"):
        found, total = (
            [sum(v[i] for v in planted.values()) for i in (0, 1)] if group == "all" else planted[group]
        )
        correct, made = (
            [sum(v[i] for v in predicted.values()) for i in (0, 1)] if group == "all" else predicted[group]
        )
        result[f"{group}_planted"] = total
        result[f"{group}_decisions"] = made
        result[f"{group}_precision"] = round(correct / made, 4) if made else 1.0
        result[f"{group}_recall"] = round(found / total, 4) if total else 1.0
    return result


def timed(function: Callable[[], T]) -> tuple[T, float, float]:
    """The result, wall seconds and CPU seconds of a call."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def run(n_docs: int, seed: int, threshold: float) -> dict[str, object]:
    """Generate, fingerprint, deduplicate (whole and incremental) and score."""
    started = time.perf_counter()
    docs = generate(n_docs, seed)
    generated_s = time.perf_counter() - started
    kinds = Counter(d.kind for d in docs)
    negatives = template_similarity(docs, random.Random(seed))

    prints, fp_wall, fp_cpu = timed(lambda: [fingerprint(d.text) for d in docs])
    keys = [p.exact_key for p in prints]
    signatures = np.stack([p.signature for p in prints])
    chars = sum(len(d.text) for d in docs)

    dedup, dd_wall, dd_cpu = timed(
        lambda: find_duplicates(batches(docs, keys, signatures), threshold=threshold)
    )
    scores = score(docs, dedup.decisions)
    stats = dedup.stats
    near = [r for r in dedup.decisions.to_pylist() if r["rule"] == NEAR_RULE]
    text = {d.doc_id: d.text for d in docs}
    true_near = [jaccard(text[r["doc_id"]], text[r["duplicate_of"]]) for r in near]

    # Incremental: the first 80% deduplicated alone is the previous version; then the whole corpus.
    cut = int(len(docs) * 0.8)
    first_run = find_duplicates(batches(docs[:cut], keys[:cut], signatures[:cut]), threshold=threshold)
    dropped = set(first_run.decisions.column("doc_id").to_pylist())
    kept_rows = [i for i in range(cut) if docs[i].doc_id not in dropped]
    previous = batches([docs[i] for i in kept_rows], [keys[i] for i in kept_rows], signatures[kept_rows])
    again, inc_wall, _ = timed(
        lambda: find_duplicates(batches(docs, keys, signatures), previous, threshold=threshold)
    )
    incremental = again.decisions
    still_kept = len(set(docs[i].doc_id for i in kept_rows) - set(incremental.column("doc_id").to_pylist()))
    return {
        "docs": len(docs),
        "chars": chars,
        "kinds": dict(sorted(kinds.items())),
        "generate_s": round(generated_s, 2),
        "template_pair_jaccard_max": round(max(negatives), 3) if negatives else None,
        "template_pair_jaccard_mean": round(float(np.mean(negatives)), 3) if negatives else None,
        **scores,
        "near_decisions_true_jaccard_min": round(min(true_near), 3) if true_near else None,
        "near_decisions_true_jaccard_below_threshold": sum(j < threshold for j in true_near),
        "fingerprint_s": round(fp_wall, 3),
        "fingerprint_cpu_s": round(fp_cpu, 3),
        "fingerprint_docs_per_s": round(len(docs) / fp_wall, 1),
        "fingerprint_us_per_doc": round(fp_wall / len(docs) * 1e6, 1),
        "fingerprint_cpu_us_per_doc": round(fp_cpu / len(docs) * 1e6, 1),
        "corpus_step_s": round(dd_wall, 3),
        "corpus_step_cpu_s": round(dd_cpu, 3),
        "corpus_step_docs_per_s": round(len(docs) / dd_wall, 1),
        "corpus_step_us_per_doc": round(dd_wall / len(docs) * 1e6, 1),
        "corpus_step_cpu_us_per_doc": round(dd_cpu / len(docs) * 1e6, 1),
        "candidate_pairs": stats.candidate_pairs,
        "verified_pairs": stats.verified_pairs,
        "bands": stats.bands,
        "rows": stats.rows,
        "signature_mb": round(len(docs) * NUM_PERM * 4 / 1e6, 1),
        "incremental": {
            "previous_kept": len(kept_rows),
            "previous_kept_still_kept": still_kept,
            "corpus_step_s": round(inc_wall, 3),
            **{k: v for k, v in score(docs, incremental).items() if k.startswith("all_")},
        },
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Run the evaluation and print a table and a JSON line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=10_000, help="documents in the generated corpus")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="near-duplicate Jaccard")
    parser.add_argument("--json", help="also append the JSON line to this file")
    args = parser.parse_args(argv)
    report = run(args.docs, args.seed, args.threshold)
    print(f"corpus: {report['docs']:,} documents, {report['chars']:,} chars; kinds {report['kinds']}")
    print(
        f"template pairs (hard negatives): Jaccard mean {report['template_pair_jaccard_mean']}, "
        f"max {report['template_pair_jaccard_max']}"
    )
    print()
    print_table(
        ["duplicates", "planted", "decisions", "precision", "recall"],
        [
            (
                g,
                report[f"{g}_planted"],
                report[f"{g}_decisions"],
                report[f"{g}_precision"],
                report[f"{g}_recall"],
            )
            for g in ("exact", "near", "all")
        ],
    )
    print()
    print_table(
        ["step", "seconds", "CPU s", "docs/s", "us/doc", "CPU us/doc"],
        [
            (
                name,
                report[f"{key}_s"],
                report[f"{key}_cpu_s"],
                report[f"{key}_docs_per_s"],
                report[f"{key}_us_per_doc"],
                report[f"{key}_cpu_us_per_doc"],
            )
            for name, key in (("fingerprints", "fingerprint"), ("corpus step", "corpus_step"))
        ],
    )
    incremental = report["incremental"]
    print()
    below, lowest = (
        report["near_decisions_true_jaccard_below_threshold"],
        report["near_decisions_true_jaccard_min"],
    )
    print(
        f"LSH: {report['bands']} bands x {report['rows']} rows, {report['candidate_pairs']:,} candidate "
        f"pairs, {report['verified_pairs']:,} verified; near decisions whose exact Jaccard is below the "
        f"threshold: {below} (lowest {lowest})"
    )
    print(f"incremental against a first run over 80%: {incremental}")
    print(f"signatures: {report['signature_mb']} MB; peak RSS {report['peak_rss_mb']} MiB")
    line = json.dumps({"bench": "dedup", **report})
    print(line)
    if args.json:
        with open(args.json, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")


if __name__ == "__main__":
    main()
