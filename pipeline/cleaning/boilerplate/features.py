"""Features of every non-blank line of a batch of documents, computed for the whole batch at once.

The boilerplate model (model.py) reads a line together with its neighbours and its document: an article
is mostly one contiguous run of long lines with sentence punctuation and function words, and menus,
link lists, teasers and footers are runs of short lines around it. So besides the line's own shape
(length, words, function-word share, punctuation, case, digits, separators) a line is described by
windows over its neighbours, its length relative to the document's longest line, the run of short or
long lines it sits in, its position and the share of the document's prose before and after it, plus
what the named rules and the corpus signal say of it (`rule_codes`). Not the share of the document's
lines that are prose: such a value names the kind of page, and the model learned from it what the fitted
sources' pages of that kind hold, which did not carry to other sources (boilerplate_model.md).

Nothing here loops over lines in Python: the string work is pyarrow.compute's kernels over one array
holding the lines of every document of the batch, the context work numpy over that array with the
documents as segments (cumulative sums clipped at document boundaries). What a line's own text says
(`line_shapes`) is kept per distinct line (`ShapeCache`), so the later passes over the kept lines, and
a menu repeated on every page of a batch, cost only their context.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.cleaning.boilerplate.comments import COMMENT_HEADER, COMMENT_MARKER, MARKER_MAX_CHARS
from pipeline.cleaning.boilerplate.rules import ALL_STOP_WORDS

# What `rule_codes` holds per line: what the named rules and the corpus signal said of it.
RULE_NONE = 0
RULE_NAMED = 1  # a named rule (rules.py or the user's file) that is not certain matched the line
RULE_LINK_LIST = 2  # the structural link-list step took it
RULE_TAIL = 3  # the structural tail step took it
RULE_REPEATED = 4  # the corpus repeats it (repeated.py)
RULE_OTHER = 5  # a separator, a duplicate or another structural signal
RULE_CODES = 6

SHORT_WORDS = 6  # a line with fewer words is "short": menus, link lists, labels
PROSE_WORDS = 10  # a line with this many words and sentence punctuation is "prose"

_TOKEN_SPLIT = r"[^\p{L}\p{N}]+"
_TERMINAL = r"[.!?…][\"'”’»)\]]*$"
_LIST_ITEM = r"^(?:[-*•·◦▪‣–+]|\d{1,3}[.)]|\([a-z0-9]\))\s"
_SEPARATORS = r"[|»›·•/>]"
_WEB = r"(?i)https?://|www\.|\S@\S|\.(?:com|org|net|html?)\b"
_LEGAL = r"(?i)©|\(c\)|copyright|all rights reserved|alle rechte"
_UPPER_WORD = r"(?:^|[\s(\"“‘'])\p{Lu}"
_LOWER_START = r"^\p{Ll}"
# Chinese and Japanese write no spaces and end sentences with full-width marks: their prose has no words
# or sentence ends in the senses above, so remove.py tests it by these two columns.
_CJK = r"[\p{Han}\p{Hiragana}\p{Katakana}]"
_CJK_TERMINAL = r"[。！？][」』）)\"”]*$"

FEATURE_NAMES: tuple[str, ...] = (
    "log_chars",
    "n_words",
    "mean_word_chars",
    "stop_share",
    "terminal",
    "colon_end",
    "list_item",
    "digit_share",
    "upper_word_share",
    "commas_per_word",
    "separators",
    "web",
    "legal",
    "letter_share",
    "lower_start",
    "quotes",
    "win1_log_chars",
    "win3_log_chars",
    "win3_terminal",
    "win3_stop_share",
    "win6_prose",
    "rel_chars",
    "short_run",
    "long_run",
    "position",
    "prose_before",
    "prose_after",
    "prose_distance",
    "prev_log_chars",
    "next_log_chars",
    "doc_mean_log_chars",
    "rule_named",
    "rule_link_list",
    "rule_tail",
    "rule_repeated",
    "rule_other",
    "win3_rule",
    "title_match",
    "comment_header",
    "comment_marker",
    "win6_comment_marker",
    "win3_short",
    "win3_upper_word_share",
    "repeated_in_doc",
    "chars_to_window_max",
)


@dataclass(frozen=True)
class LineBatch:
    """The non-blank lines of a batch of documents, flat: `doc` is each line's document, `starts` where
    each document's lines begin (len = documents + 1)."""

    lines: pa.Array
    doc: np.ndarray
    starts: np.ndarray
    texts: list[str]  # the lines as Python strings, for the work done in Python (`_title_match`)

    @classmethod
    def of(cls, docs: Sequence[Sequence[str]]) -> LineBatch:
        """A batch from the documents' non-blank lines."""
        counts = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
        starts = np.zeros(len(docs) + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        flat = [line for d in docs for line in d]
        return cls(pa.array(flat, pa.string()), np.repeat(np.arange(len(docs)), counts), starts, flat)


def _window_mean(values: np.ndarray, batch: LineBatch, k: int) -> np.ndarray:
    """Mean of `values` over each line's neighbours within k lines, in its own document (itself included)."""
    n = len(values)
    cs = np.zeros(n + 1, dtype=np.float64)
    np.cumsum(values, out=cs[1:])
    idx = np.arange(n)
    lo = np.maximum(idx - k, batch.starts[batch.doc])
    hi = np.minimum(idx + k + 1, batch.starts[batch.doc + 1])
    return np.asarray((cs[hi] - cs[lo]) / (hi - lo), dtype=np.float64)


def _shifted(values: np.ndarray, batch: LineBatch, step: int, fill: float) -> np.ndarray:
    """The value of the line `step` lines away in the same document (`fill` past its edges)."""
    n = len(values)
    idx = np.arange(n) + step
    inside = (idx >= batch.starts[batch.doc]) & (idx < batch.starts[batch.doc + 1])
    out = np.full(n, fill, dtype=np.float64)
    out[inside] = values[idx[inside]]
    return out


def _run_lengths(flag: np.ndarray, batch: LineBatch) -> np.ndarray:
    """For each line, the length of the run of consecutive lines of its document sharing its flag."""
    n = len(flag)
    if n == 0:
        return np.zeros(0)
    change = np.ones(n, dtype=bool)
    change[1:] = (flag[1:] != flag[:-1]) | (batch.doc[1:] != batch.doc[:-1])
    run = np.cumsum(change) - 1
    return np.asarray(np.bincount(run)[run], dtype=np.float64)


def _segment_cumsum(values: np.ndarray, batch: LineBatch) -> tuple[np.ndarray, np.ndarray]:
    """Per line, the sum of `values` over the earlier lines of its document, and the document's total."""
    cs = np.zeros(len(values) + 1, dtype=np.float64)
    np.cumsum(values, out=cs[1:])
    first = cs[batch.starts[batch.doc]]
    before = cs[:-1] - first
    total = cs[batch.starts[batch.doc + 1]] - first
    return before, total


def _window_max(values: np.ndarray, batch: LineBatch, k: int) -> np.ndarray:
    """Maximum of `values` over each line's neighbours within k lines, in its own document."""
    out = values.copy()
    for step in range(1, k + 1):
        out = np.maximum(out, _shifted(values, batch, step, 0.0))
        out = np.maximum(out, _shifted(values, batch, -step, 0.0))
    return out


def _repeated_in_doc(lines: pa.Array, batch: LineBatch) -> np.ndarray:
    """Whether the same line occurs elsewhere in its document (a title shown twice, a menu at top and
    bottom, "Reply" under every comment)."""
    if len(lines) == 0:
        return np.zeros(0)
    keys = pc.binary_join_element_wise(pc.cast(pa.array(batch.doc), pa.string()), lines, "\x00")
    encoded = pc.dictionary_encode(keys).indices.to_numpy(zero_copy_only=False)
    return np.asarray(np.bincount(encoded)[encoded] > 1, dtype=np.float64)


def _per_doc_mean(values: np.ndarray, batch: LineBatch) -> np.ndarray:
    """Each line's document mean of `values`."""
    n_docs = len(batch.starts) - 1
    sums = np.bincount(batch.doc, weights=values, minlength=n_docs)
    counts = np.maximum(np.diff(batch.starts), 1)
    return np.asarray((sums / counts)[batch.doc], dtype=np.float64)


def _nearest_distance(flag: np.ndarray, batch: LineBatch) -> np.ndarray:
    """Lines to the nearest flagged line of the same document (a large number when there is none)."""
    n = len(flag)
    big = 1e6
    idx = np.arange(n, dtype=np.float64)
    # The last flagged position at or before each line, and the next at or after, within the document.
    last = np.where(flag, idx, -big)
    last = np.maximum.accumulate(last) if n else last
    nxt = np.where(flag, idx, big)
    nxt = np.minimum.accumulate(nxt[::-1])[::-1] if n else nxt
    start = batch.starts[batch.doc]
    end = batch.starts[batch.doc + 1]
    last = np.where(last >= start, idx - last, big)
    nxt = np.where(nxt < end, nxt - idx, big)
    return np.minimum(last, nxt)


def _title_match(batch: LineBatch) -> np.ndarray:
    """Whether a line (not its document's first) repeats part of the first line: a dump opens with the
    page's <title>, "Headline | Site", and the headline line under the menus repeats it."""
    lines = batch.texts
    out = np.zeros(len(lines))
    for d in range(len(batch.starts) - 1):
        start, end = int(batch.starts[d]), int(batch.starts[d + 1])
        if end - start < 2:
            continue
        title = " ".join(lines[start].lower().split())
        if len(title) < 12:
            continue
        for i in range(start + 1, end):
            line = lines[i]
            if 12 <= len(line) <= 300:
                core = " ".join(line.lower().split())
                out[i] = core in title or (len(core) > len(title) and title in core)
    return out


# The columns of `line_shapes`: what a line's own text says of it, whatever its neighbours.
SHAPE_NAMES: tuple[str, ...] = (
    "chars",
    "words",
    "word_chars",
    "stops",
    "terminal",
    "colon_end",
    "list_item",
    "digits",
    "upper_words",
    "commas",
    "separators",
    "web",
    "legal",
    "lower_start",
    "quotes",
    "comment_header",
    "comment_marker",
    "cjk_chars",
    "cjk_terminal",
)
SHAPE_INDEX = {name: i for i, name in enumerate(SHAPE_NAMES)}


def line_shapes(lines: pa.Array) -> np.ndarray:
    """The SHAPE_NAMES columns of each line (rows): its length, words, function words, and the counts and
    flags of its regexes, from pyarrow's kernels over the whole array."""
    n = len(lines)
    if n == 0:
        return np.zeros((0, len(SHAPE_NAMES)))
    stripped = pc.utf8_trim_whitespace(lines)
    chars = pc.utf8_length(stripped).to_numpy(zero_copy_only=False).astype(np.float64)
    tokens = pc.split_pattern_regex(pc.utf8_lower(stripped), _TOKEN_SPLIT)
    flat = pc.list_flatten(tokens)
    parents = pc.list_parent_indices(tokens).to_numpy()
    token_chars = pc.utf8_length(flat).to_numpy(zero_copy_only=False)
    real = token_chars > 0  # the split leaves empty tokens at the edges
    stop = pc.is_in(flat, value_set=_STOP_SET).to_numpy(zero_copy_only=False)

    def count(pattern: str) -> np.ndarray:
        """How often a regex matches in each line."""
        return np.asarray(
            pc.count_substring_regex(stripped, pattern).to_numpy(zero_copy_only=False), np.float64
        )

    def has(pattern: str) -> np.ndarray:
        """Whether a regex matches each line."""
        return np.asarray(
            pc.match_substring_regex(stripped, pattern).to_numpy(zero_copy_only=False), np.float64
        )

    return np.column_stack(
        [
            chars,
            np.bincount(parents[real], minlength=n).astype(np.float64),
            np.bincount(parents[real], weights=token_chars[real], minlength=n),
            np.bincount(parents[stop & real], minlength=n).astype(np.float64),
            has(_TERMINAL),
            has(r"[:;]$"),
            has(_LIST_ITEM),
            count("[0-9]"),
            count(_UPPER_WORD),
            count(","),
            count(_SEPARATORS),
            has(_WEB),
            has(_LEGAL),
            has(_LOWER_START),
            has('["“”„«»]'),
            has(COMMENT_HEADER),
            has(COMMENT_MARKER),
            count(_CJK),
            has(_CJK_TERMINAL),
        ]
    )


class ShapeCache:
    """The shapes of the lines met by one batch's passes, each distinct line computed once: a later pass
    sees the lines an earlier one kept, and a site's menus repeat across its pages."""

    def __init__(self) -> None:
        """An empty cache."""
        self._row: dict[str, int] = {}
        self._matrix = np.zeros((0, len(SHAPE_NAMES)))

    def of(self, lines: list[str]) -> np.ndarray:
        """The shapes of `lines` (rows in their order), computing those of lines not seen before."""
        new = [line for line in dict.fromkeys(lines) if line not in self._row]
        if new:
            start = len(self._matrix)
            self._row.update(zip(new, range(start, start + len(new)), strict=True))
            self._matrix = np.vstack([self._matrix, line_shapes(pa.array(new, pa.string()))])
        return self._matrix[[self._row[line] for line in lines]]


def line_features(batch: LineBatch, rule_codes: np.ndarray, shapes: np.ndarray | None = None) -> np.ndarray:
    """The feature matrix (lines x FEATURE_NAMES, float32, column-major) of a batch; `rule_codes` holds a
    RULE_* per line, and `shapes` the lines' line_shapes when the caller has them (a ShapeCache)."""
    lines = batch.lines
    n = len(lines)
    if n == 0:
        return np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32)
    if shapes is None:
        shapes = line_shapes(lines)
    (
        chars,
        words,
        word_chars,
        stops,
        terminal,
        colon_end,
        list_item,
        digits,
        upper_words,
        commas,
        separators,
        web,
        legal,
        lower_start,
        quotes,
        comment_header,
        comment_marker,
        *_,  # the CJK columns: remove.py's test of a Chinese or Japanese sentence, not model features
    ) = shapes.T
    safe_chars = np.maximum(chars, 1.0)
    safe_words = np.maximum(words, 1.0)
    log_chars = np.log1p(chars)
    stop_share = stops / safe_words
    prose = ((words >= PROSE_WORDS) & (terminal > 0)).astype(np.float64)
    short = words < SHORT_WORDS
    runs = np.log1p(_run_lengths(short, batch))
    doc_max = np.maximum.reduceat(chars, batch.starts[:-1][np.diff(batch.starts) > 0])
    max_of_doc = np.zeros(len(batch.starts) - 1)
    max_of_doc[np.diff(batch.starts) > 0] = doc_max
    before, total = _segment_cumsum(prose * chars, batch)
    total = np.maximum(total, 1.0)
    position_in_doc = np.arange(n) - batch.starts[batch.doc]
    doc_len = np.diff(batch.starts)[batch.doc]
    codes = np.asarray(rule_codes)
    marker = comment_marker * (chars <= MARKER_MAX_CHARS)
    upper = upper_words / safe_words
    ruled = (codes != RULE_NONE).astype(np.float64)
    columns = [
        log_chars,
        np.minimum(words, 100.0),
        word_chars / safe_words,
        stop_share,
        terminal,
        colon_end,
        list_item,
        digits / safe_chars,
        upper,
        commas / safe_words,
        np.minimum(separators, 20.0),
        web,
        legal,
        np.maximum(word_chars - digits, 0.0) / safe_chars,  # letters, from the word tokens
        lower_start,
        quotes,
        _window_mean(log_chars, batch, 1),
        _window_mean(log_chars, batch, 3),
        _window_mean(terminal, batch, 3),
        _window_mean(stop_share, batch, 3),
        _window_mean(prose, batch, 6),
        chars / np.maximum(max_of_doc[batch.doc], 1.0),
        np.where(short, runs, 0.0),
        np.where(short, 0.0, runs),
        position_in_doc / np.maximum(doc_len - 1, 1),
        before / total,
        (total - before - prose * chars) / total,
        np.log1p(np.minimum(_nearest_distance(prose > 0, batch), 1000.0)),
        _shifted(log_chars, batch, -1, 0.0),
        _shifted(log_chars, batch, 1, 0.0),
        _per_doc_mean(log_chars, batch),
        (codes == RULE_NAMED).astype(np.float64),
        (codes == RULE_LINK_LIST).astype(np.float64),
        (codes == RULE_TAIL).astype(np.float64),
        (codes == RULE_REPEATED).astype(np.float64),
        (codes == RULE_OTHER).astype(np.float64),
        _window_mean(ruled, batch, 3),
        _title_match(batch),
        comment_header,
        marker,
        _window_mean(marker, batch, 6),
        _window_mean(short.astype(np.float64), batch, 3),
        _window_mean(upper, batch, 3),
        _repeated_in_doc(pc.utf8_trim_whitespace(lines), batch),
        chars / np.maximum(_window_max(chars, batch, 3), 1.0),
    ]
    # Filled column by column into a column-major float32 matrix (each value rounded as `astype` rounds it):
    # no float64 matrix on the way, and the model's tree walk reads the columns without a transposed copy.
    matrix = np.empty((len(columns), n), dtype=np.float32)
    for k, column in enumerate(columns):
        matrix[k] = column
    return matrix.T


_STOP_SET = pa.array(sorted(ALL_STOP_WORDS), pa.string())
