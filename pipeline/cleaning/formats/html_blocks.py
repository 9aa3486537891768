"""HTML blocks with trafilatura's vote: a fitted block model corrects trafilatura's main-text extraction.

trafilatura decides by its own heuristics which parts of a page are the article; it drops some article
blocks (a story set in table cells, a lead in an odd container) and keeps some chrome (a teaser list, a
caption, a footer line inside the article element). Here every block of the page (the text between
block-level tags, as jusText segments a page) gets features: its length, link density, function-word
share, tag, the class/id words of its ancestors (nav, footer, sidebar, comment, share, related, cookie,
ad, header; article, content, post, story, entry), its depth and position, its neighbours, and
trafilatura's vote (how much of it trafilatura kept, in the main text or in the comments). A fitted
model (`html_block_model.json`, boosted trees evaluated by `boilerplate.model`, data card
`html_block_model.md`, rebuilt by `bench/train_html_blocks.py`) gives each block its probability of
being main text. Lines of trafilatura's Markdown whose block the model rejects are dropped; blocks it
is confident in that trafilatura left out are put back in page order.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.cleaning.boilerplate.model import TreeModel, load_model
from pipeline.cleaning.boilerplate.rules import ALL_STOP_WORDS

MODEL_FILE = Path(__file__).with_name("html_block_model.json")

# Tags that end the running text block (jusText's paragraph tags and the page's structure tags).
BLOCK_TAGS = frozenset(
    (
        "address", "article", "aside", "blockquote", "body", "br", "center", "dd", "details", "dir", "div",
        "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "hr", "html", "li", "main", "menu", "nav", "noframes", "ol", "option", "p", "pre",
        "section", "select", "summary", "table", "tbody", "td", "textarea", "tfoot", "th", "thead", "title",
        "tr", "ul",
    )
)  # fmt: skip
SKIP_TAGS = frozenset(
    ("script", "style", "noscript", "head", "iframe", "svg", "template", "object", "embed", "button", "input")
)
HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
TAG_CODES = {
    "p": 1, "div": 2, "section": 2, "article": 2, "li": 3, "td": 4, "th": 4, "dd": 5, "dt": 5,
    "blockquote": 6, "pre": 6, "span": 7, "a": 8, "br": 9, "title": 10, "option": 11,
}  # fmt: skip
# Words of class and id attributes, each a flag bit of the block (set when the block or an ancestor has it).
CLASS_WORDS: tuple[tuple[str, str], ...] = (
    ("nav", r"nav|menu|breadcrumb|topbar|toolbar|tabs?\b|pagination|pager"),
    ("footer", r"foot|copyright|legal|bottom"),
    ("sidebar", r"side|widget|rail|aside|column-?2|col-?right|right-?col|secondary|extra"),
    ("comment", r"comment|reply|respond|discuss|disqus|talkback|feedback|replies"),
    ("share", r"share|social|facebook|twitter|tweet|addthis|sharing|print|email|mail"),
    ("related", r"related|recommend|popular|trending|more-?stories|also|teaser|promo|most"),
    ("cookie", r"cookie|consent|gdpr|banner|notice|popup|modal|newsletter|subscribe|signup"),
    ("ad", r"\bads?\b|advert|sponsor|dfp|adsense|commercial|outbrain|taboola"),
    ("header", r"head|masthead|logo|branding|top-?bar|site-?title"),
    ("meta", r"byline|author|date|time|meta|tags?\b|categor|caption|credit|photo|image|thumb"),
    ("article", r"article|content|post|story|entry|main|body|text|blog|news|hentry"),
)
_CLASS_RE = [(name, re.compile(pattern, re.IGNORECASE)) for name, pattern in CLASS_WORDS]
WORD = re.compile(r"\w+", re.UNICODE)
TERMINAL = re.compile(r"[.!?…\"”’»)]\s*$")
NGRAM = 3  # trafilatura's vote counts the block's word trigrams found in its output
WINDOW = 2  # neighbours on each side for the context features

FEATURE_NAMES: tuple[str, ...] = (
    "log_chars",
    "n_words",
    "link_density",
    "stop_share",
    "terminal",
    "heading",
    "tag",
    "depth",
    "position",
    "char_position",
    "page_blocks_log",
    "page_share",
    *(f"class_{name}" for name, _ in CLASS_WORDS),
    "traf_main",
    "traf_comments",
    "traf_main_prev",
    "traf_main_next",
    "traf_window",
    "window_log_chars",
    "window_link_density",
    "window_stop_share",
    "run_short",
    "title_overlap",
    "after_traf_first",
    "before_traf_last",
)
TRAF_MAIN = FEATURE_NAMES.index("traf_main")
TRAF_COMMENTS = FEATURE_NAMES.index("traf_comments")


@dataclass
class Block:
    """A run of text between block-level tags, with where it sits in the page."""

    text: str
    tag: str
    flags: int
    depth: int
    link_chars: int


def _class_flags(element: Any) -> int:
    """The flag bits of an element's class and id words."""
    words = f"{element.get('class') or ''} {element.get('id') or ''}"
    if not words.strip():
        return 0
    return sum(1 << k for k, (_, pattern) in enumerate(_CLASS_RE) if pattern.search(words))


def page_blocks(tree: Any) -> list[Block]:
    """The page's text blocks in document order (call before trafilatura, which prunes the tree)."""
    blocks: list[Block] = []
    parts: list[str] = []
    link_chars = 0
    context: tuple[str, int, int] = ("", 0, 0)

    def flush() -> None:
        """End the running block."""
        nonlocal parts, link_chars
        text = " ".join("".join(parts).split())
        if text:
            blocks.append(Block(text, context[0], context[1], context[2], min(link_chars, len(text))))
        parts, link_chars = [], 0

    def add(text: str | None, in_link: bool, where: tuple[str, int, int]) -> None:
        """Append text to the running block."""
        nonlocal link_chars, context
        if text and text.strip():
            if not "".join(parts).strip():
                context = where
            parts.append(text)
            if in_link:
                link_chars += len(text.strip())

    def walk(element: Any, flags: int, depth: int, in_link: bool, where: tuple[str, int, int]) -> None:
        """Collect an element's text and its children's, ending blocks at block tags."""
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag and tag not in SKIP_TAGS:
            flags |= _class_flags(element)
            link = in_link or tag == "a"
            inner = where
            if tag in BLOCK_TAGS:
                flush()
                inner = (tag, flags, depth)
            elif not where[0]:
                inner = (tag, flags, depth)
            add(element.text, link, inner)
            for child in element:
                walk(child, flags, depth + 1, link, inner)
            if tag in BLOCK_TAGS:
                flush()
        add(element.tail, in_link, where)

    root = tree.getroottree().getroot() if hasattr(tree, "getroottree") else tree
    walk(root, 0, 0, False, ("", 0, 0))
    flush()
    return blocks


def words_of(text: str) -> list[str]:
    """The lowercased words of a text."""
    return [w.lower() for w in WORD.findall(text)]


def _grams(words: list[str]) -> list[tuple[str, ...]]:
    """The word n-grams of a block (the whole block when it is shorter than NGRAM)."""
    if len(words) < NGRAM:
        return [tuple(words)] if words else []
    return [tuple(words[i : i + NGRAM]) for i in range(len(words) - NGRAM + 1)]


def _gram_set(text: str) -> set[tuple[str, ...]]:
    """The word n-grams of every line of a text, and each short line as a whole."""
    found: set[tuple[str, ...]] = set()
    for line in text.split("\n"):
        words = words_of(line)
        found.update(_grams(words))
    return found


def _window_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Each value's mean with its neighbours within `window` positions."""
    n = len(values)
    padded = np.concatenate([[0.0], np.cumsum(values)])
    idx = np.arange(n)
    lo, hi = np.maximum(idx - window, 0), np.minimum(idx + window + 1, n)
    return np.asarray((padded[hi] - padded[lo]) / (hi - lo))


def block_features(blocks: list[Block], main_text: str, comments_text: str, title: str | None) -> np.ndarray:
    """The feature matrix of a page's blocks (rows in FEATURE_NAMES order)."""
    n = len(blocks)
    x = np.zeros((n, len(FEATURE_NAMES)), dtype=np.float32)
    if n == 0:
        return x
    main, comments = _gram_set(main_text), _gram_set(comments_text)
    title_words = set(words_of(title or ""))
    chars = np.array([len(b.text) for b in blocks], dtype=np.float64)
    total = float(chars.sum())
    columns: dict[str, list[float]] = {name: [] for name in FEATURE_NAMES}
    for b in blocks:
        words = words_of(b.text)
        grams = _grams(words)
        columns["n_words"].append(min(len(words), 500))
        columns["stop_share"].append(sum(w in ALL_STOP_WORDS for w in words) / len(words) if words else 0.0)
        columns["terminal"].append(1.0 if TERMINAL.search(b.text) else 0.0)
        columns["heading"].append(1.0 if b.tag in HEADINGS else 0.0)
        columns["tag"].append(float(TAG_CODES.get(b.tag, 0 if not b.tag else 12)))
        columns["depth"].append(float(b.depth))
        columns["traf_main"].append(sum(g in main for g in grams) / len(grams) if grams else 0.0)
        columns["traf_comments"].append(sum(g in comments for g in grams) / len(grams) if grams else 0.0)
        columns["title_overlap"].append(
            len(title_words & set(words)) / len(title_words) if title_words and words else 0.0
        )
        for k, (name, _) in enumerate(CLASS_WORDS):
            columns[f"class_{name}"].append(1.0 if b.flags >> k & 1 else 0.0)
        columns["link_density"].append(b.link_chars / len(b.text))
    log_chars = np.log1p(chars)
    traf = np.array(columns["traf_main"])
    link = np.array(columns["link_density"])
    stop = np.array(columns["stop_share"])
    kept = np.nonzero(traf >= 0.5)[0]
    first, last = (int(kept[0]), int(kept[-1])) if len(kept) else (n, -1)
    short = chars < 40
    run = np.zeros(n)
    i = 0
    while i < n:  # the length of the run of short blocks each block sits in (0 for a long block)
        j = i
        while j < n and short[j] == short[i]:
            j += 1
        run[i:j] = (j - i) if short[i] else 0
        i = j
    idx = np.arange(n)
    for name, values in (
        ("log_chars", log_chars),
        ("position", idx / max(n - 1, 1)),
        ("char_position", (np.cumsum(chars) - chars) / max(total, 1.0)),
        ("page_blocks_log", np.full(n, math.log1p(n))),
        ("page_share", chars / max(total, 1.0)),
        ("traf_main_prev", np.concatenate([[0.0], traf[:-1]])),
        ("traf_main_next", np.concatenate([traf[1:], [0.0]])),
        ("traf_window", _window_mean(traf, WINDOW)),
        ("window_log_chars", _window_mean(log_chars, WINDOW)),
        ("window_link_density", _window_mean(link, WINDOW)),
        ("window_stop_share", _window_mean(stop, WINDOW)),
        ("run_short", np.minimum(run, 50)),
        ("after_traf_first", (idx >= first).astype(np.float64)),
        ("before_traf_last", (idx <= last).astype(np.float64)),
    ):
        x[:, FEATURE_NAMES.index(name)] = values
    for name, column in columns.items():
        if column:
            x[:, FEATURE_NAMES.index(name)] = column
    return x


def load_block_model(path: Path = MODEL_FILE) -> TreeModel:
    """The fitted block model, read once per process."""
    return load_model(path)


def _block_of_grams(blocks: list[Block]) -> tuple[dict[tuple[str, ...], int], dict[str, int]]:
    """Where each word n-gram first occurs (block index), and each block's normalised text."""
    of_gram: dict[tuple[str, ...], int] = {}
    of_text: dict[str, int] = {}
    for i, b in enumerate(blocks):
        words = words_of(b.text)
        for g in _grams(words):
            of_gram.setdefault(g, i)
        of_text.setdefault(" ".join(words), i)
    return of_gram, of_text


def line_blocks(lines: list[str], blocks: list[Block]) -> list[int | None]:
    """The block each Markdown line came from (the block most of its n-grams first occur in), or None."""
    of_gram, of_text = _block_of_grams(blocks)
    found: list[int | None] = []
    for line in lines:
        words = words_of(line)
        if not words:
            found.append(None)
            continue
        exact = of_text.get(" ".join(words))
        if exact is not None:
            found.append(exact)
            continue
        votes = Counter(of_gram[g] for g in _grams(words) if g in of_gram)
        found.append(votes.most_common(1)[0][0] if votes else None)
    return found


DROP_BELOW = 0.15  # a trafilatura line whose block scores below this is dropped
ADD_FROM = 0.7  # a block trafilatura left out comes back from this score
ADD_MAX_VOTE = 0.2  # ... when at most this share of its n-grams is in trafilatura's output


def correct_markdown(markdown: str, blocks: list[Block], scores: np.ndarray, traf_main: np.ndarray) -> str:
    """trafilatura's Markdown with rejected blocks' lines dropped and confident missed blocks put back in
    page order (as plain paragraphs after the kept line of the nearest block before them)."""
    lines = markdown.split("\n")
    owner = line_blocks(lines, blocks)
    out: list[tuple[int, str]] = []  # (block order key, line)
    last = -1
    for line, block in zip(lines, owner, strict=True):
        if block is not None and scores[block] < DROP_BELOW:
            continue
        if block is not None:
            last = max(last, block)
        out.append((last, line))
    missed = [i for i in range(len(blocks)) if scores[i] >= ADD_FROM and traf_main[i] <= ADD_MAX_VOTE]
    if missed:
        merged: list[str] = []
        pending = list(missed)
        for key, line in out:
            while pending and pending[0] < key and pending[0] not in _owned(owner):
                merged += [blocks[pending.pop(0)].text, ""]
            merged.append(line)
        while pending:
            merged += ["", blocks[pending.pop(0)].text]
        lines = merged
    else:
        lines = [line for _, line in out]
    return "\n".join(lines)


def _owned(owner: list[int | None]) -> set[int]:
    """The blocks some line came from."""
    return {b for b in owner if b is not None}
