"""Deterministic benchmark corpora: real scraped text (`--source real`) or recombined samples (`samples`).

`real` (the default of bench.run, bench.compare and bench.bench_steps): documents drawn with replacement
(fixed seed) from the development data's plain-text web documents, `../shared/dev-data/text-dumps/docs`
(news and blog pages as scraped text dumps; the 28 synthetic Readability unit-test pages are left out) and
`../shared/dev-data/line-labels/docs` (multilingual web text: de, en, es, fi, fr, sv). Each document gets
one line of its own (`Article ID: 000123`, under its first line or as its last) so that no two are
byte-identical, and a share of them (2%) is turned to mojibake the way it happens: the UTF-8 bytes read as
Windows-1252 (or, one time in four, Latin-1) and saved again as UTF-8; those are picked among documents
with non-ASCII text, on which the damage shows. Files are `NNN/NNNNNN.txt`, 1,000 per folder.

`samples`: documents recombine the article paragraphs and headings of seeds/ (English and German), with
boilerplate blocks injected between paragraphs and at the end, in three formats (text dump, Markdown
with front matter, HTML page), and a share of them double-encoded (mojibake).

The same arguments (and the same dev data) always give the same bytes.

    .venv/bin/python -m bench.make_corpus --docs 10000 --out /tmp/corpus [--source real] [--mojibake 0.02]
    .venv/bin/python -m bench.make_corpus --source samples --docs 10000 --out /tmp/corpus \\
        [--mojibake 0.02] [--german 0.2] [--html 0.1]
"""

from __future__ import annotations

import argparse
import html
import json
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import ftfy.bad_codecs  # noqa: F401 - registers the "sloppy-windows-1252" codec used to make mojibake

from bench.common import REPO, dev_data
from pipeline.cleaning.curate import clean_document
from pipeline.cleaning.document import ParsedDocument, RawDocument
from pipeline.cleaning.formats import parse_document

# Boilerplate blocks as scrapers leave them in text dumps, in English and German.
BOILERPLATE: dict[str, list[str]] = {
    "en": [
        "Subscribe to our Daily newsletter\n\nGet our daily awesome stories & videos in your inbox",
        "Also Read: Ten things we learned at the conference this year",
        "Download our Mobile App",
        "Our Upcoming Events\n\n24th Mar, 2023 | Webinar\nWomen-in-Tech: Are you ready for the Techade\n\n"
        "23 Jun, 2023 | Bangalore\nMachineCon India 2023",
        "3 Ways to Join our Community\n\nTelegram group\n\nDiscord Server",
        "Share on Facebook\nShare on Twitter\nShare on LinkedIn",
        "We use cookies to improve your experience. By continuing you accept our cookie policy.",
        "© 2024 Example Media Ltd. All rights reserved.",
        "Cover Photo: Getty Images",
    ],
    "de": [
        "Bildquelle: Das Bild wurde mit KI generiert, Bildrechte liegen bei Midjourney.",
        "Chip Technologie (3)",
        "Abonnieren Sie unseren Newsletter\n\nDie wichtigsten Nachrichten jeden Morgen in Ihrem Postfach",
        "Das könnte Sie auch interessieren: Zehn Dinge, die wir auf der Messe gelernt haben",
        "Wir verwenden Cookies, um Ihnen das beste Nutzererlebnis zu bieten.",
        "© 2024 Beispiel Verlag GmbH. Alle Rechte vorbehalten.",
    ],
}
FORMATS = ("text", "markdown", "html")
SOURCES = ("real", "samples")
# The dev-data folders the real corpus draws from (each: docs/*.txt, truth.jsonl).
REAL_FOLDERS = ("text-dumps", "line-labels")
DOCS_PER_FOLDER = 1000
# How mojibake is made: UTF-8 bytes decoded as Windows-1252 (ftfy's sloppy codec: the five bytes cp1252
# leaves undefined become the Latin-1 control characters, as browsers and most tools do), else as Latin-1.
MOJIBAKE_CODECS = ("sloppy-windows-1252", "sloppy-windows-1252", "sloppy-windows-1252", "latin-1")


@dataclass(frozen=True)
class Pool:
    """Article paragraphs and headings of one language, taken from the curated samples."""

    paragraphs: list[str]
    headings: list[str]


def sample_pools(seeds_dir: Path = REPO / "seeds") -> dict[str, Pool]:
    """Curate the samples and split them into paragraph and heading pools per language."""
    pools: dict[str, Pool] = {"en": Pool([], []), "de": Pool([], [])}
    for path in sorted(seeds_dir.iterdir()):
        data = path.read_bytes()
        parsed = parse_document(RawDocument(path.name, path.name, data, ""))
        if not isinstance(parsed, ParsedDocument):
            continue
        language = "de" if path.name.startswith("004") else "en"
        text = clean_document(parsed).doc.text
        headings = {h.text for h in parsed.headings}
        for block in text.split("\n\n"):
            block = block.strip()
            if block in headings or (len(block) < 60 and "\n" not in block and not block.endswith(".")):
                pools[language].headings.append(block)
            elif len(block) >= 60:
                pools[language].paragraphs.append(block)
    return pools


def compose(rng: random.Random, pool: Pool, language: str) -> tuple[str, list[tuple[str, int]], str]:
    """A title, blocks (text, heading level or 0), and a body in plain-text-dump form."""
    title = rng.choice(pool.headings or ["Untitled"])
    blocks: list[tuple[str, int]] = []
    for index in range(rng.randint(3, 10)):
        if index and pool.headings and rng.random() < 0.25:
            blocks.append((rng.choice(pool.headings), 2))
        blocks.append((rng.choice(pool.paragraphs), 0))
        if rng.random() < 0.2:
            blocks.append((rng.choice(BOILERPLATE[language]), -1))
    for _ in range(rng.randint(0, 3)):  # the boilerplate-dense tail of a page dump
        blocks.append((rng.choice(BOILERPLATE[language] + BOILERPLATE["en"]), -1))
    return title, blocks, "\n\n".join(text for text, _ in blocks)


def render(rng: random.Random, fmt: str, title: str, blocks: list[tuple[str, int]], body: str) -> str:
    """The document in one of the three formats."""
    if fmt == "text":
        return f"{title}\n\n{body}\n"
    if fmt == "markdown":
        parts = [f"## {text}" if level > 0 else text for text, level in blocks]
        day = rng.randint(1, 28)
        return (
            f'---\ntitle: "{title}"\ndate: 2024-03-{day:02d}\ntags: [ai, amazon]\n---\n\n'
            + "\n\n".join(parts)
            + "\n"
        )
    items = []
    for text, level in blocks:
        escaped = html.escape(text).replace("\n", "<br>")
        items.append(f"<h2>{escaped}</h2>" if level > 0 else f"<p>{escaped}</p>")
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body>"
        "<nav><a href='/'>Home</a> | <a href='/tech'>Tech</a> | <a href='/about'>About</a></nav>"
        f"<article><h1>{html.escape(title)}</h1>{''.join(items)}</article>"
        "<footer>© 2024 Example Media Ltd. All rights reserved.</footer></body></html>"
    )


def generate(
    n_docs: int, *, seed: int = 7, mojibake: float = 0.02, german: float = 0.2, html_share: float = 0.1
) -> Iterator[tuple[str, bytes]]:
    """(file name, bytes) of each generated document, deterministically."""
    rng = random.Random(seed)
    pools = sample_pools()
    markdown_share = 0.3
    for index in range(n_docs):
        language = "de" if rng.random() < german else "en"
        roll = rng.random()
        fmt = "html" if roll < html_share else "markdown" if roll < html_share + markdown_share else "text"
        title, blocks, body = compose(rng, pools[language], language)
        text = render(rng, fmt, title, blocks, body)
        data = text.encode("utf-8")
        if rng.random() < mojibake:
            data = text.encode("utf-8").decode("sloppy-windows-1252").encode("utf-8")
        suffix = {"text": "txt", "markdown": "md", "html": "html"}[fmt]
        yield f"{index // 1000:03d}/{index:06d}_{language}.{suffix}", data


@dataclass(frozen=True)
class RealDocument:
    """A document of the real corpus: file name, bytes, the dev-data file it came from, its mojibake codec."""

    name: str
    data: bytes
    source: str  # "<folder>/docs/<file>" below ../shared/dev-data
    mojibake: str | None  # the codec its UTF-8 bytes were misread with, or None


def real_pool(root: Path | None = None) -> list[tuple[str, str]]:
    """(dev-data path, text) of every real document to draw from, in a fixed order."""
    pool: list[tuple[str, str]] = []
    for folder in REAL_FOLDERS:
        base = (root / folder) if root is not None else dev_data(folder)
        synthetic: set[str] = set()
        truth = base / "truth.jsonl"
        if truth.is_file():
            with truth.open(encoding="utf-8") as handle:
                synthetic = {json.loads(line)["id"] for line in handle if '"synthetic": true' in line}
        for path in sorted((base / "docs").glob("*.txt")):
            if path.stem not in synthetic:
                pool.append((f"{folder}/docs/{path.name}", path.read_text(encoding="utf-8")))
    if not pool:
        raise FileNotFoundError(f"no documents in the dev-data folders {REAL_FOLDERS}")
    return pool


def id_line(index: int) -> str:
    """The line that makes document `index` unique."""
    return f"Article ID: {index:06d}"


def with_unique_line(rng: random.Random, text: str, index: int) -> str:
    """`text` with its id line under its first line (a dateline) or as its last line (a footer)."""
    first, newline, rest = text.partition("\n")
    if newline and rest and rng.random() < 0.5:
        return f"{first}\n{id_line(index)}\n{rest}"
    ending = "" if text.endswith("\n") else "\n"
    return f"{text}{ending}{id_line(index)}\n"


def generate_real(
    n_docs: int, *, seed: int = 7, mojibake: float = 0.02, root: Path | None = None
) -> Iterator[RealDocument]:
    """The real-text corpus, document by document, deterministically (`root`: the dev-data folder)."""
    rng = random.Random(seed)
    pool = real_pool(root)
    picks = [rng.randrange(len(pool)) for _ in range(n_docs)]
    # Exactly round(share x N) mojibake documents, among those whose text has non-ASCII characters.
    visible = [i for i, pick in enumerate(picks) if not pool[pick][1].isascii()]
    broken = set(rng.sample(visible, min(len(visible), round(mojibake * n_docs))))
    for index, pick in enumerate(picks):
        source, text = pool[pick]
        text = with_unique_line(rng, text, index)
        codec = rng.choice(MOJIBAKE_CODECS) if index in broken else None
        if codec is not None:
            text = text.encode("utf-8").decode(codec)
        name = f"{index // DOCS_PER_FOLDER:03d}/{index:06d}.txt"
        yield RealDocument(name, text.encode("utf-8"), source, codec)


def corpus_files(source: str, n_docs: int, **options: float) -> Iterator[tuple[str, bytes]]:
    """(file name, bytes) of each document of either corpus."""
    if source == "real":
        unknown = set(options) - {"seed", "mojibake"}
        if unknown:
            raise ValueError(f"the real corpus has no option {sorted(unknown)}: it is plain text only")
        for doc in generate_real(n_docs, **options):  # type: ignore[arg-type]
            yield doc.name, doc.data
    elif source == "samples":
        yield from generate(n_docs, **options)  # type: ignore[arg-type]
    else:
        raise ValueError(f"unknown corpus source {source!r}; choose from {SOURCES}")


def write_corpus(out: Path, n_docs: int, source: str = "samples", **options: float) -> int:
    """Write the corpus below `out` (replacing it); returns the number of bytes written."""
    if out.exists():
        shutil.rmtree(out)
    total = 0
    for name, data in corpus_files(source, n_docs, **options):
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        total += len(data)
    return total


def main() -> None:
    """Write a corpus to disk and say how big it is."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--source", choices=SOURCES, default="real", help="real dev-data text, or the samples"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--mojibake", type=float, default=0.02, help="share of double-encoded documents")
    parser.add_argument("--german", type=float, help="share of German documents (samples; default 0.2)")
    parser.add_argument("--html", type=float, help="share of HTML pages (samples; default 0.1)")
    args = parser.parse_args()
    options = {"seed": args.seed, "mojibake": args.mojibake}
    if args.source == "samples":
        options.update(german=0.2 if args.german is None else args.german)
        options.update(html_share=0.1 if args.html is None else args.html)
    elif args.german is not None or args.html is not None:
        parser.error("--german and --html shape the samples corpus only (--source samples)")
    size = write_corpus(args.out, args.docs, args.source, **options)
    print(f"wrote {args.docs} {args.source} documents, {size / 1e6:.1f} MB, to {args.out}")


if __name__ == "__main__":
    main()
