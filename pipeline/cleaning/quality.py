"""Quality signals of a clean document, kept as columns; optional thresholds turn them into filters.

In the spirit of RedPajama v2 (RPv2) and Gopher (MassiveText): every document gets the same numbers,
and whether a number makes a document unfit is a separate, explicit decision taken by thresholds in a
settings file. Without a settings file nothing is filtered.

Definitions shared by the signals:

- **words** are maximal runs of letters and digits (`str.isalnum`), lowercased: the definition of the
  boilerplate classifier, so that the stop-word lists of `boilerplate/rules.py` match the same way
  (French "qu'il" is "qu" + "il", English "don't" is "don" + "t"). Hyphens and apostrophes split
  words, as Gopher's spaCy tokens do. This differs from `documents.n_words` (whitespace tokens).
- **lines** are the non-blank lines of the text split at "\\n", stripped of surrounding whitespace.

| signal | after | what |
|---|---|---|
| `word_count` | RPv2 `rps_doc_word_count`; Gopher | number of words |
| `mean_word_length` | RPv2 `rps_doc_mean_word_length`; Gopher | mean characters per word |
| `symbol_to_word_ratio` | RPv2 `rps_doc_symbol_to_word_ratio`; Gopher | ("#" + "..." + "…") per word |
| `frac_lines_end_punct` | RPv2 `rps_lines_ending_with_terminal_punctution_mark` | lines ending a sentence |
| `frac_lines_bullet` | RPv2 `rps_lines_start_with_bulletpoint`; Gopher | lines starting with a bullet |
| `dup_line_char_frac` | Gopher `dup_line_char_frac` | line characters in copies of a line |
| `frac_chars_dupe_5grams` | RPv2 `rps_doc_frac_chars_dupe_5grams`; Gopher | word chars in repeated 5-grams |
| `stop_word_fraction` | RPv2 `rps_doc_stop_word_fraction` | words on the language's stop-word list |

RPv2 keeps the two line signals per line; here they are the document's share of such lines. Each
field's comment in QualitySignals says how it is computed and why it is a signal.

Thresholds live in a YAML file (`load_thresholds`), one optional bound per key, `min_<signal>` or
`max_<signal>`; null or absent means no bound::

    min_word_count: 50               # Gopher keeps 50..100 000 words
    max_symbol_to_word_ratio: 0.1
    max_dup_line_char_frac: 0.2
    min_stop_word_fraction: 0.06

A document outside a bound fails the rule `quality_min_<signal>` / `quality_max_<signal>`
(`failed_thresholds`), the name recorded in `removed.rule` (group `quality`). `GOPHER_THRESHOLDS` holds
Gopher's published values for these signals, as a reference, never as a default.

Speed: the words come from one lowercase, one byte-table translate, one regex substitution and one
split (see `words_of`), the lines from one split; every per-word and per-line step after that is a
C-level `map`/`sum`/`set` or numpy operation (repeated 5-grams are found by sorting word ids). Measured
on a shared 2-core box (CPU time): about 0.21 ms for a real 4 KB web page.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from itertools import compress, repeat
from operator import itemgetter, methodcaller
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from pipeline.cleaning.boilerplate.rules import STOP_WORDS
from pipeline.cleaning.settings_file import SettingsFileError, compose_settings_yaml, read_settings_text

RULE_PREFIX = "quality_"  # removed.rule of a document removed by a threshold: quality_min_word_count
RULE_GROUP = "quality"  # removed.rule_group of those rows
NGRAM = 5  # n of frac_chars_dupe_5grams: the most sensitive of Gopher's duplicate n-gram sizes (5..10)

# Sentence-ending marks (C4 and RPv2 count . ! ? and a closing quote; a quote or bracket closing after
# the mark is stripped first, so `He said "yes."` and `(see above.)` end a sentence too).
_TERMINAL = frozenset(".!?…。！？")
_CLOSERS = "\"'”’»«)]*_"
# A line starting with one of these is a bullet line. ASCII markers need a space after them (Markdown
# and plain-text lists), so "-5 °C", "*emphasis*" and "---" are no bullets; the Unicode bullets are
# RPv2's list (en dash with a space, as list items scraped from HTML start). The em dash is left out:
# it opens dialogue lines in French, Swedish and Finnish prose.
_BULLETS = (
    "- ",
    "-\t",
    "* ",
    "*\t",
    "+ ",
    "+\t",
    "– ",
    "•",
    "‣",
    "◦",
    "▪",
    "▫",
    "■",
    "□",
    "●",
    "○",
    "▶",
    "◀",
    "►",
    "➢",
    "✓",
    "✔",
)


# Words are taken from UTF-8 bytes, which is several times faster than `re.findall(r"[^\W_]+")` or
# `str.translate` on non-ASCII text (both do per-character work in Python objects): a 256-byte table
# blanks ASCII punctuation, one regex (a byte trie, so most bytes are skipped by its first-byte scan)
# blanks the UTF-8 sequences of non-alphanumeric characters of the blocks below, and the text is
# decoded and split. The result equals `re.findall(r"[^\W_]+", text.lower())` for every character of
# these blocks (tests/cleaning/test_quality.py checks them all); a rare symbol outside them (Egyptian
# hieroglyph punctuation, say) stays part of its word.
_NON_ASCII_BLOCKS = (
    range(0x80, 0x3040),  # Latin, Greek, Cyrillic, ..., general punctuation, symbols, arrows, CJK punctuation
    range(0xFE00, 0xFE10),  # variation selectors (the invisible one after an emoji)
    range(0xFE30, 0xFE50),  # CJK compatibility forms
    range(0xFF00, 0xFF66),  # fullwidth and halfwidth forms
    range(0x1F000, 0x1FB00),  # emoji and pictographs
)
_ASCII_TABLE = bytes(c if c >= 0x80 or chr(c).isalnum() else 0x20 for c in range(256))


def _byte_class(values: list[int]) -> bytes:
    """A regex character class of byte values, with ranges."""
    runs: list[list[int]] = []
    for value in sorted(values):
        if runs and runs[-1][1] == value - 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    body = b"".join(re.escape(bytes([a])) + (b"-" + re.escape(bytes([z])) if z > a else b"") for a, z in runs)
    return b"[" + body + b"]"


def _byte_trie(sequences: list[bytes]) -> bytes:
    """A regex matching exactly these byte sequences, as a trie: each byte is tested once."""
    root: dict[int | None, Any] = {}
    for sequence in sequences:
        node = root
        for byte in sequence[:-1]:
            node = node.setdefault(byte, {})
        node.setdefault(None, []).append(sequence[-1])

    def emit(node: dict[int | None, Any]) -> bytes:
        """The regex of one trie node."""
        parts = [_byte_class(node[None])] if None in node else []
        parts += [re.escape(bytes([b])) + emit(node[b]) for b in sorted(k for k in node if k is not None)]
        return parts[0] if len(parts) == 1 else b"(?:" + b"|".join(parts) + b")"

    return emit(root)


_NON_ASCII_SEPARATORS = re.compile(
    _byte_trie([chr(c).encode() for block in _NON_ASCII_BLOCKS for c in block if not chr(c).isalnum()])
)


def _spaced_words(text: str) -> str:
    """The lowercased text with every character that is no part of a word made a space (" "), one for one."""
    data = text.lower().encode("utf-8", "surrogatepass").translate(_ASCII_TABLE)
    if not data.isascii():
        data = _NON_ASCII_SEPARATORS.sub(b" ", data)
    return data.decode("utf-8", "surrogatepass")


def words_of(text: str) -> list[str]:
    """The lowercased words of a text: maximal runs of letters and digits (`[^\\W_]+`)."""
    return _spaced_words(text).split()


def stop_words_for(language: str | None) -> frozenset[str] | None:
    """The stop-word list of a language ("de", "de-AT", "DE"), or None when the project has none for it."""
    if not language:
        return None
    return STOP_WORDS.get(language.strip().lower().replace("_", "-").split("-")[0])


@dataclass(frozen=True, slots=True)
class QualitySignals:
    """The quality signals of one document; every field is a column of the documents table."""

    # Number of words. Why: very short pages are navigation, stubs or errors; very long ones are dumps
    # (Gopher keeps 50..100 000).
    word_count: int
    # Characters per word, over all words; 0.0 without words. Why: tables of numbers and IDs are short,
    # concatenated or garbled text is long (Gopher keeps 3..10).
    mean_word_length: float
    # Occurrences of "#", "..." and "…" divided by the number of words (by 1 without words, so a page of
    # symbols alone scores high). Why: hashtag lists and "Read more..." teaser lists (Gopher: max 0.1).
    symbol_to_word_ratio: float
    # Share of lines whose last character, after closing quotes and brackets, is . ! ? … (or 。！？);
    # 0.0 without lines. Why: prose ends its lines with sentences, menus and link lists do not (C4 drops
    # such lines; as a share it is RPv2's document-level view of that rule).
    frac_lines_end_punct: float
    # Share of lines starting with a bullet ("- ", "* ", "+ ", "• ", RPv2's Unicode bullets). Why: pages
    # that are nothing but lists are link farms or tables of contents (Gopher: max 0.9).
    frac_lines_bullet: float
    # Characters of the lines that repeat an earlier line (the first copy is not counted) divided by the
    # characters of all lines. Why: templated pages repeat whole lines (Gopher: max 0.2).
    dup_line_char_frac: float
    # Characters of the words covered by a word 5-gram that occurs more than once (every occurrence,
    # as RPv2 and the Gopher paper count), divided by the characters of all words; 0.0 under 5 words.
    # Why: repetition within and across lines (spam, keyword stuffing, scraped duplicates) that the line
    # signal misses (Gopher: max 0.15 for 5-grams).
    frac_chars_dupe_5grams: float
    # Share of words on the stop-word list of the document's language (the boilerplate classifier's
    # lists: en, de, fr, es, fi, sv); None for any other language or "und". Why: natural language is
    # full of function words, keyword lists and machine output are not (Gopher asks for 2 of 8 English
    # stop words; as a share it works across languages).
    stop_word_fraction: float | None

    def as_row(self) -> dict[str, int | float | None]:
        """The signals as a row of columns, named as the fields."""
        # Not dataclasses.asdict: its deep copy of every (scalar) value costs more than the signals do.
        return {name: getattr(self, name) for name in _SIGNAL_FIELDS}


_SIGNAL_FIELDS = tuple(f.name for f in fields(QualitySignals))


@dataclass(frozen=True)
class SignalSpec:
    """What a signal's column holds: Arrow type (as schemas/ writes it), nullability, range, description."""

    name: str
    type: str
    nullable: bool
    fraction: bool  # a share in [0, 1]
    description: str


SIGNALS: tuple[SignalSpec, ...] = (
    SignalSpec("word_count", "int64", False, False, "Quality: number of words (runs of letters and digits)."),
    SignalSpec("mean_word_length", "double", False, False, "Quality: mean characters per word."),
    SignalSpec(
        "symbol_to_word_ratio", "double", False, False, "Quality: ('#' + '...' + '…') per word (Gopher)."
    ),
    SignalSpec(
        "frac_lines_end_punct", "double", False, True, "Quality: share of lines ending with . ! ? or …."
    ),
    SignalSpec("frac_lines_bullet", "double", False, True, "Quality: share of lines starting with a bullet."),
    SignalSpec(
        "dup_line_char_frac",
        "double",
        False,
        True,
        "Quality: share of line characters in copies of an earlier line (Gopher).",
    ),
    SignalSpec(
        "frac_chars_dupe_5grams",
        "double",
        False,
        True,
        "Quality: share of word characters in word 5-grams occurring more than once (RPv2).",
    ),
    SignalSpec(
        "stop_word_fraction",
        "double",
        True,
        True,
        "Quality: share of words on the language's stop-word list; null without a list for the language.",
    ),
)
SIGNAL_NAMES: tuple[str, ...] = tuple(spec.name for spec in SIGNALS)
_SPECS = {spec.name: spec for spec in SIGNALS}


def schema_entries(*, nullable: bool | None = None) -> list[dict[str, Any]]:
    """The signals as column entries of a schemas/*.json file (shares carry min 0 / max 1 constraints).

    `nullable=True` makes every column nullable: the form in which they can join an existing major
    version of a schema (an added nullable column is not a breaking change, see datasets/evolution.py).
    """
    entries: list[dict[str, Any]] = []
    for spec in SIGNALS:
        entry: dict[str, Any] = {
            "name": spec.name,
            "type": spec.type,
            "nullable": spec.nullable if nullable is None else nullable,
            "description": spec.description,
            "constraints": {"min": 0, "max": 1} if spec.fraction else {"min": 0},
        }
        entries.append(entry)
    return entries


_LAST_CHAR = itemgetter(slice(-1, None))  # "" for an empty string, where [-1] would raise
_IS_BULLET = methodcaller("startswith", _BULLETS)


def quality_signals(text: str, language: str | None) -> QualitySignals:
    """The quality signals of a clean document text in a language (ISO 639-1, "und" or None)."""
    # Every per-word and per-line step is a C-level map/sum/set or numpy operation; a Python loop only
    # runs for the few documents that repeat a line.
    spaced = _spaced_words(text)
    words = spaced.split()
    n_words = len(words)
    # Every whitespace character is a separator (tests check), so only " " is left between the words:
    # their characters are the others, counted in C instead of a len() per word.
    word_chars = len(spaced) - spaced.count(" ")
    symbols = text.count("#") + text.count("...") + text.count("…")
    lines = list(filter(None, map(str.strip, text.split("\n"))))
    n_lines = len(lines)
    line_chars = sum(map(len, lines))
    end_punct = sum(map(_TERMINAL.__contains__, map(_LAST_CHAR, map(str.rstrip, lines, repeat(_CLOSERS)))))
    bullets = sum(map(_IS_BULLET, lines))
    stop = stop_words_for(language)
    stop_share: float | None = None
    if stop is not None:
        stop_share = sum(map(stop.__contains__, words)) / n_words if n_words else 0.0
    return QualitySignals(
        word_count=n_words,
        mean_word_length=word_chars / n_words if n_words else 0.0,
        symbol_to_word_ratio=symbols / max(n_words, 1),
        frac_lines_end_punct=end_punct / n_lines if n_lines else 0.0,
        frac_lines_bullet=bullets / n_lines if n_lines else 0.0,
        dup_line_char_frac=_duplicate_line_chars(lines) / line_chars if line_chars else 0.0,
        frac_chars_dupe_5grams=_duplicate_ngram_chars(words, NGRAM) / word_chars if word_chars else 0.0,
        stop_word_fraction=stop_share,
    )


def _duplicate_line_chars(lines: list[str]) -> int:
    """Characters of the lines that are a copy of an earlier line (the first copy is not counted)."""
    if len(set(lines)) == len(lines):  # the common case, decided in C
        return 0
    seen: set[str] = set()
    duplicated = 0
    for line in lines:
        if line in seen:
            duplicated += len(line)
        else:
            seen.add(line)
    return duplicated


def _duplicate_ngram_chars(words: list[str], n: int) -> int:
    """Characters of the words covered by any occurrence of a word n-gram that occurs more than once."""
    count = len(words)
    if count <= n:
        return 0
    # Half of real pages repeat some 5-gram, and counting tuples of words costs ~0.15 ms a page. Instead
    # each word gets an id (the index of its first occurrence: equal words, equal ids, all below 2**bits),
    # an n-gram is its n ids side by side in int64 columns (one column up to 4,095 words for 5-grams),
    # and the repeated n-grams are the equal neighbours once the columns are sorted.
    bits = count.bit_length()
    # setdefault both assigns and reads an id: one dict operation per word, not a build and a lookup.
    first_seen: dict[str, int] = {}
    ids = np.fromiter(map(first_seen.setdefault, words, range(count)), np.int64, count)
    starts = count - n + 1
    per_column = 63 // bits
    columns = []
    for first in range(0, n, per_column):
        column = ids[first : first + starts].copy()
        for k in range(first + 1, min(first + per_column, n)):
            column <<= bits
            column |= ids[k : k + starts]
        columns.append(column)
    order = np.argsort(columns[0]) if len(columns) == 1 else np.lexsort(columns[::-1])
    same = np.ones(starts - 1, dtype=bool)
    for column in columns:
        ranked = column[order]
        same &= ranked[1:] == ranked[:-1]
    if not same.any():
        return 0  # most documents repeat no n-gram
    repeated_ranked = np.zeros(starts, dtype=bool)
    repeated_ranked[1:] = same
    repeated_ranked[:-1] |= same
    repeated = np.empty(starts, dtype=bool)
    repeated[order] = repeated_ranked
    covered = np.zeros(count, dtype=bool)
    for k in range(n):
        covered[k : k + starts] |= repeated
    return sum(compress(map(len, words), covered.tobytes()))


# --- thresholds ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QualityThresholds:
    """Optional bounds per signal; None is no bound, and with every bound None nothing is filtered."""

    min_word_count: float | None = None
    max_word_count: float | None = None
    min_mean_word_length: float | None = None
    max_mean_word_length: float | None = None
    min_symbol_to_word_ratio: float | None = None
    max_symbol_to_word_ratio: float | None = None
    min_frac_lines_end_punct: float | None = None
    max_frac_lines_end_punct: float | None = None
    min_frac_lines_bullet: float | None = None
    max_frac_lines_bullet: float | None = None
    min_dup_line_char_frac: float | None = None
    max_dup_line_char_frac: float | None = None
    min_frac_chars_dupe_5grams: float | None = None
    max_frac_chars_dupe_5grams: float | None = None
    min_stop_word_fraction: float | None = None
    max_stop_word_fraction: float | None = None

    def in_force(self) -> dict[str, float]:
        """The bounds that are set, by key (`min_word_count`: 50), for the manifest and the dataset card."""
        return {f.name: value for f in fields(self) if (value := getattr(self, f.name)) is not None}

    @property
    def active(self) -> bool:
        """Whether any bound is set."""
        return bool(self.in_force())


THRESHOLD_KEYS: tuple[str, ...] = tuple(f.name for f in fields(QualityThresholds))
# Gopher's rules (Rae et al. 2021, appendix A) for the signals that have one here; RPv2 publishes no
# thresholds. A reference for a settings file, never applied unless written into one.
GOPHER_THRESHOLDS = QualityThresholds(
    min_word_count=50,
    max_word_count=100_000,
    min_mean_word_length=3,
    max_mean_word_length=10,
    max_symbol_to_word_ratio=0.1,
    max_frac_lines_bullet=0.9,
    max_dup_line_char_frac=0.2,
    max_frac_chars_dupe_5grams=0.15,
)


def failed_thresholds(signals: QualitySignals, thresholds: QualityThresholds) -> list[str]:
    """The rules a document fails (`quality_min_word_count`, ...), in signal order; empty if it passes.

    A signal that is None (stop words of a language without a list) fails no bound: it cannot be judged.
    """
    failed = []
    for name in SIGNAL_NAMES:
        value = getattr(signals, name)
        if value is None:
            continue
        low = getattr(thresholds, f"min_{name}")
        high = getattr(thresholds, f"max_{name}")
        if low is not None and value < low:
            failed.append(f"{RULE_PREFIX}min_{name}")
        if high is not None and value > high:
            failed.append(f"{RULE_PREFIX}max_{name}")
    return failed


class ThresholdsFileError(SettingsFileError):
    """A quality settings file that cannot be used; the message names the file and the line."""


def load_thresholds(path: str | Path) -> QualityThresholds:
    """Read a quality settings file (UTF-8 YAML, `min_<signal>`/`max_<signal>` keys)."""
    p = Path(path)
    return parse_thresholds(read_settings_text(p, ThresholdsFileError, "the file"), source=str(p))


def parse_thresholds(text: str, *, source: str = "<quality>") -> QualityThresholds:
    """Parse quality settings YAML; any problem raises ThresholdsFileError naming the line."""
    root = compose_settings_yaml(text, source, ThresholdsFileError)
    if root is None:
        return QualityThresholds()  # an empty file sets no bound
    if not isinstance(root, yaml.MappingNode):
        raise ThresholdsFileError(
            source, _line(root), "the top level must be a mapping of min_<signal>/max_<signal> to numbers"
        )
    values: dict[str, float | None] = {}
    lines: dict[str, int] = {}
    for key_node, value_node in root.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise ThresholdsFileError(source, _line(key_node), "a key must be a name, not a list or mapping")
        key = str(key_node.value)
        if key not in THRESHOLD_KEYS:
            close = difflib.get_close_matches(key, THRESHOLD_KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; allowed: {', '.join(THRESHOLD_KEYS)}"
            raise ThresholdsFileError(source, _line(key_node), f"unknown threshold {key!r}{hint}")
        if key in lines:
            raise ThresholdsFileError(
                source, _line(key_node), f"{key!r} is given twice (first at line {lines[key]})"
            )
        lines[key] = _line(key_node)
        values[key] = _bound(key, value_node, source)
    for name in SIGNAL_NAMES:
        low, high = values.get(f"min_{name}"), values.get(f"max_{name}")
        if low is not None and high is not None and low > high:
            later = max(lines[f"min_{name}"], lines[f"max_{name}"])
            raise ThresholdsFileError(
                source, later, f"min_{name} ({low:g}) is above max_{name} ({high:g}): no document could pass"
            )
    return QualityThresholds(**values)


_SCALARS = yaml.constructor.SafeConstructor()  # YAML's own reading of 1_000, 1e3, 0x10, .5


def _bound(key: str, node: yaml.Node, source: str) -> float | None:
    """One bound's value: a finite number in the signal's range, or None for null."""
    line = _line(node)
    if not isinstance(node, yaml.ScalarNode):
        raise ThresholdsFileError(source, line, f"{key}: expected a number, not a list or mapping")
    tag = node.tag.rsplit(":", 1)[-1]
    if tag == "null":
        return None
    if tag not in ("int", "float"):
        shown = "true/false" if tag == "bool" else repr(node.value)
        raise ThresholdsFileError(source, line, f"{key}: expected a number, got {shown}")
    value: Any = _SCALARS.construct_yaml_int(node) if tag == "int" else _SCALARS.construct_yaml_float(node)
    number = float(value)
    if not math.isfinite(number):
        raise ThresholdsFileError(source, line, f"{key}: must be a finite number (null for no bound)")
    spec = _SPECS[key.split("_", 1)[1]]
    if number < 0:
        raise ThresholdsFileError(source, line, f"{key}: must not be negative")
    if spec.fraction and number > 1:
        raise ThresholdsFileError(source, line, f"{key}: {spec.name} is a share, so the bound must be 0..1")
    if spec.type == "int64" and not number.is_integer():
        raise ThresholdsFileError(source, line, f"{key}: {spec.name} counts, so the bound must be whole")
    return int(number) if spec.type == "int64" else number


def _line(node: yaml.Node) -> int:
    """The 1-based line where a YAML node starts."""
    return int(node.start_mark.line) + 1


def card_section(thresholds: QualityThresholds, removed_by_rule: Mapping[str, int] | None = None) -> str:
    """The dataset card's section on quality: the signals, the thresholds in force, documents removed."""
    lines = [
        "## Quality signals",
        "",
        "Columns of `documents` (RedPajama v2 / Gopher style); see pipeline/cleaning/quality.py.",
        "",
        "| column | what |",
        "|---|---|",
        *(f"| `{spec.name}` | {spec.description.removeprefix('Quality: ')} |" for spec in SIGNALS),
        "",
    ]
    bounds = thresholds.in_force()
    if not bounds:
        lines.append("Thresholds in force: none (signals only; no document was removed for quality).")
        return "\n".join(lines)
    removed = removed_by_rule or {}
    lines += ["Thresholds in force:", "", "| threshold | value | documents removed |", "|---|---|---|"]
    lines += [
        f"| `{key}` | {value:g} | {removed.get(RULE_PREFIX + key, 0)} |" for key, value in bounds.items()
    ]
    return "\n".join(lines)
