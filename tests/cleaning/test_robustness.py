"""The samples survive re-encoding, CRLF, injected mojibake and being wrapped in a real web page."""

from __future__ import annotations

import codecs
import html
from collections.abc import Callable

import ftfy.bad_codecs  # noqa: F401 - registers the "sloppy-windows-1252" codec
import pytest

from pipeline.cleaning.curate import clean_document
from pipeline.cleaning.document import ParsedDocument
from pipeline.cleaning.formats.markdown import markdown_parser
from tests.cleaning.helpers import parse_bytes
from tests.conftest import SEEDS, load_gold, normalise_ws

FILES = [entry["file"] for entry in load_gold()]


def curated_text(data: bytes, name: str) -> str:
    """The clean text of a document given as bytes."""
    return clean_document(parse_bytes(data, name)).doc.text


def original(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8")


def mojibake(text: str) -> bytes:
    """UTF-8 bytes read as cp1252 and saved again as UTF-8: the classic double encoding.

    Browsers and most tools read the five bytes cp1252 leaves undefined as C1 controls, as ftfy's
    "sloppy" codec does; Python's strict cp1252 would refuse them.
    """
    return text.encode("utf-8").decode("sloppy-windows-1252").encode("utf-8")


VARIANTS: dict[str, Callable[[str], bytes | None]] = {
    "cp1252": lambda text: text.encode("cp1252") if _representable(text, "cp1252") else None,
    "latin-1": lambda text: text.encode("latin-1") if _representable(text, "latin-1") else None,
    "utf-16-bom": lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
    "crlf": lambda text: text.replace("\n", "\r\n").encode("utf-8"),
    "mojibake": mojibake,
}


def _representable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("name", FILES, ids=lambda n: n[:3])
def test_reencoded_sample_yields_the_same_text(name: str, variant: str) -> None:
    text = original(name)
    data = VARIANTS[variant](text)
    if data is None:
        pytest.skip(f"{name} has characters {variant} cannot represent")
    assert curated_text(data, name) == curated_text(text.encode("utf-8"), name)


def test_at_least_one_legacy_encoding_is_really_exercised() -> None:
    assert sum(_representable(original(n), "cp1252") for n in FILES) >= 3


def page(title: str, body_html: str) -> str:
    """A realistic page around an article body: navigation, header, newsletter box, cookie banner, footer."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} | Example News</title>
<meta name="viewport" content="width=device-width"><link rel="stylesheet" href="/site.css">
<script>window.dataLayer = window.dataLayer || [];</script></head>
<body>
<div id="cookie-banner" class="cookie-consent"><p>We use cookies to improve your experience.
By continuing to browse you accept our <a href="/cookies">cookie policy</a>.</p>
<button>Accept all</button></div>
<header class="site-header"><a href="/" class="logo">Example News</a>
<nav class="main-nav"><ul><li><a href="/tech">Tech</a></li><li><a href="/business">Business</a></li>
<li><a href="/ai">AI</a></li><li><a href="/events">Events</a></li>
<li><a href="/about">About us</a></li></ul></nav>
</header>
<main><article class="post">
<h1 class="entry-title">{html.escape(title)}</h1>
<div class="entry-content">
{body_html}
</div></article>
<aside class="newsletter-box"><h3>Subscribe to our newsletter</h3>
<p>Get the best stories delivered to your inbox every morning.</p>
<form><input type="email" placeholder="Your e-mail"><button>Sign up</button></form></aside>
</main>
<footer class="site-footer"><ul><li><a href="/privacy">Privacy Policy</a></li>
<li><a href="/terms">Terms</a></li><li><a href="/contact">Contact</a></li></ul>
<p>© 2024 Example News Media Ltd. All rights reserved.</p></footer>
</body></html>"""


def article_html(doc: ParsedDocument, source: str) -> str:
    """The article as its site would render it: Markdown through a Markdown renderer, text as paragraphs."""
    if doc.format == "markdown":
        body = source.split("+++", 2)[-1] if source.startswith("+++") else source
        body = body.split("---", 2)[-1] if body.startswith("---") else body
        rendered: str = markdown_parser().render(body)
        return rendered
    blocks = [block for block in doc.text.split("\n\n") if block.strip()]
    return "\n".join(f"<p>{html.escape(block).replace(chr(10), '<br>')}</p>" for block in blocks)


@pytest.mark.parametrize("name", FILES, ids=lambda n: n[:3])
def test_sample_wrapped_in_a_web_page_yields_the_same_body(name: str) -> None:
    source = original(name)
    direct = clean_document(parse_bytes(source.encode("utf-8"), name))
    title = direct.doc.metadata.title or "Article"
    wrapped = parse_bytes(page(title, article_html(direct.doc, source)).encode("utf-8"), name + ".html")
    assert wrapped.format == "html"
    assert wrapped.metadata.title == title
    from_html = clean_document(wrapped).doc.text
    assert normalise_ws(from_html) == normalise_ws(direct.doc.text)
