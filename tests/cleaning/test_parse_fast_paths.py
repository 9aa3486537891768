"""The parse step's shortcuts give what the plain computations they skip would give.

Each shortcut (the Markdown parser's rule dispatch and plain-text inline runs, the repeated-line fold, the
mojibake pre-guard, the UTF-8 control test, the header-line scan) is checked against the straightforward
computation on inputs made to reach its edges.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.cleaning.boilerplate import repeated
from pipeline.cleaning.boilerplate.repeated import (
    MAX_REPLACED_CHARS,
    MIN_LINE_CHARS,
    folded_lines,
    line_hash,
    line_hashes,
    lines_with_hashes,
)
from pipeline.cleaning.decode import (
    CONTINUATION_CHARS,
    CONTROL_SAMPLE,
    LEAD_CHARS,
    MOJIBAKE_HINT,
    UndecodableError,
    decode_bytes,
)
from pipeline.cleaning.formats import looks_like_markdown
from pipeline.cleaning.formats.frontmatter import split_header_lines
from pipeline.cleaning.formats.markdown import markdown_parser, wikilink_rule

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- Markdown --------------------------------------------------------------------------------------------

# Blocks and inline markup that reach every block rule (and the lines its dispatch lets it skip: a table
# needs its delimiter row next, a setext heading its underline, code its indentation) and every inline
# rule's first character.
MARKDOWN_PIECES = [
    "# Heading",
    "###### six #",
    "####### seven",
    "Setext\n===",
    "Sub\n---",
    "two lines\nthen\n---",
    "---",
    "* * *",
    "___",
    "- item",
    "* item",
    "+ item",
    "1. item",
    "2) item",
    "   - nested",
    "      - deeper",
    "    indented code",
    "\tcode after a tab",
    "```\nfenced\n```",
    "~~~ info\nunclosed fence",
    "> quote",
    "> - quoted item\nlazy",
    "| a | b |\n|---|:-:|\n| 1 | 2 |",
    "a | b\n- | -",
    "a | b\n--- | ---",
    "a | b\n:-- | --:",
    "paragraph\n| x |\n|---|",
    "[ref]: https://example.org 'title'",
    "[link](https://a.b) and [ref] and [x][ref]",
    "<div>\nblock <b>html</b>\n</div>",
    "<!-- comment -->",
    "<script>x < 1</script>",
    '<a class="yt-timestamp" data-t="00:01:02">[00:01:02]</a> said.',
    "**strong** __under__ *em* _em_",
    "~~struck~~ `code` ``co`de``",
    "\\* escaped \\[ &amp; &#65; &bogus;",
    "AT&amp;T &copy; 2024",
    "![image](x.png) <https://auto.link>",
    "[[Target|Label]] [[Plain]]",
    "plain words, colons: dashes - and (parens) only",
    "a line\nand its lazy continuation",
    "hard break  \nnext",
    "Windows\r\nline ends\rand a lone\rCR",
    "a NUL\0here",
    "",
]


def stock_parser() -> Any:
    """markdown-it as markdown_parser() configures it, without its shortcuts."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    md.inline.ruler.before("link", "wikilink", wikilink_rule)
    return md


def token_view(tokens: list[Any]) -> list[tuple[Any, ...]]:
    """Every field of every token and of its children, for comparing two parses."""
    views: list[tuple[Any, ...]] = []
    for t in tokens:
        children = None if t.children is None else token_view(t.children)
        views.append((t.type, t.tag, t.nesting, t.level, t.content, t.map, t.markup, t.info, t.attrs))
        views.append((t.meta, t.block, children))
    return views


@pytest.mark.parametrize("piece", MARKDOWN_PIECES)
def test_each_markdown_piece_parses_as_the_stock_parser_parses_it(piece: str) -> None:
    for source in (piece, f"Intro paragraph.\n{piece}\n\nOutro.", f"- item\n\n  {piece}", f"> {piece}"):
        assert token_view(markdown_parser().parse(source)) == token_view(stock_parser().parse(source))


@FUZZ
@given(
    st.lists(
        st.tuples(st.sampled_from(MARKDOWN_PIECES), st.sampled_from(["", " ", "  ", "    ", "\t"])),
        max_size=12,
    ),
    st.lists(st.sampled_from(["\n", "\n\n", "\n\n\n"]), min_size=12, max_size=12),
)
def test_markdown_documents_parse_as_the_stock_parser_parses_them(
    pieces: list[tuple[str, str]], breaks: list[str]
) -> None:
    source = "".join(indent + piece + brk for (piece, indent), brk in zip(pieces, breaks, strict=False))
    assert token_view(markdown_parser().parse(source)) == token_view(stock_parser().parse(source))


# --- repeated lines --------------------------------------------------------------------------------------


def reference_normalise(line: str) -> str:
    """normalise_line spelt out: every character of the lowered NFD line through the character map
    (`_CHARS`, the per-character decisions, without the shortcuts that apply them)."""
    return " ".join(unicodedata.normalize("NFD", line.lower()).translate(repeated._CHARS).split())


def reference_hashes(text: str) -> list[int]:
    """line_hashes spelt out: the long enough normalised lines of str.splitlines(), hashed and sorted."""
    lines = {reference_normalise(line) for line in text.splitlines()}
    return sorted({line_hash(n) for n in lines if len(n) >= MIN_LINE_CHARS})


# Every break str.splitlines() splits at, marks that NFD splits off, a final sigma, wide characters.
FOLD_ALPHABET = st.sampled_from(
    [
        *"aZ 9.,-’“”—…é\u0301\u0316ßΣσİĳ①٣한\t\n",
        *("\r", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"),
        *("\U0001f600", "\ud800"),
    ]
)


@FUZZ
@given(st.lists(st.lists(FOLD_ALPHABET, max_size=60).map("".join), max_size=8))
def test_line_hashes_are_the_hashes_of_the_normalised_lines(lines: list[str]) -> None:
    text = "\n".join(line + " long enough words for a line" for line in lines)
    assert line_hashes(text) == reference_hashes(text)
    assert folded_lines(text) == [
        unicodedata.normalize("NFD", line.lower()).translate(repeated._CHARS) for line in text.split("\n")
    ]
    wanted = line_hashes(text)[::2]
    expected = {reference_normalise(line) for line in text.splitlines()}
    assert lines_with_hashes(text, wanted) == {
        n for n in expected if len(n) >= MIN_LINE_CHARS and line_hash(n) in wanted
    }


def test_a_text_with_many_kinds_of_punctuation_folds_as_one_with_few() -> None:
    punctuation = "".join(chr(code) for code in range(0x2010, 0x2028))  # dashes, quotes, daggers, bullets
    assert len(punctuation) > MAX_REPLACED_CHARS  # past the per-character replacements
    text = f"Café{punctuation}crème 12 Ünïcode and more words\nsecond line {punctuation[:3]} with words"
    assert line_hashes(text) == reference_hashes(text)
    assert folded_lines(text) == [
        unicodedata.normalize("NFD", line.lower()).translate(repeated._CHARS) for line in text.split("\n")
    ]


# --- decoding --------------------------------------------------------------------------------------------

# The mojibake hint as first written: a lead character before a continuation character (or U+FFFD), a C1
# control, or "Ã"/"Â" before a (no-break) space.
PLAIN_HINT = re.compile(
    f"[{re.escape(LEAD_CHARS)}][{re.escape(CONTINUATION_CHARS)}\ufffd]|[\x80-\x9f]|[ÃÂ][ \xa0]"
)
HINT_CHARS = sorted(set(LEAD_CHARS[::7] + CONTINUATION_CHARS[::7] + "ÃÂ \xa0\ufffd\x80\x9fa’"))


@pytest.mark.parametrize("first", HINT_CHARS)
def test_the_mojibake_hint_finds_exactly_the_pairs_it_was_written_for(first: str) -> None:
    for second in HINT_CHARS:
        for text in (first + second, "x" + first + second + "y", first):
            assert bool(MOJIBAKE_HINT.search(text)) == bool(PLAIN_HINT.search(text)), repr(text)


def test_control_characters_are_counted_in_the_sample_whatever_their_byte_offset() -> None:
    # Two-byte characters put the controls past byte CONTROL_SAMPLE but inside the sample of characters.
    inside = "é" * (CONTROL_SAMPLE // 2) + "\x01" * (CONTROL_SAMPLE // 8)
    with pytest.raises(UndecodableError, match="control characters"):
        decode_bytes(inside.encode("utf-8"))
    past = "é" * CONTROL_SAMPLE + "\x01" * 100  # past the sample: not read, as before
    assert decode_bytes(past.encode("utf-8")).text == past
    few = "text\x0b with a vertical tab " * 10
    assert decode_bytes(few.encode("utf-8")).text == few


# --- format sniffing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# Title\n- one\n- two", True),  # line-start signals at the very start
        ("intro\n# Title\n\n- one\n- two", True),  # and after a line break
        ("intro # not a heading\nsee - one - two", False),  # but not inside a line
        ("> quote\n```\ncode", True),
        ("a > b and ``` inline", False),
    ],
)
def test_markdown_signals_that_start_a_line_are_found_only_there(text: str, expected: bool) -> None:
    assert looks_like_markdown(text) is expected


@pytest.mark.parametrize(
    ("text", "fields", "body"),
    [
        ("Source: a\nDate: b", {"source": "a", "date": "b"}, ""),
        ("Source: a\nDate: b\n", {"source": "a", "date": "b"}, ""),
        ("Title: t\n\nBody.", {"title": "t"}, "\nBody."),
        ("Source: a\nTitle: t\nBody.", {"source": "a", "title": "t"}, "Body."),
    ],
)
def test_header_lines_are_read_line_by_line_to_the_first_other(
    text: str, fields: dict[str, str], body: str
) -> None:
    split = split_header_lines(text)
    assert (split.kind, split.fields, split.body) == ("header_lines", fields, body)


@pytest.mark.parametrize("text", ["Title: t\nBody.", "Body.\nSource: a\nDate: b", "", "\n"])
def test_text_without_a_header_block_keeps_its_body(text: str) -> None:
    split = split_header_lines(text)
    assert (split.kind, split.fields, split.body) == (None, {}, text)
