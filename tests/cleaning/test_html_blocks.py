"""The HTML path: trafilatura corrected by the block model, comments as a setting, the model rebuilt."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from bench.eval_html import pipeline_text, plain_trafilatura, score
from pipeline.cleaning.boilerplate import BoilerplateSettings
from pipeline.cleaning.curate import clean_document
from pipeline.cleaning.document import ParsedDocument, RawDocument
from pipeline.cleaning.formats import parse_document
from pipeline.cleaning.formats.html import COMMENTS_CHARS
from pipeline.cleaning.formats.html_blocks import (
    COMMENT_BIT,
    HIDDEN_BIT,
    JT_BAD,
    JT_GOOD,
    MODEL_FILE,
    TRAF_MAIN,
    Block,
    block_features,
    correct_markdown,
    justext_classes,
    justext_judges,
    page_blocks,
)

DATA = Path(__file__).parent / "data" / "html"
DEV_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "dev-data"
PAGES = [json.loads(line) for line in (DATA / "truth.jsonl").read_text(encoding="utf-8").splitlines()]
# F1 over word 4-grams of webcurate's text on each excerpt (measured 0.930, 0.580, 1.000, 0.825).
FLOORS = {
    "readability-daringfireball-1": 0.90,
    "readability-hukumusume": 0.55,
    "readability-lazy-image-3": 0.95,
    "cleaneval-dev-11": 0.80,
}

COMMENTED = b"""<!DOCTYPE html><html><head><title>A walk by the river</title></head><body>
<div class="nav"><a href="/">Home</a> <a href="/news">News</a> <a href="/about">About us</a></div>
<article class="post"><h1>A walk by the river</h1>
<p>The river was high after a week of rain, and the path along its bank was muddy in places where the
water had come over the stones during the night.</p>
<p>We walked from the old mill to the bridge, stopping at the bend where the herons stand in the shallows
and the willows lean so far over the water that their branches trail in the current.</p>
<p>On the way back the sun came out, and the fields on the far side steamed as they dried in the warmth
of the late afternoon, while the swallows flew low over the meadow.</p></article>
<div id="comments" class="comments"><h3>3 Comments</h3>
<div class="comment"><p class="author">Anna says:</p><p>What a lovely description of the walk, it makes
me want to go back there this weekend with the children and the dog.</p></div>
<div class="comment"><p class="author">Ben says:</p><p>I walked the same path last spring and the herons
were there too, standing perfectly still in the shallow water by the bend.</p></div>
</div><div class="footer">Copyright 2024 River Walks</div></body></html>"""


def parsed(data: bytes) -> ParsedDocument:
    """A page through parse_document."""
    doc = parse_document(RawDocument("0" * 16, "page.html", data, hashlib.sha256(data).hexdigest()))
    assert isinstance(doc, ParsedDocument)
    return doc


@pytest.mark.parametrize("page", PAGES, ids=[p["id"] for p in PAGES])
def test_html_path_floor_and_never_below_trafilatura(page: dict[str, str]) -> None:
    """On each excerpt webcurate's text reaches its floor and scores at least plain trafilatura's."""
    data = (DATA / page["file"]).read_bytes()
    ours = score(pipeline_text(data, keep_comments=page["id"].startswith("cleaneval")), page["gold"])[2]
    theirs = score(plain_trafilatura(data), page["gold"])[2]
    assert ours >= FLOORS[page["id"]]
    assert ours >= theirs - 1e-9


def test_comments_dropped_by_default_and_kept_on_request() -> None:
    """The page's comments end the parsed body, marked; curation drops them as `comments` unless kept."""
    doc = parsed(COMMENTED)
    assert "Anna says" in doc.text or "lovely description" in doc.text
    assert COMMENTS_CHARS in doc.metadata.extra
    dropped = clean_document(doc)
    assert "lovely description" not in dropped.doc.text
    assert "herons stand in the shallows" in dropped.doc.text
    assert any(s.rule == "comments" and "lovely description" in s.text for s in dropped.removed)
    assert COMMENTS_CHARS not in dropped.doc.metadata.extra
    kept = clean_document(doc, settings=BoilerplateSettings(keep_comments=True))
    assert "lovely description" in kept.doc.text
    assert COMMENTS_CHARS not in kept.doc.metadata.extra


def test_blocks_carry_class_words_and_links() -> None:
    """Blocks are the texts between block tags, with their ancestors' class words and link share."""
    from trafilatura.utils import load_html

    blocks = page_blocks(load_html(COMMENTED.decode()))
    nav = next(b for b in blocks if b.text.startswith("Home"))
    assert nav.flags & 1 and nav.link_chars == len("Home") + len("News") + len("About us")
    comment = next(b for b in blocks if "lovely description" in b.text)
    assert comment.flags & (1 << 3)


@pytest.mark.skipif(not (DEV_DATA / "html-gold").exists(), reason="needs ../shared/dev-data")
def test_shipped_block_model_is_what_training_rebuilds(tmp_path: Path) -> None:
    """bench/train_html_blocks.py rebuilds the shipped model file byte for byte."""
    from bench.train_html_blocks import main

    out = tmp_path / "model.json"
    assert main(["--out", str(out)]) == 0
    assert out.read_bytes() == MODEL_FILE.read_bytes()


def test_comment_blocks_are_not_put_back_into_the_main_text() -> None:
    """A block trafilatura put in the comments is never 'missed': it comes out once, and not at all
    when the comments are dropped (it was put back into the main text, twice with them kept)."""
    kept = clean_document(parsed(COMMENTED), settings=BoilerplateSettings(keep_comments=True)).doc.text
    assert kept.count("lovely description") == 1
    assert "lovely description" not in clean_document(parsed(COMMENTED)).doc.text


def test_indented_source_lines_are_text_not_code() -> None:
    """A paragraph written indented in the page's source comes out as text with its links as words,
    not as an indented code block with `[text](url)` verbatim."""
    from pipeline.cleaning.formats.html import dedent_markdown

    markdown = "        | Read the [full report](http://example.org/report) here. |\n- item\n  - nested\n"
    markdown += "```\n    code\n```"
    assert dedent_markdown(markdown).split("\n") == [
        "| Read the [full report](http://example.org/report) here. |",
        "- item",
        "  - nested",
        "```",
        "    code",
        "```",
    ]


def test_form_controls_and_hidden_elements() -> None:
    """A dropdown's entries are no block; a block inside an inline-hidden element carries the hidden bit."""
    from trafilatura.utils import load_html

    page = (
        "<html><body><div><p>Some text of the page that a reader sees.</p><select><option>Daily</option>"
        "<option>Weekly</option></select></div><div style='display: none'><p>Sign in to continue</p></div>"
        "</body></html>"
    )
    blocks = page_blocks(load_html(page))
    assert [b.text for b in blocks] == ["Some text of the page that a reader sees.", "Sign in to continue"]
    assert not blocks[0].flags >> HIDDEN_BIT & 1
    assert blocks[1].flags >> HIDDEN_BIT & 1


def test_a_paragraph_of_many_inline_elements_is_one_block() -> None:
    """A paragraph of 5,000 bold, linked and plain pieces is one block of the paragraph, with the length
    of its linked words; where a block is is decided by its first text (a whitespace-only tail before it
    does not count), once, not again at every piece (that made a block of n pieces cost n squared)."""
    from trafilatura.utils import load_html

    pieces = [f"<b>word{i}</b> and <a href='/{i}'>link{i}</a>" for i in range(5000)]
    blocks = page_blocks(load_html(f"<html><body><div>\n  <p>{' '.join(pieces)}</p></div></body></html>"))
    assert len(blocks) == 1
    (block,) = blocks
    assert (block.tag, block.path) == ("p", "/html/body/div/p")
    assert block.text.startswith("word0 and link0 word1 and link1") and block.text.endswith(
        "word4999 and link4999"
    )
    assert block.link_chars == sum(len(f"link{i}") for i in range(5000))


def test_justext_vote_on_blocks() -> None:
    """jusText's classification of the blocks: prose is good, a link list bad, a short line between two
    good blocks good, one between bad blocks bad; a page without stop words of its languages abstains."""
    from trafilatura.utils import load_html

    prose = (
        "It was the best of times and it was the worst of times, and we were all going direct to heaven, "
        "we were all going direct the other way, in short the period was so far like the present period, "
        "that some of its noisiest authorities insisted on its being received for good or for evil."
    )
    page = (
        f"<html><body><ul><li><a href='/'>Home</a></li><li><a href='/a'>About</a></li></ul><p>Menu</p>"
        f"<ul><li><a href='/n'>News</a></li></ul><p>{prose}</p><p>A short line.</p><p>{prose}</p>"
        "</body></html>"
    )
    blocks = page_blocks(load_html(page))
    link = np.array([b.link_chars / len(b.text) for b in blocks])
    assert justext_judges(blocks)
    _, final = justext_classes(blocks, link)
    assert [b.text[:12] for b in blocks] == [
        "Home",
        "About",
        "Menu",
        "News",
        prose[:12],
        "A short line",
        prose[:12],
    ]
    assert list(final) == [JT_BAD, JT_BAD, JT_BAD, JT_BAD, JT_GOOD, JT_GOOD, JT_GOOD]
    assert not justext_judges(
        page_blocks(load_html("<html><body><p>福娘童話集 きょうのイソップ童話</p></body></html>"))
    )


def test_trafilatura_vote_ignores_link_targets() -> None:
    """A block trafilatura kept as linked words counts as kept: the URLs between the words of its
    Markdown do not break the n-grams (it was taken for missed and put back a second time)."""
    blocks = [Block("Home > Fables > The greedy dog", "p", 0, 1, 0)]
    main = "[Home](../index.html) > [Fables](<../fables.html>) > The greedy dog"
    x = block_features(blocks, main, "", None)
    assert x[0, TRAF_MAIN] == 1.0


def test_missed_blocks_in_comment_containers_go_with_the_comments() -> None:
    """A confident block trafilatura left out is put back in page order, unless it lies in a comment
    container: then it joins the comments, which keep_comments decides (the model learnt from CleanEval's
    gold that comments are text)."""
    comment_flag = 1 << COMMENT_BIT
    blocks = [
        Block("The article's first paragraph.", "p", 0, 3, 0),
        Block("A paragraph trafilatura missed.", "p", 0, 3, 0),
        Block("The article's last paragraph.", "p", 0, 3, 0),
        Block("I disagree with every word of this.", "p", comment_flag, 5, 0),
        Block("Home About Contact", "div", 1, 2, 18),
    ]
    markdown = "The article's first paragraph.\n\nThe article's last paragraph.\n\nHome About Contact"
    scores = np.array([0.95, 0.9, 0.95, 0.9, 0.05])
    vote = np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    main, comments = correct_markdown(markdown, blocks, scores, vote)
    assert "A paragraph trafilatura missed." in main and "Home About Contact" not in main
    assert main.index("first paragraph") < main.index("missed") < main.index("last paragraph")
    assert comments == ["I disagree with every word of this."]
