"""HTML pages through trafilatura: main content as Markdown (headings, lists, links kept) and metadata."""

from __future__ import annotations

import re
from copy import deepcopy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeGuard

from pipeline.cleaning.formats.html_blocks import (
    TRAF_COMMENTS,
    TRAF_MAIN,
    Block,
    block_features,
    correct_markdown,
    load_block_model,
    page_blocks,
)

if TYPE_CHECKING:
    from trafilatura.settings import Document

HTML_START = re.compile(
    r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html\b)", re.IGNORECASE | re.DOTALL
)
# Video timestamp links (`<a class="yt-timestamp" data-t="00:01:08">[00:01:08]</a>`) are player controls,
# not prose; trafilatura would keep their "[00:01:08]" label, so they go before extraction.
TIMESTAMP_LINK = re.compile(
    r"""[ \t]*<a\b[^>]*\bclass\s*=\s*["'][^"']*\byt-timestamp\b[^>]*>.*?</a\s*>""", re.IGNORECASE | re.DOTALL
)
# Page-structure tags; Markdown with inline HTML uses phrasing tags (a, br, span, sup) instead.
HTML_TAGS = re.compile(
    r"<(?:head|body|title|meta|link|script|style|div|p|table|tr|td|ul|ol|li|form|iframe|center|font|"
    r"section|article|header|footer|nav|main|aside)\b",
    re.IGNORECASE,
)
MIN_STRUCTURE_TAGS = 5
# Why: libxml2 (under lxml, under trafilatura) stops parsing at this depth of nesting and keeps only
# what came before it; a page whose article lies deeper (thousands of unclosed <div> or <font> tags)
# lost that text silently, or was curated as its header alone. A tree that reaches the limit may have
# been cut, so the page is refused with a reason instead. XPath counts the levels in C.
MAX_HTML_DEPTH = 256
REACHES_MAX_DEPTH = "boolean(" + "/*" * MAX_HTML_DEPTH + ")"
# Elements trafilatura's comment extraction may take (its COMMENTS_XPATH tests an id or class for these
# words, or an id starting with "social"): a page without any has no comments to find, and is run once.
MAY_HAVE_COMMENTS = (
    "boolean(//*[re:test(@id, 'comment|comol|disqus|dsq-|^social', 'i') or re:test(@class, 'comment', 'i')])"
)
REGEXP_NS = {"re": "http://exslt.org/regular-expressions"}
# trafilatura's Markdown keeps the page source's indentation of wrapped text lines (a paragraph written
# indented in the HTML, a table cell); Markdown reads a line indented four spaces as code, so its links
# stayed `[text](url)` and its words verbatim. Only list items (nesting) and fenced code keep theirs.
FENCE = re.compile(r"^\s*(?:```|~~~)")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")


# The key of ParsedDocument.metadata.extra that carries, from parsing to curation, how many characters at
# the end of an HTML page's body are its user comments (curate.py drops them unless keep_comments; the key
# never reaches a curated document).
COMMENTS_CHARS = "webcurate_html_comments_chars"


# Why: trafilatura (2.3), given text that sits loose in a container beside block children
# (`<div><div><img></div>Indie games, but the PC game <em>Montas</em> may just ...</div>`), cuts it into a
# paragraph at every inline element and strips the space after it: "the PC game\n\n*Montas*may just" (332
# pieces on 98 of the 608 dev-data HTML pages, html-gold and html-train). Its signature in the extracted
# tree: a paragraph opening with an inline element (of 2+ letters: "<b>T</b>he" is a drop cap) whose tail
# starts without a space. It gets its space back, and is joined to the paragraph before it when that one
# ends mid-sentence. (Wrapping the loose text in a <p> before extraction also mends it, but changes
# which container trafilatura picks: html-train dev lost 0.075 and 0.03 F1 on two pages.)
SPLIT_AT = frozenset(("hi", "ref"))  # trafilatura's inline elements: formatting and links
SENTENCE_END = tuple('.!?:;"”»)…')
OPENING = tuple("([{")


class HtmlError(ValueError):
    """A page that cannot be read whole; the message is the reason recorded for the skipped file."""


# trafilatura settings (chosen with bench/eval_html.py): formatting and links feed our Markdown renderer,
# which turns headings into section boundaries and links into the `links` column. Comments are extracted
# in a run of their own (read_page) and kept apart, for the keep_comments setting to decide.
EXTRACT_OPTIONS: dict[str, Any] = {
    "output_format": "markdown",
    "include_formatting": True,
    "include_links": True,
    "include_tables": True,
    "include_images": False,
}


@dataclass
class HtmlDocument:
    """The main content of a page as Markdown and its metadata fields; `comments` is the trailing part of
    `markdown` that is the page's user comments (as trafilatura found them), "" when there are none."""

    markdown: str
    fields: dict[str, Any] = field(default_factory=dict)
    comments: str = ""


@dataclass
class HtmlPage:
    """What trafilatura makes of a page before any correction: its blocks (html_blocks.py), its main text
    and comments as Markdown, and its metadata fields."""

    blocks: list[Block]
    main: str
    comments: str
    fields: dict[str, Any]


def looks_like_html(text: str) -> bool:
    """True for a document that opens as an HTML page, or is dense with page-level tags."""
    head = text[:4096]
    return bool(HTML_START.match(head)) or len(HTML_TAGS.findall(head)) >= MIN_STRUCTURE_TAGS


def read_page(text: str) -> HtmlPage | None:
    """Segment a page into blocks and extract its main text, comments and metadata with trafilatura; None
    for a page that does not parse.

    Raises HtmlError for a page nested so deep that the parser cannot read all of it.
    """
    # Imported here (~0.07 s): the Dagster process imports this module but never parses a page; the
    # engine's fork server imports trafilatura for its workers (pipeline/datasets/warm.py).
    from trafilatura import bare_extraction
    from trafilatura.metadata import extract_metadata
    from trafilatura.utils import load_html
    from trafilatura.xml import xmltotxt

    tree = load_html(TIMESTAMP_LINK.sub("", text) if "yt-timestamp" in text else text)
    if tree is None:
        return None
    if tree.xpath(REACHES_MAX_DEPTH):
        raise HtmlError(f"HTML nested {MAX_HTML_DEPTH} levels deep: the parser drops whatever lies deeper")
    # Metadata and blocks first: content extraction prunes the tree. `extensive=False` keeps trafilatura
    # from guessing a publication date from any year on the page (a copyright footer, say).
    meta = extract_metadata(tree, extensive=False)
    fields: dict[str, Any] = {
        "title": meta.title,
        "author": meta.author,
        "url": meta.url,
        "date": meta.date,
        "description": meta.description,
        "sitename": meta.sitename,
        "categories": meta.categories or None,
        "tags": meta.tags or None,
    }
    if meta.image:
        fields["image"] = meta.image
    blocks = page_blocks(tree)
    options = {k: v for k, v in EXTRACT_OPTIONS.items() if k != "output_format"}
    # Two runs, as trafilatura.extract(tree, include_comments=...) would: the main text of a run without
    # comments and the comments of a run with them. With comments on, trafilatura lifts the comment thread
    # out of its cleaned tree but its fallback extractors (readability, jusText) still see it, and on a
    # short article they take the thread for the main text; without comments it prunes the thread first
    # (html-train dev, comments dropped: F1 0.876 -> 0.893). The comments run only where there are any.
    comments = ""
    if tree.xpath(MAY_HAVE_COMMENTS, namespaces=REGEXP_NS):
        found = bare_extraction(deepcopy(tree), include_comments=True, **options)
        if _has_body(found) and found.commentsbody is not None:
            mend_split_paragraphs(found.commentsbody)
            comments = xmltotxt(found.commentsbody, True).strip()
    doc = bare_extraction(tree, include_comments=False, **options)
    main = ""
    if _has_body(doc):
        mend_split_paragraphs(doc.body)
        main = xmltotxt(doc.body, True)
    fields = {k: v for k, v in fields.items() if v}
    return HtmlPage(blocks, dedent_markdown(main), dedent_markdown(comments), fields)


def mend_split_paragraphs(body: Any) -> int:
    """Join the paragraphs trafilatura split at an inline element back into one (see SPLIT_AT), in place,
    with the space it stripped after the element; the number of pieces mended."""
    mended = 0
    for parent in [element for element in body.iter() if len(element) > 1]:
        paragraph = None  # the paragraph a split-off piece would continue
        for child in list(parent):
            first = _split_off(child)
            if first is not None:
                mended += 1
                if first.tail[0].isalnum():  # "*Montas*may": the stripped space; not before "," or ")"
                    first.tail = " " + first.tail
                before = _text_end(paragraph) if paragraph is not None else ""
                if before and not before.endswith(SENTENCE_END):  # the paragraph ends mid-sentence
                    _join(paragraph, child, "" if before.endswith(OPENING) else " ")
                    continue
            paragraph = child if child.tag == "p" else None
    return mended


def _split_off(piece: Any) -> Any:
    """The inline element a paragraph opens with when the paragraph has SPLIT_AT's signature, else None."""
    if piece.tag != "p" or (piece.text and piece.text.strip()) or not len(piece):
        return None
    first = piece[0]
    if first.tag not in SPLIT_AT or not first.tail or first.tail[0].isspace():
        return None
    # A one-letter element is a drop cap ("<b>T</b>he"), not a word the split glued.
    return first if len("".join(first.itertext()).strip()) > 1 else None


def _text_end(element: Any) -> str:
    """An element's text up to its last non-blank piece, right-stripped: read from the end, so a paragraph
    that grows by many joins is not read whole each time."""
    for child in reversed(element):
        if child.tail and child.tail.strip():
            return str(child.tail).rstrip()
        inner = _text_end(child) if isinstance(child.tag, str) else ""
        if inner:
            return inner
    return str(element.text or "").rstrip()


def _join(paragraph: Any, piece: Any, gap: str) -> None:
    """Move `piece`'s content to the end of `paragraph`, `gap` between them."""
    if len(paragraph):
        paragraph[-1].tail = (paragraph[-1].tail or "").rstrip() + gap
    else:
        paragraph.text = (paragraph.text or "").rstrip() + gap
    for element in list(piece):
        paragraph.append(element)  # moves it, with its tail
    paragraph.tail = (paragraph.tail or "") + (piece.tail or "")
    piece.getparent().remove(piece)


def dedent_markdown(markdown: str) -> str:
    """trafilatura's Markdown with the leading whitespace of its text lines removed (list items and fenced
    code keep their indentation)."""
    lines = markdown.split("\n")
    fenced = False
    for i, line in enumerate(lines):
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced and line[:1] in (" ", "\t") and not LIST_ITEM.match(line):
            lines[i] = line.lstrip(" \t")
    return "\n".join(lines)


def _has_body(doc: object) -> TypeGuard[Document]:
    """True for an extraction result with a main-text body (trafilatura returns None for nothing)."""
    from trafilatura.settings import Document as ExtractedDocument

    return isinstance(doc, ExtractedDocument) and doc.body is not None


def parse_html(text: str) -> HtmlDocument:
    """Extract the main content and metadata of an HTML page, trafilatura's text corrected by the block
    model (html_blocks.py); an empty extraction gives empty Markdown.

    Raises HtmlError for a page nested so deep that the parser cannot read all of it.
    """
    from trafilatura.utils import normalize_unicode

    page = read_page(text)
    if page is None:
        return HtmlDocument(markdown="")
    main, missed_comments = correct_page(page)
    found = "\n\n".join(part for part in (page.comments, *missed_comments) if part)
    comments = normalize_unicode(found) if found else ""
    markdown = normalize_unicode(f"{main}\n{found}".strip() if found else main)
    if comments and not markdown.endswith(comments):
        comments = ""
    return HtmlDocument(markdown=markdown, fields=page.fields, comments=comments)


def correct_page(page: HtmlPage) -> tuple[str, list[str]]:
    """trafilatura's main text corrected by the block model, and the blocks it missed in the page's comment
    containers (they go with the comments)."""
    if not page.blocks:
        return page.main, []
    features = block_features(page.blocks, page.main, page.comments, page.fields.get("title"))
    scores = load_block_model().predict(features)
    vote = features[:, TRAF_MAIN].astype(float) + features[:, TRAF_COMMENTS].astype(float)
    return correct_markdown(page.main, page.blocks, scores, vote)
