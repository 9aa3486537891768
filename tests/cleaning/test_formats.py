"""Format sniffing and parsing: front matter, header lines, Markdown, HTML and plain text."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from lxml import etree

from pipeline.cleaning import formats
from pipeline.cleaning.document import Skipped
from pipeline.cleaning.formats import looks_like_markdown, parse_document, split_title_line, tidy_plain_text
from pipeline.cleaning.formats.frontmatter import FrontMatterError, split_front_matter
from pipeline.cleaning.formats.html import mend_split_paragraphs
from pipeline.cleaning.formats.markdown import MarkdownTooDeep, render_markdown
from tests.cleaning.helpers import parse_bytes, parse_seed, raw_from_bytes
from tests.conftest import load_gold, normalise_ws

# must_drop snippets that are markup or metadata (the parser's job); the rest is boilerplate (cleaning's job).
MARKUP = (
    "[[",
    "]]",
    "**",
    "## ",
    "+++",
    "title = ",
    "<br",
    "yt-timestamp",
    "[00:",
    "](",
    "From: ",
    "videoId",
    "databases .",
    "Source: ",
    "Category: ",
    "Date: ",
    "Title: ",
)


# --- the samples against the gold -------------------------------------------------------------


@pytest.mark.parametrize("entry", load_gold(), ids=lambda e: e["file"][:3])
def test_sample_metadata_matches_the_gold(entry: dict[str, Any]) -> None:
    parsed = parse_seed(entry["file"])
    meta = parsed.metadata
    for key, expected in entry["metadata"].items():
        actual = meta.published.isoformat() if key == "published" and meta.published else getattr(meta, key)
        assert actual == expected, key


@pytest.mark.parametrize("entry", load_gold(), ids=lambda e: e["file"][:3])
def test_sample_markup_is_gone_from_the_body(entry: dict[str, Any]) -> None:
    text = normalise_ws(parse_seed(entry["file"]).text)
    markup = [s for s in entry["must_drop"] if s.startswith(MARKUP)]
    for snippet in [*markup, "](http", "<a ", "+++", "---"]:
        assert normalise_ws(snippet) not in text, snippet


@pytest.mark.parametrize("entry", load_gold(), ids=lambda e: e["file"][:3])
def test_sample_article_text_survives_parsing(entry: dict[str, Any]) -> None:
    text = normalise_ws(parse_seed(entry["file"]).text)
    for snippet in entry["must_keep"]:
        assert normalise_ws(snippet) in text, snippet


def test_sample_002_video_id_and_source_become_metadata() -> None:
    parsed = parse_seed("002_7b0ba32dec95328d.txt")
    assert parsed.metadata.extra == {"videoId": "ifA0ZRiOmx0"}
    assert parsed.metadata.source_name == "acquiredfm"
    assert not parsed.text.startswith("From")
    assert "databases." in parsed.text and "databases ." not in parsed.text
    assert [a.seconds for a in parsed.anchors[:3]] == [6, 8, 20]
    first = parsed.anchors[0]
    assert parsed.text[: first.offset].endswith("alongside computing and databases")


def test_sample_001_front_matter_keys_land_in_columns_or_extra() -> None:
    parsed = parse_seed("001_ca23b936812034eb.txt")
    assert parsed.format == "markdown" and parsed.metadata_format == "toml"
    assert parsed.metadata.published == dt.date(2020, 9, 1)
    assert parsed.metadata.extra == {"image": "/images/180319-bezos.jpg", "type": "featured"}
    assert "https://blog.aboutamazon.com/" in parsed.links
    assert "to continue to grow at 16% annually" in parsed.text  # t[o continue …](…)
    assert "announced it was launching the re:Mars event" in parsed.text  # [announced ](…)it
    assert parsed.headings[0].text == "A love-hate relationship"


def test_sample_003_header_lines_leave_the_body() -> None:
    parsed = parse_seed("003_901500bd3f397282.txt")
    assert parsed.metadata_format == "header_lines"
    assert parsed.text.startswith("Amazon's AI and machine learning initiatives")
    assert "AI/ML Services:\n1. Core Services\n   - SageMaker" in parsed.text


def test_sample_000_title_line_leaves_the_body_and_004_has_none() -> None:
    assert parse_seed("000_053669e5178234e8.txt").text.startswith("In an unexpected turn of events")
    german = parse_seed("004_a96622498b1f3992.txt")
    assert german.metadata.title is None
    assert german.text.startswith("Im kürzlich veröffentlichten")


# --- front matter and header lines -------------------------------------------------------------


def test_yaml_front_matter_with_lists_and_dates() -> None:
    parsed = parse_bytes(
        b"---\ntitle: A note\ndate: 2023-05-06\ntags: [ml, aws]\nauthor: Jane Roe\nrating: 4\n---\n\n"
        b"# Heading\n\nSome **bold** text with a [link](https://example.com).\n"
    )
    meta = parsed.metadata
    assert (meta.title, meta.published, meta.tags, meta.author) == (
        "A note",
        dt.date(2023, 5, 6),
        ["ml", "aws"],
        "Jane Roe",
    )
    assert meta.extra == {"rating": "4"}
    assert parsed.text == "Heading\n\nSome bold text with a link."
    assert parsed.links == ["https://example.com"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("+++\ntitle = 'x'\nbody never closes\n", "never closed"),
        ("+++\ntitle = = 'x'\n+++\nbody\n", "invalid TOML"),
        ("---\ntitle: [unclosed\n---\nbody\n", "invalid YAML"),
        ("---\n- a\n- b\n---\nbody\n", "not a mapping"),
        (
            "---\na: &a [x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c ["
            + ", ".join(["*b"] * 60)
            + "]\n---\nx\n",
            "aliases",
        ),
    ],
)
def test_broken_front_matter_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(FrontMatterError, match=message):
        split_front_matter(text)


def test_broken_front_matter_skips_the_file_with_its_reason() -> None:
    result = parse_document(raw_from_bytes(b"+++\ntitle = = 'x'\n+++\nbody\n"))
    assert isinstance(result, Skipped)
    assert result.reason.startswith("invalid TOML front matter")


def test_front_matter_only_is_skipped_as_bodiless() -> None:
    result = parse_document(raw_from_bytes(b"---\ntitle: only metadata\n---\n"))
    assert isinstance(result, Skipped) and result.reason == "no body text after parsing"


def test_header_lines_are_case_insensitive_and_need_a_block() -> None:
    split = split_front_matter("SOURCE: https://ex.com/a\ndate: 2024-01-02\n\nBody text here.")
    assert split.kind == "header_lines"
    assert split.fields == {"source": "https://ex.com/a", "date": "2024-01-02"}
    prose = split_front_matter("Title: of this sentence is odd but it is prose\nand it goes on.")
    assert prose.kind is None


# --- Markdown rendering --------------------------------------------------------------------------


def test_wiki_links_become_their_label_or_target() -> None:
    rendered = render_markdown("See [[notes/amazon | Amazon's business]] and [[aws]] for more.")
    assert rendered.text == "See Amazon's business and aws for more."
    assert rendered.links == ["wiki:notes/amazon", "wiki:aws"]


def test_setext_and_atx_headings_are_lines_with_levels() -> None:
    rendered = render_markdown("Intro\n=====\n\ntext\n\n### Deep **bold** one\n\nmore")
    assert rendered.text == "Intro\n\ntext\n\nDeep bold one\n\nmore"
    assert [(h.text, h.level) for h in rendered.headings] == [("Intro", 1), ("Deep bold one", 3)]


def test_lists_quotes_and_code_keep_their_text() -> None:
    rendered = render_markdown(
        "> quoted *words*\n\n* one\n* two\n  * nested\n\n1. first\n2. second\n\n```\ncode()\n```"
    )
    assert rendered.text == "quoted words\n\n- one\n- two\n  - nested\n\n1. first\n2. second\n\ncode()"


def test_unmatched_strong_markers_and_inline_html_go() -> None:
    rendered = render_markdown("the [**re:Mars **](https://x.y)event <br/> starts <span>now</span>.")
    assert rendered.text == "the re:Mars event starts now."


def test_markdown_is_told_from_a_text_dump() -> None:
    assert looks_like_markdown("# Title\n\nSee [this](https://a.b).")
    assert not looks_like_markdown("AI/ML Services:\n1. Core Services\n   - SageMaker\n   - Rekognition\n")


def test_title_line_needs_to_stand_alone_and_read_like_a_title() -> None:
    assert split_title_line("My Title?\n\nBody paragraph.") == ("My Title?", "Body paragraph.")
    assert split_title_line("A sentence that ends.\n\nBody.")[0] is None
    assert split_title_line("Only one block")[0] is None


# --- HTML ----------------------------------------------------------------------------------------

PAGE = b"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Site | Big Title</title>
<meta name="author" content="Jane Roe"><meta property="og:url" content="https://ex.com/a">
<meta name="description" content="What the article is about."></head><body>
<nav><a href="/">Home</a> | <a href="/news">News</a></nav>
<article><h1>Big Title</h1>
<p>First paragraph of the article with <a href="https://x.org">a link</a> and <b>bold</b> words,
long enough to count as text.</p>
<h2>Second part</h2>
<p>Another paragraph with quite a few words in it, so that it looks like an article body.</p>
</article><footer>Copyright 2024 Example Inc. All rights reserved.</footer></body></html>"""


def test_html_goes_through_trafilatura_with_metadata() -> None:
    parsed = parse_bytes(PAGE, "page.html")
    assert parsed.format == "html" and parsed.metadata_format == "html_meta"
    assert parsed.metadata.title == "Big Title"
    assert (parsed.metadata.author, parsed.metadata.url) == ("Jane Roe", "https://ex.com/a")
    assert parsed.metadata.published is None  # no date guessed from the copyright footer
    assert parsed.text.startswith("First paragraph of the article with a link and bold words")
    assert "Second part\n\nAnother paragraph" in parsed.text
    assert "Home" not in parsed.text and "Copyright" not in parsed.text
    assert [(h.text, h.level) for h in parsed.headings] == [("Second part", 2)]
    assert parsed.links == ["https://x.org"]


# A blog post whose text sits loose in its container after an image box (as on Joystiq's pages in
# dev-data html-train): trafilatura cut it at every inline element and stripped the space after it.
LOOSE_TEXT_PAGE = b"""<!DOCTYPE html><html><head><title>Montas</title></head><body><article>
<h1>Horror game Montas looks for funding</h1><div class="post-body"><div class="media"><img src="m.jpg">
</div><br />Indie horror games are all the rage these days, but the PC and Mac game <em>Montas</em> may just
have a unique hook, in that it works with the upcoming <a href="https://x.org/rift">Oculus Rift</a> virtual
reality headset. Its developer is seeking funding on <a href="https://x.org/fund">Indiegogo</a>, though the
studio makes it clear that the game will be made whether it reaches its goal or not.<br /><br />
<strong>Montas</strong>tells the story of one Joseph Walker, an accountant wracked by nightmares and driven
to drink, and things start looking pretty grim for him once the murders begin in his quiet town.<br /><br />
<b>T</b>he second reading of the trailer shows some attractive environments in the first-person view of it.
</div></article></body></html>"""


def test_html_text_split_at_inline_elements_is_one_paragraph_again() -> None:
    text = parse_bytes(LOOSE_TEXT_PAGE, "page.html").text
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n")]
    assert paragraphs.pop(0) == "Horror game Montas looks for funding"
    assert paragraphs[0].startswith("Indie horror games are all the rage these days, but the PC and Mac game")
    assert "the PC and Mac game Montas may just have a unique hook" in paragraphs[0]
    assert "the upcoming Oculus Rift virtual reality headset." in paragraphs[0]
    assert paragraphs[0].endswith("whether it reaches its goal or not.")
    assert "funding on Indiegogo, though the studio" in paragraphs[0]  # no space before the comma
    # After a sentence's end a piece stays a paragraph of its own, with its space back
    assert paragraphs[1].startswith("Montas tells the story of one Joseph Walker")
    assert paragraphs[2].startswith("The second reading")  # a drop cap ("<b>T</b>he") is left as it was


def test_a_paragraph_split_into_many_pieces_is_one_again_with_every_word_apart() -> None:
    # trafilatura's tree for a long run of loose text with a link every few words (bench/scaling.py's
    # html_inline shape): each piece is read from the paragraph's end, not the whole paragraph again.
    body = etree.Element("body")
    etree.SubElement(body, "p").text = "A paragraph that runs on past"
    for i in range(2000):
        link = etree.SubElement(etree.SubElement(body, "p"), "ref")
        link.text, link.tail = f"link{i}", f"word{i} and more"
    assert mend_split_paragraphs(body) == 2000
    assert len(body) == 1
    words = "".join(map(str, body[0].itertext())).split()
    assert words[:8] == ["A", "paragraph", "that", "runs", "on", "past", "link0", "word0"]
    assert len(words) == 6 + 2000 * 4 and words[-4:] == ["link1999", "word1999", "and", "more"]


def test_html_without_content_is_skipped() -> None:
    result = parse_document(
        raw_from_bytes(b"<html><head><script>var a=1;</script></head><body></body></html>")
    )
    assert isinstance(result, Skipped) and "no body text" in result.reason


# --- hostile input: nesting, blank runs, giant lines --------------------------------------------


def nested_page(depth: int) -> bytes:
    """A page whose article sits `depth` <div>s deep, under a shallow header paragraph."""
    article = "<p>The deep article text about the harbour works and the quay walls of the town.</p>"
    return (
        "<!DOCTYPE html><html><body><p>Header line of the site with its own words.</p>"
        + "<div>" * depth
        + article
        + "</div>" * depth
        + "</body></html>"
    ).encode()


def test_html_nested_past_the_parsers_depth_limit_is_skipped_not_cut() -> None:
    # libxml2 stops at 256 levels and kept only the header: the article was lost without a word.
    result = parse_document(raw_from_bytes(nested_page(300), "deep.html"))
    assert isinstance(result, Skipped)
    assert result.reason == "HTML nested 256 levels deep: the parser drops whatever lies deeper"
    assert "deep article text" in parse_bytes(nested_page(100), "deep.html").text


def outline(depth: int) -> bytes:
    """A Markdown note: a heading, a list nested `depth` deep, and a closing paragraph."""
    items = "\n".join("  " * level + f"- point {level}" for level in range(depth))
    return f"# Outline\n\n{items}\n\nThe closing paragraph sums up.\n".encode()


def test_markdown_nested_past_the_parsers_limit_is_read_as_text_with_every_word() -> None:
    # markdown-it stops the block parse at 20 levels (ten nested lists) and dropped the rest.
    with pytest.raises(MarkdownTooDeep):
        render_markdown(outline(12).decode())
    deep = parse_bytes(outline(12), "note.md")
    assert deep.format == "text"
    assert "- point 11" in deep.text and deep.text.endswith("The closing paragraph sums up.")
    shallow = parse_bytes(outline(5), "note.md")
    assert shallow.format == "markdown" and shallow.text.endswith("The closing paragraph sums up.")


def test_trailing_blanks_go_in_linear_time_even_from_long_runs_inside_a_line() -> None:
    assert tidy_plain_text("a  \n  b \t\n\t \n\n\n\nc\t") == "a\n  b\n\nc"
    # `[ \t]+$` retried from each of these 100,000 blanks (minutes); rstrip per line takes a millisecond.
    started = time.perf_counter()
    assert tidy_plain_text(" " * 100_000 + "x \n") == " " * 100_000 + "x"
    assert time.perf_counter() - started < 2


def test_a_body_with_a_giant_line_is_skipped_but_a_minified_page_is_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(formats, "MAX_LINE_CHARS", 100)  # 1 MiB in production; a tiny input here
    result = parse_document(raw_from_bytes(b"Dump\n\n" + b"lorem ipsum " * 20, "dump.txt"))
    assert isinstance(result, Skipped)
    assert result.reason == "a line of 239 characters (at most 100): not prose"  # trailing blank stripped
    paragraphs = "".join(f"<p>Paragraph {i} of the minified page, short enough.</p>" for i in range(5))
    page = f"<!DOCTYPE html><html><body><article>{paragraphs}</article></body></html>".encode()
    assert len(page) > 100 and b"\n" not in page
    assert "Paragraph 4" in parse_bytes(page, "min.html").text  # its body has one line per paragraph
