"""Split a clean document body into ordered sections, each under one heading, with character offsets.

The body is plain text (Markdown markup already stripped), one block per paragraph with blank lines
between blocks. Headings come from two places:

* hints from the parser (`Heading`), the headings it saw in markup; each is a whole line of the body
  and they are matched to lines in order;
* without hints, a line-based heuristic for plain-text dumps: short title-like lines standing alone
  before prose, short labels ending in a colon ("AI/ML Services:", "Wichtigste Punkte:"), numbered
  outline items that carry an indented sub-list ("1. Core Services" over "   - SageMaker"), and
  setext underlines.

Sections tile the text: the first starts at 0, each starts where the previous ended, the last ends at
`len(text)`, and a heading section's span starts at its heading line.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from operator import not_

from pipeline.cleaning.document import Anchor, Heading, Section

__all__ = ["segment_sections"]

# A standalone title: at most this long. Real headings are short; a longer lone line is a one-line paragraph.
MAX_TITLE_CHARS = 80
MAX_TITLE_WORDS = 10
# A label ending in a colon ("Wichtigste Punkte:") is shorter still: longer ones introduce a sentence's list.
MAX_LABEL_WORDS = 6
# A numbered outline item that heads a sub-list ("1. Core Services").
MAX_OUTLINE_WORDS = 8
# The block after a standalone title must read like prose for the title to count as a heading.
MIN_PROSE_WORDS = 12
MIN_SENTENCE_WORDS = 6

LIST_ITEM = re.compile(r"^\s*(?:[-*•+–‣◦▪]|\d{1,3}[.)])\s+\S")
BULLET_ITEM = re.compile(r"^\s*[-*•+–‣◦▪]\s+\S")
NUMBERED_ITEM = re.compile(r"^\s{0,3}\d{1,3}[.)]\s+(\S.*)$")
# Markers a heading may still carry: ATX hashes, list markers, emphasis around the whole line.
LEADING_MARKER = re.compile(r"^(?:#{1,6}\s+|(?:[-*•+–‣◦▪]|\d{1,3}[.)])\s+)")
EMPHASIS = re.compile(r"^(\*\*|__|\*|_)(.+)\1$")
SETEXT_UNDERLINE = re.compile(r"^\s{0,3}(=+|-+)\s*$")
# A line that is a sentence, not a title, ends with one of these.
SENTENCE_END = (".", "!", "?", ";", ",", "…")
PROSE_END = (".", "!", "?", ":", ";", "…", '"', "”", "»", ")")
URLISH = re.compile(r"https?://|www\.|\S@\S|\.(?:com|org|net|html?)\b", re.IGNORECASE)
# "Chip Technologie (3)": a category link with its item count, a navigation leftover, not a heading.
TRAILING_COUNT = re.compile(r"\(\d+\)\s*$")


@dataclass(frozen=True)
class _Lines:
    """The lines of the body, as parallel lists (built in a few C-level passes, not an object per line):
    where each starts, its content (without "\\r" of CRLF), whether it is blank."""

    start: list[int]
    content: list[str]
    blank: list[bool]

    def next_nonblank(self, index: int) -> int | None:
        """The index of the first non-blank line at or after `index`, or None."""
        try:
            return self.blank.index(False, index)
        except ValueError:
            return None


@dataclass(frozen=True)
class _Head:
    """A heading found at a line: its line number, clean text and level."""

    line: int
    text: str
    level: int


def _split_lines(text: str) -> _Lines:
    """The lines of `text` split on "\\n" only (other line breaks stay inside a line, as the parser's do)."""
    raw = text.split("\n")
    content = [line.rstrip("\r") for line in raw] if "\r" in text else raw
    # Line k starts after the k lines before it and their "\n"s.
    start = [0, *(end + k for k, end in enumerate(accumulate(map(len, raw[:-1])), 1))]
    return _Lines(start, content, list(map(not_, map(str.strip, content))))


def _letters(text: str) -> int:
    """Number of letters (any script) in `text`."""
    return sum(map(str.isalpha, text))


def _clean_heading(line: str, *, drop_numbering: bool) -> str:
    """A heading's text without markers, emphasis, numbering (on request) or trailing colon."""
    text = " ".join(line.split())
    if drop_numbering or text.startswith("#"):
        text = LEADING_MARKER.sub("", text, count=1)
    while (match := EMPHASIS.match(text)) is not None:
        text = match.group(2).strip()
    text = text.rstrip(":：").strip()
    return text or " ".join(line.split())


def _match_key(line: str) -> str:
    """What a hint is compared on: whitespace-normalised, without markers or a trailing colon."""
    return _clean_heading(line, drop_numbering=False)


def _title_like(content: str, *, max_words: int) -> bool:
    """True for a short line that reads like a title: no sentence end, mostly letters, no URL."""
    text = content.strip()
    # Titles open with a letter or digit; "@user", "/Name", ". Sachrecht", "- item", quotes and brackets
    # open replies, list items, wrapped lines and quotations. (The cheapest tests come first.)
    if not text or len(text) > MAX_TITLE_CHARS or not text[0].isalnum() or "|" in text:
        return False
    if len(text.split()) > max_words:
        return False
    # "Tervetuloa! 🙂": the sentence end is what counts, not the emoji after it.
    core = text
    while (
        core
        and not core[-1].isalnum()
        and (unicodedata.category(core[-1])[0] in "SZ" or core[-1] in "\ufe0f\u200d")
    ):
        core = core[:-1]
    if core.endswith(SENTENCE_END):  # "..." included
        return False
    if URLISH.search(text) or TRAILING_COUNT.search(text):
        return False
    # The first character is a letter or digit; after a digit, the first letter decides.
    first_letter = text[0] if text[0].isalpha() else next((ch for ch in text if ch.isalpha()), "")
    if not first_letter or first_letter.islower():
        return False
    letters = _letters(text)
    visible = len(text) - text.count(" ")
    # Dates, prices and codes are mostly digits and symbols; titles are mostly letters.
    return letters >= 2 and letters >= 0.5 * visible


def _is_prose_block(lines: _Lines, first: int) -> bool:
    """True when the block starting at line `first` reads like prose or is a list: what a heading heads."""
    block: list[str] = []
    for j in range(first, len(lines.blank)):
        if lines.blank[j]:
            break
        block.append(lines.content[j].strip())
    if not block:
        return False
    if LIST_ITEM.match(block[0]) and len(block) >= 2:
        return True
    first_letter = next((ch for ch in block[0] if ch.isalpha()), "")
    if first_letter.islower():
        return False  # a wrapped sentence going on, so the line before was its start, not a title
    if len(block) == 1 and _title_like(block[0], max_words=MAX_TITLE_WORDS):
        return False  # a run of title-like lines (a link list, a table of names) is not a heading over prose
    joined = " ".join(block)
    words = len(joined.split())
    return words >= MIN_PROSE_WORDS or (words >= MIN_SENTENCE_WORDS and joined.endswith(PROSE_END))


def _detect_headings(lines: _Lines) -> list[_Head]:
    """Heading lines of a plain-text body, found by the layout of short lines around them."""
    heads: list[_Head] = []
    outer_level = 0  # level of the last non-outline heading: numbered outline items sit one below it
    blank, contents = lines.blank, lines.content
    n = len(blank)
    for i in range(n):
        if blank[i]:
            continue
        line = contents[i]
        content = line.strip()
        if (
            len(content) > MAX_TITLE_CHARS
            and not content[0].isdecimal()
            and not content.endswith((":", "："))
        ):
            # Too long for every kind of title below (only a label's colon or an outline item's number
            # comes off before the length test): most lines of a body are these.
            continue
        prev_blank = i == 0 or blank[i - 1] or (bool(heads) and heads[-1].line == i - 1)
        next_line = contents[i + 1] if i + 1 < n else None
        next_blank = next_line is None or blank[i + 1]

        # Setext: "Title" over "=====" (level 1) or "-----" (level 2).
        if (
            prev_blank
            and next_line is not None
            and (underline := SETEXT_UNDERLINE.match(next_line))
            and len(underline.group(1)) >= 3
            and _title_like(content.rstrip(":"), max_words=MAX_TITLE_WORDS + 2)
        ):
            level = 1 if underline.group(1)[0] == "=" else 2
            heads.append(_Head(i, _clean_heading(content, drop_numbering=False), level))
            outer_level = level
            continue
        if heads and heads[-1].line == i - 1 and SETEXT_UNDERLINE.match(line):
            continue  # the underline of the heading just found

        # Numbered outline item over an indented or bulleted sub-list: "1. Core Services" / "   - SageMaker".
        # (Its first visible character is a digit, which \d is: a decimal digit.)
        numbered = NUMBERED_ITEM.match(line) if content[0].isdecimal() else None
        if numbered is not None:
            rest = numbered.group(1).strip()
            if (
                next_line is not None
                and BULLET_ITEM.match(next_line)
                and _title_like(rest.rstrip(":"), max_words=MAX_OUTLINE_WORDS)
            ):
                heads.append(_Head(i, _clean_heading(content, drop_numbering=True), outer_level + 1))
                continue

        if not prev_blank:
            continue
        # Label: "AI/ML Services:" right over a list, or alone over a block ("Wichtigste Punkte:").
        if content.endswith((":", "：")) and _title_like(content[:-1], max_words=MAX_LABEL_WORDS):
            if (not next_blank and next_line is not None and LIST_ITEM.match(next_line)) or (
                next_blank and (j := lines.next_nonblank(i + 1)) is not None and _is_prose_block(lines, j)
            ):
                heads.append(_Head(i, _clean_heading(content, drop_numbering=False), 1))
                outer_level = 1
            continue
        # Standalone title: a short line alone between blank lines, followed by prose. A long line ending
        # in a colon introduces what follows ("… built on 5 key principles:") and is not a title.
        if (
            next_blank
            and not content.endswith((":", "："))
            and _title_like(content, max_words=MAX_TITLE_WORDS)
            and (j := lines.next_nonblank(i + 1)) is not None
            and _is_prose_block(lines, j)
        ):
            heads.append(_Head(i, _clean_heading(content, drop_numbering=True), 1))
            outer_level = 1
    return heads


def _match_hints(lines: _Lines, headings: Sequence[Heading]) -> list[_Head]:
    """Lines that carry the parser's headings, matched in order; a hint absent from the text is skipped."""
    keys: dict[str, list[int]] = {}
    for i, (content, blank) in enumerate(zip(lines.content, lines.blank, strict=True)):
        if not blank:
            keys.setdefault(_match_key(content), []).append(i)
    heads: list[_Head] = []
    after = -1  # hints come in document order: each one matches a line after the previous match
    for hint in headings:
        key = _match_key(hint.text)
        candidates = keys.get(key)
        if not key or not candidates:
            continue
        pos = bisect.bisect_right(candidates, after)
        if pos == len(candidates):
            continue
        after = candidates[pos]
        heads.append(_Head(after, key, max(1, int(hint.level))))
    return heads


def _start_times(sections: list[tuple[int, int]], anchors: Sequence[Anchor], length: int) -> list[int | None]:
    """Seconds of the first anchor (by offset) inside each section span; the last span includes `length`."""
    ordered = sorted((a.offset, i, a.seconds) for i, a in enumerate(anchors) if 0 <= a.offset <= length)
    offsets = [item[0] for item in ordered]
    times: list[int | None] = []
    for k, (start, end) in enumerate(sections):
        stop = end + 1 if k == len(sections) - 1 else end
        pos = bisect.bisect_left(offsets, start)
        times.append(ordered[pos][2] if pos < len(ordered) and ordered[pos][0] < stop else None)
    return times


def segment_sections(
    text: str, headings: Sequence[Heading] = (), anchors: Sequence[Anchor] = ()
) -> list[Section]:
    """Ordered sections of `text` that tile it exactly; hints from the parser win over the heuristic."""
    lines = _split_lines(text)
    heads = _match_hints(lines, headings) if headings else []
    if not heads:
        # No hints (plain text), or none of them survived boilerplate removal: fall back to the layout.
        heads = _detect_headings(lines)

    # Spans: an optional lead (only if it has text), then one span per heading line.
    spans: list[tuple[int, int]] = []
    meta: list[tuple[str | None, int]] = []
    starts = [lines.start[h.line] for h in heads]
    if not heads or text[: starts[0]].strip():
        spans.append((0, starts[0] if heads else len(text)))
        meta.append((None, 0))
    for k, head in enumerate(heads):
        # The first heading absorbs a whitespace-only lead so that the first section starts at 0.
        start = starts[k] if spans else 0
        end = starts[k + 1] if k + 1 < len(heads) else len(text)
        spans.append((start, end))
        meta.append((head.text, head.level))

    times = _start_times(spans, anchors, len(text))
    sections: list[Section] = []
    stack: list[int] = []  # indices of open heading sections, levels strictly increasing
    for index, ((start, end), (heading, level), start_time) in enumerate(
        zip(spans, meta, times, strict=True)
    ):
        parent: int | None = None
        if heading is not None:
            # The lead (level 0) is a preamble, not a parent: top-level headings get parent None.
            while stack and sections[stack[-1]].level >= level:
                stack.pop()
            parent = stack[-1] if stack else None
            stack.append(index)
        sections.append(
            Section(
                section_index=index,
                heading=heading,
                level=level,
                parent_index=parent,
                char_start=start,
                char_end=end,
                text=text[start:end],
                start_time=start_time,
            )
        )
    return sections
