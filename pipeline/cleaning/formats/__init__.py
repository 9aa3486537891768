"""Sniff the format of a decoded document and parse it into body text plus metadata."""

from __future__ import annotations

import re

from pipeline.cleaning.decode import (
    UndecodableError,
    decode_bytes,
    normalise_newlines,
    repair_escapes,
    repair_mojibake,
)
from pipeline.cleaning.document import Metadata, ParsedDocument, RawDocument, Skipped
from pipeline.cleaning.formats.frontmatter import FrontMatterError, split_front_matter
from pipeline.cleaning.formats.html import COMMENTS_CHARS, HtmlError, looks_like_html, parse_html
from pipeline.cleaning.formats.markdown import MarkdownText, MarkdownTooDeep, render_markdown
from pipeline.cleaning.formats.metadata import build_metadata

__all__ = ["looks_like_markdown", "parse_document", "parse_text", "split_title_line", "tidy_plain_text"]


class Signal:
    """Markup only Markdown writes: its pattern, and the text it cannot occur without."""

    def __init__(self, pattern: str, needs: tuple[str, ...], *, line_start: bool = False, flags: int = 0):
        self.pattern = re.compile(pattern, flags)
        self.needs = needs  # any one of them: a substring test is far cheaper than a regex scan
        # A signal that starts a line ("^" with re.MULTILINE) is matched at the start of the text and
        # searched for after a "\n": "^" gives the regex engine no first character to skip to, so it
        # tries every position of the text; after "\n" it jumps from line to line.
        self.after_newline = re.compile("\n" + pattern, flags) if line_start else None

    def found(self, text: str, present: frozenset[str] | None = None) -> bool:
        """True when the signal occurs in the text (`present`: the needs of all signals the text holds)."""
        for need in self.needs:
            if need in (text if present is None else present):
                break
        else:
            return False
        if self.after_newline is None:
            return self.pattern.search(text) is not None
        return self.pattern.match(text) is not None or self.after_newline.search(text) is not None


# Two different kinds make a body Markdown rather than a text dump.
MARKDOWN_SIGNALS: tuple[Signal, ...] = (
    Signal(r"#{1,6}[ \t]+\S", ("#",), line_start=True),  # ATX heading
    Signal(r"\[[^\]\n]+\]\([^)\s]+\)", ("](",)),  # inline link
    Signal(r"\*\*[^*\n]+\*\*|__[^_\n]+__", ("**", "__")),  # strong emphasis
    Signal(r"\[\[[^\]\n]+\]\]", ("[[",)),  # wiki link
    Signal(r"```", ("```",), line_start=True),  # fenced code
    Signal(r">[ \t]?\S", (">",), line_start=True),  # blockquote
    Signal(r"[ \t]*[*+-][ \t]+\S.*\n[ \t]*[*+-][ \t]+\S", ("\n",), line_start=True),  # bullet list
    Signal(r"<(?:br|a|span|div|sup|img)\b[^>]*>", ("<",), flags=re.IGNORECASE),  # inline HTML in Markdown
)
BLANK_RUN = re.compile(r"\n{3,}")
# Why: no page has a paragraph of a million characters; a body line that long is a dump without line
# breaks, minified code or an inlined blob, never prose. The line-wise steps after parsing (repeated-line
# hashes, boilerplate, sections) split such a line into millions of words: one 50 MB line took ~700 MB
# in a worker. Such a document is skipped with its longest line's length.
MAX_LINE_CHARS = 1 << 20
# A title line: short, no sentence end, not a list item or a "Key: value" line.
MAX_TITLE_CHARS = 160
MAX_TITLE_WORDS = 24


# The needs of two or more characters, found in one scan: five substring searches of a text stored with
# two or four bytes a character cost ~1 ns a character each. No two of them can overlap (only a need can
# end with a character another starts with, and then it is the same need), so the scan misses none.
_LONG_NEEDS = sorted({need for signal in MARKDOWN_SIGNALS for need in signal.needs if len(need) > 1})
_LONG_NEED = re.compile("|".join(map(re.escape, _LONG_NEEDS)))
_SHORT_NEEDS = sorted({need for signal in MARKDOWN_SIGNALS for need in signal.needs if len(need) == 1})


def _needs_present(text: str) -> frozenset[str]:
    """The signals' needs that occur in the text."""
    found = set(_LONG_NEED.findall(text))
    found.update(need for need in _SHORT_NEEDS if need in text)  # one character: a memchr each
    return frozenset(found)


def looks_like_markdown(text: str) -> bool:
    """True when at least two kinds of Markdown-only markup appear in the text."""
    present = _needs_present(text)
    hits = 0
    for signal in MARKDOWN_SIGNALS:
        if signal.found(text, present):
            hits += 1
            if hits >= 2:
                return True
    return False


def tidy_plain_text(text: str) -> str:
    """Strip trailing spaces and surrounding blank lines, and fold runs of blank lines into one."""
    # Why not `re.sub(r"[ \t]+$", "", text, flags=re.M)`: it retries from every blank of a run that does
    # not end its line, quadratic in the run (a 1,000-level outline read as text took seconds, a long
    # indented line minutes); rstrip per line is linear, and faster on ordinary text too.
    # Most dumps have no trailing blanks and no run of blank lines: then both passes would copy the text
    # unchanged, and the tests for them are substring searches in C.
    if " \n" in text or "\t\n" in text or text.endswith((" ", "\t")):
        text = "\n".join([line.rstrip(" \t") for line in text.split("\n")])
    if "\n\n\n" in text:
        text = BLANK_RUN.sub("\n\n", text)
    return text.strip("\n")


def longest_line(text: str) -> int:
    """The length of the longest line of `text`, as the line-wise steps split it (splitlines)."""
    return max(map(len, text.splitlines()), default=0)


def split_title_line(body: str) -> tuple[str | None, str]:
    """Take a plain-text dump's first line as its title when it stands alone and reads like one."""
    first, separator, rest = body.partition("\n\n")
    line = first.strip()
    if (
        not separator
        or "\n" in line
        or not rest.strip()
        or not line
        or len(line) > MAX_TITLE_CHARS
        or len(line.split()) > MAX_TITLE_WORDS
        or line[-1] in ".,;:"
        or re.match(r"^(?:[-*•]|\d+[.)])\s", line)
    ):
        return None, body
    return line, rest.lstrip("\n")


def drop_title_heading(rendered: MarkdownText, title: str) -> str:
    """Drop a page's leading heading when it repeats the title (it is metadata, not body)."""
    first = rendered.headings[0]
    if " ".join(first.text.split()) != " ".join(title.split()) or not rendered.text.startswith(first.text):
        return rendered.text
    cut = len(first.text)
    while cut < len(rendered.text) and rendered.text[cut] == "\n":
        cut += 1
    rendered.headings = rendered.headings[1:]
    rendered.anchors = [type(a)(a.offset - cut, a.seconds) for a in rendered.anchors if a.offset >= cut]
    rendered.text = rendered.text[cut:]
    return rendered.text


def parse_text(text: str) -> tuple[str, str | None, Metadata, MarkdownText | None, list[str]]:
    """Parse decoded text: returns (format, metadata_format, metadata, rendered Markdown or None, repairs)."""
    if looks_like_html(text):
        html_doc = parse_html(text)
        markdown, repairs = repair_escapes(html_doc.markdown, entities=False)
        rendered = render_markdown(markdown)
        metadata = build_metadata(html_doc.fields)
        if html_doc.comments:
            # The page's user comments end the body; curation drops them unless told to keep them.
            comments = render_markdown(repair_escapes(html_doc.comments, entities=False)[0]).text.strip()
            body = rendered.text.rstrip()
            if comments and body.endswith(comments) and body[: -len(comments)].strip():
                metadata.extra[COMMENTS_CHARS] = str(len(comments))
        return "html", "html_meta", metadata, rendered, repairs
    split = split_front_matter(text)
    metadata = build_metadata(split.fields)
    is_markdown = split.kind in ("toml", "yaml") or looks_like_markdown(split.body)
    # Markdown decodes its own entities; in a text dump "&amp;" is a scraper artefact.
    body, repairs = repair_escapes(split.body, entities=not is_markdown)
    if is_markdown:
        try:
            return "markdown", split.kind, metadata, render_markdown(body), repairs
        except MarkdownTooDeep:
            # Why: the Markdown parser drops everything past its nesting limit (ten nested lists are
            # enough); read as a text dump, the document keeps all its words, markup and all.
            pass
    return "text", split.kind, metadata, MarkdownText(text=tidy_plain_text(body)), repairs


def parse_document(raw: RawDocument) -> ParsedDocument | Skipped:
    """Decode, repair and parse one raw document; a file that cannot be curated comes back as Skipped."""

    def skipped(reason: str) -> Skipped:
        """The raw document recorded as skipped for `reason`."""
        return Skipped(raw.doc_id, raw.source_path, reason, raw.sha256, raw.size_bytes)

    try:
        decoded = decode_bytes(raw.data)
    except UndecodableError as exc:
        return skipped(str(exc))
    text, mojibake_fixed = repair_mojibake(normalise_newlines(decoded.text).lstrip("\ufeff"))
    try:
        doc_format, metadata_format, metadata, rendered, repairs = parse_text(text)
    except (FrontMatterError, HtmlError, MarkdownTooDeep) as exc:
        return skipped(str(exc))
    assert rendered is not None
    body = rendered.text
    if doc_format == "text" and metadata.title is None:
        title, body = split_title_line(body)
        if title is not None:
            metadata.title, metadata_format = title, metadata_format or "title_line"
    elif doc_format == "html" and rendered.headings and metadata.title:
        body = drop_title_heading(rendered, metadata.title)
    if rendered.attribution and metadata.source_name is None:
        metadata.source_name = rendered.attribution
    if not body.strip():
        return skipped("no body text after parsing")
    if len(body) > MAX_LINE_CHARS and (longest := longest_line(body)) > MAX_LINE_CHARS:
        return skipped(f"a line of {longest:,} characters (at most {MAX_LINE_CHARS:,}): not prose")
    return ParsedDocument(
        doc_id=raw.doc_id,
        source_path=raw.source_path,
        sha256=raw.sha256,
        size_bytes=raw.size_bytes,
        format=doc_format,
        metadata_format=metadata_format,
        encoding=decoded.encoding,
        text=body,
        metadata=metadata,
        links=rendered.links,
        headings=rendered.headings,
        anchors=rendered.anchors,
        repairs=(["mojibake"] if mojibake_fixed else []) + repairs,
    )
