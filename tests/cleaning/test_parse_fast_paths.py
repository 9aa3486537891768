"""The parse step's shortcuts give what the plain computations they skip would give.

Each shortcut (the Markdown parser's rule dispatch and plain-text inline runs, the repeated-line fold, the
mojibake pre-guard, the UTF-8 control test, the header-line scan) is checked against the straightforward
computation on inputs made to reach its edges.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

import ftfy
import pytest
from ftfy.badness import BADNESS_RE
from ftfy.badness import is_bad as ftfy_is_bad
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.common import DEV_DATA
from pipeline.cleaning import decode
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
    AMBIGUOUS_NBSP,
    CONTINUATION_CHARS,
    CONTROL_SAMPLE,
    LEAD_CHARS,
    MOJIBAKE_HINT,
    UndecodableError,
    _class_chars,
    badness_anchors,
    could_be_mojibake,
    decode_bytes,
    fix_text,
    ftfy_config,
    is_bad,
)
from pipeline.cleaning.formats import MARKDOWN_SIGNALS, _needs_present, looks_like_markdown
from pipeline.cleaning.formats.frontmatter import split_header_lines
from pipeline.cleaning.formats.markdown import markdown_parser, wikilink_rule

MOJIBAKE_CASES = DEV_DATA / "mojibake" / "cases.jsonl"
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


# The line_hashes fold's edges: characters lower() and NFD change or expand, every kind of whitespace and
# break, a spacing combining mark NFD would reorder, the capital sigma lower() reads in context, surrogates.
WIDE_FOLD_ALPHABET = st.sampled_from(
    [
        *"aZ 9.,-’“”—…é\u0301\u0316ßσΣİĳ①٣한\t\n\xa0\u3000\u2003\x1f\u212a\u212b\u1e9e\u0130\u00c5Å",
        *("\r", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"),
        *("\U0001f600", "\ud800", "\udc00", "\U0001d165", "\U0001d16d", "\u0345", "\u0f73", "ǅ", "ﬁ"),
    ]
)
REAL_TEXT_DIRS = [DEV_DATA / "text-dumps" / "docs", DEV_DATA / "line-labels" / "docs"]


def assert_line_hashes_as_defined(text: str) -> None:
    """line_hashes, and lines_with_hashes of some of them, as their plain per-line definitions."""
    hashes = line_hashes(text)
    assert hashes == reference_hashes(text), repr(text)
    wanted = hashes[::3]
    expected = {reference_normalise(line) for line in text.splitlines()}
    assert lines_with_hashes(text, wanted) == {
        n for n in expected if len(n) >= MIN_LINE_CHARS and line_hash(n) in wanted
    }


@FUZZ
@given(st.lists(st.lists(WIDE_FOLD_ALPHABET, max_size=60).map("".join), max_size=8))
def test_line_hashes_by_the_byte_fold_are_the_plain_ones(lines: list[str]) -> None:
    assert_line_hashes_as_defined("\n".join(line + " long enough words for a line" for line in lines))


@FUZZ
@given(st.text(st.characters(codec=None, categories=None), max_size=300))
def test_line_hashes_of_any_text_are_the_plain_ones(text: str) -> None:
    assert_line_hashes_as_defined(text)
    assert_line_hashes_as_defined(text + " and a line long enough\n" + text.upper())


def test_the_byte_fold_takes_ordinary_text_and_leaves_context_to_the_plain_way() -> None:
    assert repeated._fold_text("Café  crème, Straße — 12 €\u2028Ünïcode\xa0line") is not None
    assert repeated._fold_text("ΟΔΟΣ και άλλα") is None  # the capital sigma's lower() reads its neighbours
    assert repeated._fold_text("a\U0001d165 note") is None  # a spacing combining mark NFD would reorder
    assert_line_hashes_as_defined("notes \U0001d16d\U0001d165 and \u0316\u0301 in a line long enough")


@pytest.mark.skipif(not all(d.is_dir() for d in REAL_TEXT_DIRS), reason="dev-data is not beside the checkout")
def test_line_hashes_of_the_dev_data_texts_are_the_plain_ones() -> None:
    files = sorted(file for folder in REAL_TEXT_DIRS for file in folder.iterdir() if file.is_file())
    assert len(files) > 100
    fast = 0
    for file in files:
        text = file.read_bytes().decode("utf-8", "replace")
        assert line_hashes(text) == reference_hashes(text), file.name
        fast += repeated._fold_text(text) is not None
    assert fast > 0.9 * len(files)  # the byte fold, not only its fallback, is what is checked


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


# ftfy's badness regex: one string per alternative made of a character of each of its items, and the
# characters its classes name, to build texts that reach every alternative and the windows' edges.
BADNESS_ITEMS = [list(branch) for branch in re._parser.parse(BADNESS_RE.pattern, BADNESS_RE.flags)[0][1][1]]  # type: ignore[attr-defined]


def _example(op: Any, arg: Any) -> str:
    """One character an item of the parsed regex matches ("" for "^" and optional items)."""
    chars = _class_chars(op, arg)
    if chars:
        return min(chars)
    return {"IN": " " if "SPACE" in str(arg) else "é", "ANY": "x", "NOT_LITERAL": "é"}.get(str(op), "")


BRANCH_EXAMPLES = ["".join(_example(op, arg) for op, arg in items) for items in BADNESS_ITEMS]
BADNESS_CHARS = sorted(
    {
        ch
        for items in BADNESS_ITEMS
        for op, arg in items
        for ch in _class_chars(op, arg) or ()
        if not ch.isascii()
    }
)


def test_the_badness_shortcut_is_in_use() -> None:
    _, anchors, width = badness_anchors()
    assert anchors is not None and width == 7
    # Letters of running text are not anchors: such text is searched nowhere.
    assert not anchors.search("Die größere Übersicht für Ärzte; ελληνικά και русский текст".lower())


def test_without_cpythons_regex_parser_the_badness_test_searches_the_whole_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(re, "_parser")  # another Python may not have it
    badness_anchors.cache_clear()
    try:
        assert badness_anchors()[1] is None
        for example in BRANCH_EXAMPLES:
            for text in (example, "Ça va. " * 50 + example, "Ça va. " * 50):
                assert is_bad(text) == ftfy_is_bad(text), repr(text)
    finally:
        badness_anchors.cache_clear()


@pytest.mark.parametrize("example", BRANCH_EXAMPLES)
def test_each_alternative_of_the_badness_regex_is_found_anywhere_in_a_text(example: str) -> None:
    assert ftfy_is_bad(example) and is_bad(example), example
    # Elsewhere than at the start, "^" no longer matches: the two must still agree.
    for text in (example, "ab " + example, "x" * 500 + example + " y", "Ça va. " * 50 + example + "\nok"):
        assert is_bad(text) == ftfy_is_bad(text), repr(text)
        # Cut short or split, the shortcut still says what the full regex says.
        for cut in (text[1:], text[:-1], text[: len(text) // 2], text.replace(example[-1], " ")):
            assert is_bad(cut) == ftfy_is_bad(cut), repr(cut)


@FUZZ
@given(st.lists(st.sampled_from([*BADNESS_CHARS[::3], "a", "Z", " ", "\n", ".", "é", "я", "Ω"]), max_size=40))
def test_the_badness_shortcut_agrees_with_ftfy(chars: list[str]) -> None:
    text = "".join(chars)
    assert is_bad(text) == ftfy_is_bad(text)
    assert is_bad("Text " * 30 + text) == ftfy_is_bad("Text " * 30 + text)


@pytest.mark.skipif(not MOJIBAKE_CASES.is_file(), reason=f"{MOJIBAKE_CASES} is not beside the checkout")
def test_the_badness_shortcut_agrees_with_ftfy_on_the_mojibake_cases() -> None:
    cases = [json.loads(line) for line in MOJIBAKE_CASES.read_text(encoding="utf-8").split("\n") if line]
    texts = [case[key] for case in cases for key in ("original", "expected")]
    texts += [line for text in texts for line in text.splitlines()]
    assert sum(map(ftfy_is_bad, texts)) > 100
    assert [is_bad(t) for t in texts] == [ftfy_is_bad(t) for t in texts]
    for text in texts:
        assert could_be_mojibake(text) == _could_be_mojibake_as_written(text), repr(text)


def _could_be_mojibake_as_written(text: str) -> bool:
    """The guard with ftfy's own badness test."""
    if text.isascii() or not MOJIBAKE_HINT.search(text) or not ftfy_is_bad(text):
        return False
    if AMBIGUOUS_NBSP not in text or text.count(AMBIGUOUS_NBSP) > 1:
        return True
    return ftfy_is_bad(text.replace(AMBIGUOUS_NBSP, " "))


# Lines that reach each of the fixes ftfy_config() applies, and lines it leaves alone.
FTFY_LINES = [
    "plain ASCII line",
    "",
    "Größere Übersicht – „Anti-Bürokratie“ 100 €",
    "L’été à Paris: déjà vu",
    "AmazonÃ¢â‚¬â„¢s quarterly",  # mojibake, twice over
    "voilÃ  le travail",  # a lost no-break byte
    "SlovenÄ\ufffdina",
    "cp1252 as latin-1: \x93quoted\x94",  # C1 controls
    "colour \x1b[31mred\x1b[0m here",  # a terminal escape
    "a lone surrogate \ud83d here",
    "decomposed e\u0301 accent",  # not NFC
    "MISUTÂ\xa0AJIKKO",
    "русский текст и ελληνικά",
]


@FUZZ
@given(st.lists(st.sampled_from(FTFY_LINES), max_size=12), st.sampled_from(["\n", "\n\n", " \n"]))
def test_fix_text_line_by_line_is_ftfys(lines: list[str], joiner: str) -> None:
    text = joiner.join(lines)
    assert fix_text(text) == ftfy.fix_text(text, config=ftfy_config())


def test_fix_text_cuts_long_lines_where_ftfy_does(monkeypatch: pytest.MonkeyPatch) -> None:
    short = ftfy_config()._replace(max_decode_length=7)
    monkeypatch.setattr(decode, "ftfy_config", lambda: short)
    for text in ["AmazonÃ¢â‚¬â„¢s quarterly\nok", "x" * 20 + "Ã©tÃ©\n\nÃ©tÃ©" + "y" * 9]:
        assert fix_text(text) == ftfy.fix_text(text, config=short), repr(text)


@pytest.mark.skipif(not MOJIBAKE_CASES.is_file(), reason=f"{MOJIBAKE_CASES} is not beside the checkout")
def test_fix_text_is_ftfys_on_the_mojibake_cases() -> None:
    cases = [json.loads(line) for line in MOJIBAKE_CASES.read_text(encoding="utf-8").split("\n") if line]
    texts = [case[key] for case in cases for key in ("original", "expected")]
    for text in [*texts, "\n".join(texts)]:
        assert fix_text(text) == ftfy.fix_text(text, config=ftfy_config()), repr(text)


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


@FUZZ
@given(st.text(alphabet="*[]()_`#<>\n a", max_size=60))
def test_the_markdown_needs_are_found_in_one_scan_as_by_substring_tests(text: str) -> None:
    needs = {need for signal in MARKDOWN_SIGNALS for need in signal.needs}
    assert _needs_present(text) == {need for need in needs if need in text}
    assert looks_like_markdown(text) == (sum(signal.found(text) for signal in MARKDOWN_SIGNALS) >= 2)


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
