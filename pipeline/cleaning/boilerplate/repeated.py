"""The corpus signal: lines repeated across many documents are boilerplate (as in CCNet).

CCNet (Wenzek et al. 2020) deduplicates paragraphs by a hash of the normalised line: lowercased,
digits replaced by 0, punctuation stripped, whitespace collapsed. A line that many documents of
a crawl share is a site's navigation, footer or widget text, not article content.

Use: `counts = count_lines(texts)`, then
`repeated = select_repeated(counts, n_docs)` and pass it to
`remove_boilerplate(text, repeated_lines=repeated)`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

MIN_LINE_CHARS = 20  # shorter lines ("Home", "Share", a date) repeat naturally and are never candidates
DEFAULT_MIN_DOCS = 10  # a line must be seen in at least this many documents ...
DEFAULT_MIN_SHARE = 0.01  # ... and in at least this share of the corpus

_DIGITS = re.compile(r"\d")
_PUNCT = re.compile(r"[^\w\s]")
_WS = re.compile(r"\s+")


def normalise_line(line: str) -> str:
    """CCNet normalisation: lowercase, accents and punctuation dropped, digits to 0, spaces collapsed."""
    text = line.lower()
    if not text.isascii():  # the accent strip is the slow part; ASCII lines have nothing to strip
        text = "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")
    text = _DIGITS.sub("0", text)
    text = _PUNCT.sub(" ", text)
    return _WS.sub(" ", text).strip()


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
    threshold = max(min_docs, min_share * n_docs)
    return frozenset(line for line, c in counts.items() if c >= threshold and len(line) >= MIN_LINE_CHARS)
