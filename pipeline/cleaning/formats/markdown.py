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
    from markdown_it.ruler import Ruler
    from markdown_it.rules_block import StateBlock
    from markdown_it.rules_core import StateCore
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
# markdown-it tries every block rule at every block start (and the terminator rules at every line of a
# paragraph), and most tries end at that first character.
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


@dataclass(frozen=True)
class LineStart:
    """What decides which block rules can match at a line."""

    first: str  # its first character after the indentation ("" past the end of the source)
    next_first: str  # the same for the next line ("" when it is blank or past the end of the range)
    code_indent: bool  # indented as code (four columns past the block's indentation)


def may_match(rule_name: str, line: LineStart) -> bool:
    """False where the block rule is sure to return False (and to change nothing) at the line."""
    starts = BLOCK_RULE_STARTS.get(rule_name)
    if starts is not None and line.first and line.first not in starts:
        return False
    if rule_name == "table":  # the next line must be the delimiter row, which starts with one of these
        return line.next_first in ("|", "-", ":")
    if rule_name == "lheading":  # reads on to an underline, only through lines that are not blank
        # (It also leaves the state's parentType at "paragraph" when it fails; every rule that reads
        # parentType sets it first, so skipping the rule changes no token.)
        return line.next_first != ""
    if rule_name == "code":
        return line.code_indent
    return True


def _dispatch(chain: list[tuple[str, BlockRule]]) -> BlockRule:
    """One block rule standing for a chain: it tries, in order, only the rules that may match at the line."""
    by_line: dict[tuple[str, str, bool], tuple[BlockRule, ...]] = {}

    def dispatch(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
        """The first rule of the chain that matches at the line, as markdown-it's loop over it finds it."""
        src = state.src
        pos = state.bMarks[start_line] + state.tShift[start_line]
        first = src[pos] if pos < len(src) else ""
        next_first = ""
        if start_line + 1 < end_line:
            next_pos = state.bMarks[start_line + 1] + state.tShift[start_line + 1]
            if next_pos < state.eMarks[start_line + 1]:
                next_first = src[next_pos]
        key = (first, next_first, state.sCount[start_line] - state.blkIndent >= 4)
        rules = by_line.get(key)
        if rules is None:
            line = LineStart(*key)
            rules = by_line[key] = tuple(rule for name, rule in chain if may_match(name, line))
        for rule in rules:  # noqa: SIM110 - any() over a generator costs more, at every line
            if rule(state, start_line, end_line, silent):
                return True
        return False

    return dispatch


def _dispatching_ruler() -> Ruler[BlockRule]:
    """A block ruler whose every chain (all rules, and the terminators of paragraph, list, blockquote and
    reference) compiles to one dispatching rule.

    Why: markdown-it runs a chain as "the first rule that returns True", a Python call per rule and
    line, and most calls end at the first test: the line's first character, whether the next line is
    blank, its indentation. Testing those once per line and trying only the rules that pass them gives
    the same result with a fraction of the calls.
    """
    from markdown_it.ruler import Ruler  # here, as markdown_parser() imports markdown-it: when first used

    class DispatchingRuler(Ruler[BlockRule]):
        """markdown-it's Ruler, each compiled chain replaced by its dispatch."""

        def __compile__(self) -> None:
            """Compile the chains as Ruler does, then make each one dispatching rule."""
            super().__compile__()
            assert self.__cache__ is not None
            names = {rule.fn: rule.name for rule in self.__rules__}
            self.__cache__ = {
                chain: [_dispatch([(names[fn], fn) for fn in fns])] for chain, fns in self.__cache__.items()
            }

    return DispatchingRuler()


# Characters at which some enabled inline rule may match (newline, escape, backticks, strikethrough,
# emphasis, wiki link, link, image, autolink, HTML, entity). Between them markdown-it only collects
# text, so an inline run without any of them parses to a single text token holding it whole.
INLINE_RULE_CHARS = re.compile(r"[\n\\`~*_\[!<&]")


def inline_rule(state: StateCore) -> None:
    """markdown-it's core `inline` rule, a plain run of text (most paragraphs, items and headings) made
    its one text token directly instead of through the inline parser (its whole state and rule loop)."""
    from markdown_it.token import Token

    md = state.md
    for token in state.tokens:
        if token.type == "inline":
            if token.children is None:
                token.children = []
            if token.content and INLINE_RULE_CHARS.search(token.content) is None:
                token.children.append(Token("text", "", 0, content=token.content))
            else:
                md.inline.parse(token.content, md, state.env, token.children)


def normalize_rule(state: StateCore) -> None:
    """markdown-it's core `normalize` rule (CR and CRLF to LF, NUL to U+FFFD), which rewrites every line
    break with a regex; without a CR or a NUL it would return the text unchanged."""
    from markdown_it.rules_core import normalize

    if "\r" in state.src or "\0" in state.src:
        normalize(state)


@lru_cache(maxsize=1)
def markdown_parser() -> MarkdownIt:
    """The CommonMark parser with tables, strikethrough, inline HTML and wiki links."""
    from markdown_it import MarkdownIt
    from markdown_it.common.utils import escapeHtml

    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    md.inline.ruler.before("link", "wikilink", wikilink_rule)
    md.core.ruler.at("normalize", normalize_rule)
    md.core.ruler.at("inline", inline_rule)
    ruler = _dispatching_ruler()
    for rule in md.block.ruler.__rules__:
        ruler.push(rule.name, rule.fn, {"alt": rule.alt})
        if not rule.enabled:
            ruler.disable(rule.name)
    md.block.ruler = ruler
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
    if "\n" not in text:  # most runs are one line: the same as the split below, without the lists
        text = text.strip(" \t")
        return (text if text.strip(ANCHOR) else ""), anchor_seconds
    lines = [line.strip(" \t") for line in text.split("\n")]
    return "\n".join(line for line in lines if line.strip(ANCHOR)), anchor_seconds


# The token types render_markdown reads; the others (paragraph and item ends, table rows and cells,
# quote marks) carry no text or state of their own, and one set lookup passes them by.
RENDERED_TOKENS = frozenset(
    {
        "heading_open",
        "heading_close",
        "bullet_list_open",
        "ordered_list_open",
        "bullet_list_close",
        "ordered_list_close",
        "list_item_open",
        "inline",
        "fence",
        "code_block",
        "html_block",
    }
)


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
        if ANCHOR not in text:  # most blocks: no anchor to place
            self.parts.append(text)
            self.length += len(text)
            self.last_was_item = item
            return
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
        if kind not in RENDERED_TOKENS:
            continue
        if kind == "inline":  # the most frequent first
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
        elif kind == "heading_open":
            heading_level = int(token.tag[1:])
        elif kind == "heading_close":
            heading_level = 0
        elif kind in ("bullet_list_open", "ordered_list_open"):
            start = token.attrGet("start")
            lists.append([kind == "ordered_list_open", int(start) if isinstance(start, (int, str)) else 1])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            writer.last_was_item = False
        elif kind == "list_item_open":
            if lists:
                ordered, number = lists[-1]
                indent = "  " * (len(lists) - 1)
                item_prefix = f"{indent}{number}. " if ordered else f"{indent}- "
                lists[-1][1] = number + 1
        elif kind in ("fence", "code_block"):
            writer.block(token.content.rstrip("\n"))
            first_block = False
        elif kind == "html_block":
            writer.block(html_fragment_text(token.content))
    return MarkdownText(
        text=writer.text(), links=links, headings=headings, anchors=writer.anchors, attribution=attribution
    )
