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
# The same for ASCII as a bytes table (bytes 80-FF, the rest of UTF-8, stay as they are): ASCII maps to
# ASCII one for one, and a bytes translate is a table lookup per byte where str.translate looks every
# character up in the dict, ten times slower. Only runs of other characters go through the dict.
_ASCII_CHARS = bytes.maketrans(bytes(range(128)), "".join(_CHARS[code] or "" for code in range(128)).encode())
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_ASCII_BYTES = bytes(range(128))
# Distinct non-ASCII characters the map changes in a text, up to which each is replaced on its own.
MAX_REPLACED_CHARS = 16


def _translate_run(match: re.Match[str]) -> str:
    """A run of non-ASCII characters through the character map."""
    return match.group().translate(_CHARS)


def normalise_line(line: str) -> str:
    """CCNet normalisation: lowercase, accents and punctuation dropped, digits to 0, spaces collapsed."""
    # Translates and one split replace a Python loop over the characters and three regex passes;
    # split() and the regex \s agree on what is whitespace. ASCII is its own NFD.
    if line.isascii():
        return " ".join(line.lower().encode("ascii").translate(_ASCII_CHARS).decode("ascii").split())
    return " ".join(_map_chars(unicodedata.normalize("NFD", line.lower())).split())


def _map_chars(text: str) -> str:
    """The character map applied to NFD text: ASCII by the bytes table, other characters by the dict."""
    data = text.encode("utf-8", "surrogatepass").translate(_ASCII_CHARS)
    text = data.decode("utf-8", "surrogatepass")
    # Why: a regex scan for the non-ASCII runs costs ~8 ns a character; deleting the ASCII bytes is a
    # table lookup per byte and leaves just them. A text holds few distinct ones (quotes, dashes,
    # accents), and each that the map changes is replaced in one C pass; the map only ever yields
    # ASCII (or nothing), so the replacements cannot touch each other.
    others = set(data.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass"))
    changed = [(char, value) for char in others if (value := _CHARS[ord(char)]) != char]
    if len(changed) > MAX_REPLACED_CHARS:  # many passes over the text: one pass over its runs is cheaper
        return _NON_ASCII.sub(_translate_run, text)
    for char, value in changed:
        text = text.replace(char, value or "")
    return text


# Line breaks that str.splitlines() splits at besides "\n" (line_hashes splits there; classify checks):
# looking for each in a text is several times faster than one search of a character class.
OTHER_BREAK_CHARS = ("\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def folded_lines(text: str) -> list[str]:
    """Every line of `text.split("\\n")` lowercased, NFD and through the character map, in one pass over
    the whole text: `normalise_line(line)` is `" ".join(folded.split())` of its folded line.

    lower() (its final sigma included), NFD and the character map never cross a "\\n" or make one, so
    the whole text folded and split is every line folded.
    """
    return _folded(text).split("\n")


def _folded(text: str) -> str:
    """The whole text lowercased, NFD and through the character map (see folded_lines)."""
    if text.isascii():
        return text.lower().encode("ascii").translate(_ASCII_CHARS).decode("ascii")
    return _map_chars(unicodedata.normalize("NFD", text.lower()))


def normalise_lines(text: str) -> list[str]:
    """normalise_line of every line of `text.split("\\n")`, in one pass over the whole text."""
    return [" ".join(line.split()) for line in folded_lines(text)]


def _long_normalised_lines(text: str) -> set[str]:
    """The distinct normalised lines of `text`, split as str.splitlines() splits it, that are long enough
    to count (MIN_LINE_CHARS)."""
    # The byte fold (_fold_text) gives the normalised lines without lower() and NFD of the whole text.
    folded = _fold_text(text)
    if folded is None:
        return _long_normalised_lines_plain(text)
    # Runs of spaces to one, then the one left at either end of a line: every line is " ".join(line.split())
    # of its folded line. "\r\n" became two breaks: the empty line between them is short. Normalising
    # only shortens a line, so a line short before it is left out unread.
    return {
        stripped
        for line in _COLLAPSE.sub(" ", folded).split("\n")
        if len(line) >= MIN_LINE_CHARS and len(stripped := line.strip(" ")) >= MIN_LINE_CHARS
    }


def _long_normalised_lines_plain(text: str) -> set[str]:
    """_long_normalised_lines by the folded text (the path for texts the byte fold does not take)."""
    # The fold (see folded_lines) neither crosses nor makes any line break, so the folded text splits
    # into the folded lines. Normalising never lengthens a line: a shorter folded line is left out unread.
    folded = _folded(text).splitlines()
    normalised = {" ".join(line.split()) for line in folded if len(line) >= MIN_LINE_CHARS}
    return {line for line in normalised if len(line) >= MIN_LINE_CHARS}


# The whole normalisation of a line as a fold of UTF-8 bytes, whitespace included: ASCII lowercased and
# mapped by one bytes table, every line break to "\n" and all other whitespace to " ", so that normalising
# is collapsing runs of spaces. Why: lower() and NFD of a whole text cost as much as the rest of the
# fold, and a text holds few distinct non-ASCII characters, each folded once and replaced in one pass.
_BREAK_CODES = frozenset(map(ord, ("\n", *OTHER_BREAK_CHARS)))


def _space_fold(chars: str) -> str:
    """Whitespace of already folded characters as the byte fold spells it: breaks "\n", others " "."""
    return "".join(("\n" if ord(c) in _BREAK_CODES else " ") if c.isspace() else c for c in chars)


_ASCII_FOLD = bytes.maketrans(
    _ASCII_BYTES, _space_fold("".join(_CHARS[ord(chr(code).lower())] or "" for code in range(128))).encode()
)
_COLLAPSE = re.compile("  +")


class _CharFold(dict[str, str | None]):
    """Each non-ASCII character's fold (lower, NFD, character map, whitespace), filled on first sight;
    None for a character whose fold depends on its neighbours, which sends its text the plain way."""

    def __missing__(self, char: str) -> str | None:
        """Decide a character once: its fold, if folding it alone is folding it in any text."""
        value = _fold_alone(char)
        # Why each fold must be made of characters the fold leaves as they are: the folds are replaced one
        # after another, and a later replacement must not fold again what an earlier one wrote.
        if value is not None and not all(
            _fold_alone(c) == c if not c.isascii() else _ASCII_FOLD[ord(c)] == ord(c) for c in value
        ):
            value = None
        self[char] = value
        return value


def _fold_alone(char: str) -> str | None:
    """The fold of one non-ASCII character, or None where the text around it could change it."""
    if char == "\u03a3":  # capital sigma: lower() makes it final or not by the letters around it
        return None
    decomposed = unicodedata.normalize("NFD", char.lower())
    # NFD reorders the combining marks of a run by class: only order-free if the map deletes them all.
    if any(unicodedata.combining(c) and _CHARS[ord(c)] is not None for c in decomposed):
        return None
    mapped = "".join(_CHARS[ord(c)] or "" for c in decomposed)
    if ord(char) in _BREAK_CODES:
        return "\n" if mapped == char else None
    if any(ord(c) in _BREAK_CODES for c in mapped):  # a break the text's splitlines() would not see
        return None
    return _space_fold(mapped)


_FOLDS = _CharFold()
# Distinct non-ASCII characters the byte fold replaces one by one, up to which it beats the plain way: a
# replacement is one C pass over the bytes, the plain way's lower(), NFD and character map cost dozens.
MAX_FOLDED_CHARS = 48


def _fold_text(text: str) -> str | None:
    """`text` lowered, NFD, through the character map and with every break "\n" and all other whitespace
    " ", by the bytes table and one replacement per distinct non-ASCII character; None where that is not
    the plain fold (a character folded by its neighbours, or too many to replace one by one)."""
    data = text.encode("utf-8", "surrogatepass").translate(_ASCII_FOLD)
    folded = data.decode("utf-8", "surrogatepass")
    if text.isascii():
        return folded
    changed = []
    for char in set(data.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass")):
        value = _FOLDS[char]
        if value is None:
            return None
        if value != char:
            changed.append((char, value))
    if len(changed) > MAX_FOLDED_CHARS:  # many passes over the text: the plain way is cheaper
        return None
    for char, value in changed:
        folded = folded.replace(char, value)
    return folded


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
    # line_hash inlined: a call per line is a sizeable share of hashing one. The digests, joined, are the
    # little-endian signed int64 values line_hash reads, sorted and made distinct by one numpy call.
    digests = b"".join(
        [
            hashlib.blake2b(line.encode("utf-8", "surrogatepass"), digest_size=8).digest()
            for line in _long_normalised_lines(text)
        ]
    )
    hashes: list[int] = np.unique(np.frombuffer(digests, dtype="<i8")).tolist()
    return hashes


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
    return frozenset(n for n in _long_normalised_lines(text) if line_hash(n) in wanted)
