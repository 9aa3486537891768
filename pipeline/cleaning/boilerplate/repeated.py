"""The corpus signal: lines repeated across many documents are boilerplate (as in CCNet).

CCNet (Wenzek et al. 2020) deduplicates paragraphs by a hash of the normalised line: lowercased,
digits replaced by 0, punctuation stripped, whitespace collapsed. A line that many documents of
a crawl share is a site's navigation, footer or widget text, not article content.

Use: `counts = count_lines(texts)`, then
`repeated = select_repeated(counts, n_docs)` and pass it to
`remove_boilerplate(text, repeated_lines=repeated)`.

At corpus scale the lines themselves are never gathered: each document contributes the 64-bit hashes of
its distinct normalised lines (`line_hashes`, computed where the document is parsed), the counting is a
sort of integers (`count_hashes`), and a document gets back the lines of its own whose hash was selected
(`lines_with_hashes`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

MIN_LINE_CHARS = 20  # shorter lines ("Home", "Share", a date) repeat naturally and are never candidates
DEFAULT_MIN_DOCS = 10  # a line must be seen in at least this many documents ...
DEFAULT_MIN_SHARE = 0.01  # ... and in at least this share of the corpus

_DIGITS = re.compile(r"\d")
_PUNCT = re.compile(r"[^\w\s]")


class _CharMap(dict[int, str | None]):
    """The per-character part of the normalisation as a str.translate table, filled on first sight of
    each character: nonspacing marks deleted (accents, after NFD), digits to 0, punctuation to space."""

    def __missing__(self, code: int) -> str | None:
        """Decide a character once; translate() then finds it in the dict at C speed."""
        char = chr(code)
        if unicodedata.category(char) == "Mn":
            value: str | None = None
        elif _DIGITS.fullmatch(char):
            value = "0"
        elif _PUNCT.fullmatch(char):
            value = " "
        else:
            value = char
        self[code] = value
        return value


_CHARS = _CharMap()


def normalise_line(line: str) -> str:
    """CCNet normalisation: lowercase, accents and punctuation dropped, digits to 0, spaces collapsed."""
    # One translate and one split replace a Python loop over the characters and three regex passes;
    # split() and the regex \s agree on what is whitespace.
    return " ".join(unicodedata.normalize("NFD", line.lower()).translate(_CHARS).split())


def count_lines(texts: Iterable[str]) -> Counter[str]:
    """In how many documents each normalised line occurs (a line counts once per document)."""
    counts: Counter[str] = Counter()
    for text in texts:
        seen = {normalise_line(line) for line in text.splitlines()}
        counts.update(n for n in seen if len(n) >= MIN_LINE_CHARS)
    return counts


def select_repeated(
    counts: Counter[str],
    n_docs: int,
    min_docs: int = DEFAULT_MIN_DOCS,
    min_share: float = DEFAULT_MIN_SHARE,
) -> frozenset[str]:
    """The normalised lines seen in at least `min_docs` documents and `min_share` of the corpus."""
    if n_docs <= 0:
        return frozenset()
    threshold = repeated_threshold(n_docs, min_docs, min_share)
    return frozenset(line for line, c in counts.items() if c >= threshold and len(line) >= MIN_LINE_CHARS)


def line_hash(normalised: str) -> int:
    """A signed 64-bit hash of a normalised line (blake2b: stable across processes, unlike hash())."""
    digest = hashlib.blake2b(normalised.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def line_hashes(text: str) -> list[int]:
    """The sorted hashes of the distinct normalised lines of `text` that are long enough to count."""
    seen = {normalise_line(line) for line in text.splitlines()}
    return sorted({line_hash(n) for n in seen if len(n) >= MIN_LINE_CHARS})


def count_hashes(hashes: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(distinct hashes, number of documents with each) from per-batch arrays of per-document hashes."""
    if not hashes:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    values, counts = np.unique(np.concatenate(hashes).astype(np.int64, copy=False), return_counts=True)
    return values, counts.astype(np.int64)


def repeated_threshold(
    n_docs: int, min_docs: int = DEFAULT_MIN_DOCS, min_share: float = DEFAULT_MIN_SHARE
) -> float:
    """How many documents a line must be seen in to count as repeated in a corpus of `n_docs`."""
    return max(min_docs, min_share * n_docs)


def lines_with_hashes(text: str, hashes: Iterable[int]) -> frozenset[str]:
    """The normalised lines of `text` whose hash is among `hashes` (its share of the repeated lines)."""
    wanted = set(hashes)
    if not wanted:
        return frozenset()
    seen = {normalise_line(line) for line in text.splitlines()}
    return frozenset(n for n in seen if len(n) >= MIN_LINE_CHARS and line_hash(n) in wanted)
