"""Markdown to plain text through markdown-it-py: anchor text for links, headings as their own lines.

The body keeps one block per paragraph (blank line between blocks, one line per list item) so that
later steps can work line by line; heading lines, link targets and video timestamp anchors are
returned beside the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from pipeline.cleaning.document import Anchor, Heading

if TYPE_CHECKING:  # markdown-it itself is imported by markdown_parser(), where the parser is built
    from markdown_it import MarkdownIt
    from markdown_it.rules_block import StateBlock
    from markdown_it.rules_inline import StateInline
    from markdown_it.token import Token


class MarkdownTooDeep(ValueError):
    """Markdown nested deeper than the parser reads (it drops everything from there to the end)."""


@dataclass
class MarkdownText:
    """Plain text rendered from Markdown, with what the markup said beside it."""

    text: str
    links: list[str] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    anchors: list[Anchor] = field(default_factory=list)
    attribution: str | None = None  # "From: [[acquiredfm]]" as the first block names the source


# Sentinels marking where inline HTML was cut ("\x00") and where a timestamp anchor stood ("\x01").
CUT, ANCHOR = "\x00", "\x01"
TIMESTAMP_ANCHOR = re.compile(
    r"""<a\b[^>]*\bclass\s*=\s*["'][^"']*\byt-timestamp\b[^"']*["'][^>]*>""", re.IGNORECASE
)
DATA_T = re.compile(r"""\bdata-t\s*=\s*["']?(?:(\d+):)?(\d{1,2}):(\d{2})""", re.IGNORECASE)
CLOSING_A = re.compile(r"</a\s*>", re.IGNORECASE)
# Spaces left in front of punctuation where a cut element stood: "databases <a…>[00:00:06]</a>."
SPACE_BEFORE_PUNCT = re.compile(r"[ \t]*([\x00\x01]+)[ \t]*(?=[.,;:!?)\]])")
SPACE_RUN = re.compile(r"[ \t]{2,}")
# Strong-emphasis delimiters that CommonMark left unmatched, as in `[**re:Mars **](…)`: markup, not prose.
STRAY_STRONG = re.compile(r"\*{2,}|(?:(?<=\s)|^)_{2,}|_{2,}(?=\s|$)")
# A first block that only names where the note came from ("From: [[acquiredfm]]", "Quelle: …").
ATTRIBUTION = re.compile(r"^(?:from|source|via|quelle|von)\s*:\s*(\S.{0,120})$", re.IGNORECASE)


def wikilink_rule(state: StateInline, silent: bool) -> bool:
    """markdown-it inline rule: `[[target | label]]` becomes a `wikilink` token."""
    start = state.pos
    if not state.src.startswith("[[", start):
        return False
    end = state.src.find("]]", start + 2)
    if end < 0:
        return False
    inner = state.src[start + 2 : end]
    if not inner.strip() or "\n" in inner or "[" in inner:
        return False
    if not silent:
        target, _, label = inner.partition("|")
        token = state.push("wikilink", "", 0)
        token.meta = {"target": target.strip(), "label": (label or target).strip()}
    state.pos = end + 2
    return True


# The characters (after the indentation) that a line must start with for these block rules to match:
# markdown-it tries every block rule at every block start, and most tries end at that first character.
BLOCK_RULE_STARTS = {
    "fence": "`~",
    "blockquote": ">",
    "hr": "*-_",
    "list": "*-+0123456789",
    "reference": "[",
    "html_block": "<",
    "heading": "#",
}
BlockRule = Callable[["StateBlock", int, int, bool], bool]


def _guarded(rule: BlockRule, starts: str) -> BlockRule:
    """A block rule that first checks the line's first character, without the call (and its debug log)."""
    allowed = frozenset(starts)

    def guarded(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
        """False where the line cannot start this block; the rule itself otherwise."""
        pos = state.bMarks[start_line] + state.tShift[start_line]
        if pos < len(state.src) and state.src[pos] not in allowed:
            return False
        return rule(state, start_line, end_line, silent)

    return guarded


@lru_cache(maxsize=1)
def markdown_parser() -> MarkdownIt:
    """The CommonMark parser with tables, strikethrough, inline HTML and wiki links."""
    from markdown_it import MarkdownIt
    from markdown_it.common.utils import escapeHtml

    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    md.inline.ruler.before("link", "wikilink", wikilink_rule)
    for rule in md.block.ruler.__rules__:
        if rule.name in BLOCK_RULE_STARTS:
            md.block.ruler.at(rule.name, _guarded(rule.fn, BLOCK_RULE_STARTS[rule.name]), {"alt": rule.alt})
    # Rendering to HTML (a preview, a test page) shows a wiki link as its label.
    md.add_render_rule("wikilink", lambda _s, tokens, i, _o, _e: escapeHtml(tokens[i].meta["label"]))
    return md


class _TextOfHtml(HTMLParser):
    """Collects the text of an HTML fragment, skipping script and style."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Enter script/style, whose text is never content."""
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        """Leave script/style."""
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        """Keep text outside script/style."""
        if not self._skip:
            self.parts.append(data)


def html_fragment_text(fragment: str) -> str:
    """The visible text of an HTML block embedded in Markdown."""
    parser = _TextOfHtml()
    parser.feed(fragment)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _timestamp_seconds(tag: str) -> int | None:
    """Seconds of a `data-t="hh:mm:ss"` attribute, or None."""
    match = DATA_T.search(tag)
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)


def render_inline(children: list[Token], links: list[str]) -> tuple[str, list[int]]:
    """Render inline tokens to text; returns the text and the seconds of each anchor (marked by ANCHOR)."""
    parts: list[str] = []
    anchor_seconds: list[int] = []
    in_anchor = False  # inside <a class="yt-timestamp">…</a>: its "[00:00:06]" label is not prose
    for token in children:
        kind = token.type
        if in_anchor:
            if kind == "html_inline" and CLOSING_A.match(token.content):
                in_anchor = False
                parts.append(CUT)
            continue
        if kind == "text":
            parts.append(
                STRAY_STRONG.sub("", token.content)
                if "*" in token.content or "__" in token.content
                else token.content
            )
        elif kind == "code_inline":
            parts.append(token.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif kind == "link_open":
            href = token.attrGet("href")
            if isinstance(href, str) and href:
                links.append(href)
        elif kind == "wikilink":
            parts.append(token.meta["label"])
            links.append(f"wiki:{token.meta['target']}")
        elif kind == "html_inline":
            seconds = _timestamp_seconds(token.content) if TIMESTAMP_ANCHOR.match(token.content) else None
            if seconds is not None:
                in_anchor = True
                anchor_seconds.append(seconds)
                parts.append(ANCHOR)
            else:
                parts.append(CUT)
        # link_close, em/strong/s markers and images carry no prose of their own
    text = "".join(parts)
    if CUT in text or ANCHOR in text:  # most inline runs hold no cut element: skip the regex passes
        text = SPACE_BEFORE_PUNCT.sub(lambda m: m.group(1).replace(CUT, ""), text).replace(CUT, " ")
    if "  " in text or "\t" in text:
        text = SPACE_RUN.sub(" ", text)
    lines = [line.strip(" \t") for line in text.split("\n")]
    return "\n".join(line for line in lines if line.strip(ANCHOR)), anchor_seconds


class _Writer:
    """Accumulates blocks of text, tracking offsets so that anchors land at the right character."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.anchors: list[Anchor] = []
        self.last_was_item = False

    def block(self, text: str, seconds: Sequence[int] = (), *, item: bool = False) -> None:
        """Append a block: list items of one list follow each other on single lines."""
        if not text.strip(ANCHOR):
            return
        if self.parts:
            separator = "\n" if item and self.last_was_item else "\n\n"
            self.parts.append(separator)
            self.length += len(separator)
        pending = iter(seconds)
        for piece_index, piece in enumerate(text.split(ANCHOR)):
            if piece_index:
                self.anchors.append(Anchor(offset=self.length, seconds=next(pending)))
            self.parts.append(piece)
            self.length += len(piece)
        self.last_was_item = item

    def text(self) -> str:
        """The whole text written so far."""
        return "".join(self.parts)


def render_markdown(source: str) -> MarkdownText:
    """Render a Markdown body to plain text with its links, headings, anchors and attribution."""
    if ANCHOR in source:
        # A literal U+0001 in the source would pass for the anchor sentinel and leave the writer an anchor
        # without its seconds (StopIteration); it becomes U+FFFD, as CommonMark does with U+0000 (CUT).
        source = source.replace(ANCHOR, "\ufffd")
    tokens = markdown_parser().parse(source)
    # Why: past maxNesting levels (quotes, or list items at two levels each: ten nested lists) markdown-it
    # stops the block parse and silently drops the rest of the document; the caller decides what to do.
    deepest = markdown_parser().options.maxNesting - 1
    if any(t.level >= deepest and t.type in ("blockquote_open", "list_item_open") for t in tokens):
        raise MarkdownTooDeep(f"Markdown nested more than {deepest} levels deep")
    writer = _Writer()
    links: list[str] = []
    headings: list[Heading] = []
    attribution: str | None = None
    lists: list[list[int]] = []  # per open list: [is_ordered, next number]
    item_prefix: str | None = None
    heading_level = 0
    first_block = True
    for token in tokens:
        kind = token.type
        if kind == "heading_open":
            heading_level = int(token.tag[1:])
        elif kind == "heading_close":
            heading_level = 0
        elif kind in ("bullet_list_open", "ordered_list_open"):
            start = token.attrGet("start")
            lists.append([kind == "ordered_list_open", int(start) if isinstance(start, (int, str)) else 1])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            writer.last_was_item = False
        elif kind == "list_item_open" and lists:
            ordered, number = lists[-1]
            indent = "  " * (len(lists) - 1)
            item_prefix = f"{indent}{number}. " if ordered else f"{indent}- "
            lists[-1][1] = number + 1
        elif kind == "inline":
            text, seconds = render_inline(token.children or [], links)
            if first_block and not heading_level and (match := ATTRIBUTION.match(text.strip(ANCHOR + " "))):
                attribution = match.group(1).strip()
                first_block = False
                continue
            first_block = first_block and bool(heading_level)  # a title heading may precede it
            if heading_level:
                heading = " ".join(text.replace(ANCHOR, " ").split())
                if heading:
                    headings.append(Heading(text=heading, level=heading_level))
                    writer.block(heading)
            elif item_prefix is not None:
                writer.block(item_prefix + text, seconds, item=True)
                item_prefix = None
            else:
                writer.block(text, seconds, item=bool(lists))
        elif kind in ("fence", "code_block"):
            writer.block(token.content.rstrip("\n"))
            first_block = False
        elif kind == "html_block":
            writer.block(html_fragment_text(token.content))
    return MarkdownText(
        text=writer.text(), links=links, headings=headings, anchors=writer.anchors, attribution=attribution
    )
