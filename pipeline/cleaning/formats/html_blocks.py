"""HTML blocks with trafilatura's vote: a fitted block model corrects trafilatura's main-text extraction.

trafilatura decides by its own heuristics which parts of a page are the article; it drops some article
blocks (a story set in table cells, a lead in an odd container) and keeps some chrome (a teaser list, a
caption, a footer line inside the article element). Here every block of the page (the text between
block-level tags, as jusText segments a page) gets features: its length, link density, function-word
share, tag, the class/id words of its ancestors (nav, footer, sidebar, comment, share, related, cookie,
ad, header; article, content, post, story, entry; hidden inline), its depth and position, its neighbours,
trafilatura's vote (how much of it trafilatura kept, in the main text or in the comments; how much of the
blocks in the same container and with the same tag path it kept) and jusText's vote (its classification
of the same blocks, computed here: a second extractor that often keeps what trafilatura misses). A fitted
model (`html_block_model.json`, boosted trees evaluated by `boilerplate.model`, data card
`html_block_model.md`, rebuilt by `bench/train_html_blocks.py`) gives each block its probability of
being main text. Lines of trafilatura's Markdown whose block the model rejects are dropped; blocks it
is confident in that trafilatura left out are put back in page order.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

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
    (
        "script", "style", "noscript", "head", "iframe", "svg", "template", "object", "embed", "button",
        "input", "select", "option", "optgroup", "datalist", "textarea",  # form controls are never prose
    )
)  # fmt: skip
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
# One more flag bit: the block or an ancestor is hidden inline (a closed popup, a collapsed menu, a
# preloaded dialog), which a reader never sees unless a script shows it.
HIDDEN_BIT = len(CLASS_WORDS)
COMMENT_BIT = [name for name, _ in CLASS_WORDS].index("comment")
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
WORD = re.compile(r"\w+", re.UNICODE)
# A Markdown link's target, `[text](url)` or `[text](<url>)`: its words are not the page's text, and set
# between the words of linked phrases they broke the n-grams of trafilatura's vote and of the mapping of
# its lines to blocks.
LINK_TARGET = re.compile(r"\]\((?:<[^>\n]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:\s+\"[^\"\n]*\")?\)")
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
    "page_share",
    *(f"class_{name}" for name, _ in CLASS_WORDS),
    "hidden",
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
    "parent_traf",
    "path_traf",
    "justext_cf",
    "justext_good",
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
    parent: int = -1  # the block-level element around the block's own (blocks of one list, one row share it)
    path: str = ""  # the block-level tags from the root down to the block's element ("html/body/div/ul/li")


class _Where(NamedTuple):
    """The element a block's text belongs to."""

    tag: str
    flags: int
    depth: int
    parent: int
    path: str


def _class_flags(element: Any) -> int:
    """The flag bits of an element's class and id words, and whether it is hidden inline."""
    style = element.get("style")
    hidden = element.get("hidden") is not None or element.get("aria-hidden") == "true"
    flags = 1 << HIDDEN_BIT if hidden or (style and HIDDEN_STYLE.search(style)) else 0
    words = f"{element.get('class') or ''} {element.get('id') or ''}"
    if not words.strip():
        return flags
    return flags | _word_flags(words)


@lru_cache(maxsize=8192)
def _word_flags(words: str) -> int:
    """The flag bits of an element's class and id words (remembered: a page repeats its few class names on
    hundreds of elements, and each costs a dozen regex searches)."""
    return sum(1 << k for k, (_, pattern) in enumerate(_CLASS_RE) if pattern.search(words))


def page_blocks(tree: Any) -> list[Block]:
    """The page's text blocks in document order (call before trafilatura, which prunes the tree)."""
    blocks: list[Block] = []
    parts: list[str] = []
    link_chars = 0
    nodes = 0  # block-level elements seen, numbering them
    nowhere = _Where("", 0, 0, -1, "")
    context = nowhere

    def flush() -> None:
        """End the running block."""
        nonlocal parts, link_chars
        text = " ".join("".join(parts).split())
        if text:
            w = context
            blocks.append(Block(text, w.tag, w.flags, w.depth, min(link_chars, len(text)), w.parent, w.path))
        parts, link_chars = [], 0

    def add(text: str | None, in_link: bool, where: _Where) -> None:
        """Append text to the running block."""
        nonlocal link_chars, context
        if not text:
            return
        if not text.strip():
            if parts:  # whitespace between two inline elements ("<a>Home</a> <a>News</a>") parts words
                parts.append(" ")
            return
        if not parts:  # the block's first text: it says where the block is
            context = where
        parts.append(text)
        if in_link:
            link_chars += len(text.strip())

    def walk(
        element: Any, flags: int, depth: int, in_link: bool, where: _Where, container: int, path: str
    ) -> None:
        """Collect an element's text and its children's, ending blocks at block tags (`container` is the
        number of the block-level element around this one, `path` the block-level tags down to it)."""
        nonlocal nodes
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag and tag not in SKIP_TAGS:
            flags |= _class_flags(element)
            link = in_link or tag == "a"
            inner, inside, inner_path = where, container, path
            if tag in BLOCK_TAGS:
                flush()
                inner_path = f"{path}/{tag}"
                inner = _Where(tag, flags, depth, container, inner_path)
                nodes += 1
                inside = nodes
            elif not where.tag:
                inner = _Where(tag, flags, depth, container, path)
            add(element.text, link, inner)
            for child in element:
                walk(child, flags, depth + 1, link, inner, inside, inner_path)
            if tag in BLOCK_TAGS:
                flush()
        add(element.tail, in_link, where)

    root = tree.getroottree().getroot() if hasattr(tree, "getroottree") else tree
    walk(root, 0, 0, False, nowhere, -1, "")
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


def markdown_words(line: str) -> list[str]:
    """The lowercased words of a Markdown line, without its links' targets."""
    return words_of(LINK_TARGET.sub("]", line) if "](" in line else line)


def _gram_set(text: str) -> set[tuple[str, ...]]:
    """The word n-grams of every line of a (Markdown) text, and each short line as a whole."""
    found: set[tuple[str, ...]] = set()
    for line in text.split("\n"):
        words = markdown_words(line)
        found.update(_grams(words))
    return found


def _window_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Each value's mean with its neighbours within `window` positions."""
    n = len(values)
    padded = np.concatenate([[0.0], np.cumsum(values)])
    idx = np.arange(n)
    lo, hi = np.maximum(idx - window, 0), np.minimum(idx + window + 1, n)
    return np.asarray((padded[hi] - padded[lo]) / (hi - lo))


# jusText's classification (Pomikálek 2011, as jusText 3 does it, with its default settings): a second
# extractor's vote, from the length, function-word share and link density of a block and its neighbours.
# Where trafilatura keeps one article of a page of many posts, or misses a page laid out in tables, it
# often keeps them. Classes: bad, short, near-good, good.
JT_BAD, JT_SHORT, JT_NEARGOOD, JT_GOOD = 0, 1, 2, 3
JT_LENGTH_LOW, JT_LENGTH_HIGH = 70, 200
JT_STOP_LOW, JT_STOP_HIGH = 0.30, 0.32
JT_MAX_LINK_DENSITY = 0.2
JT_HEADING_DISTANCE = 200
# jusText's stop-word lists of the languages the boilerplate rules know (boilerplate.rules.STOP_WORDS):
# its thresholds are set for these lists, which are longer than the rules' function words.
JT_LANGUAGES = ("English", "German", "French", "Spanish", "Finnish", "Swedish")
JT_MIN_PAGE_STOP = 0.05  # below this share of the page's words in the lists, jusText abstains


@lru_cache(maxsize=1)
def justext_stop_words() -> frozenset[str]:
    """The union of jusText's stop-word lists of JT_LANGUAGES, lowercased (read once)."""
    # Imported here: jusText (a dependency of trafilatura, which runs it as a fallback) is needed only
    # when a page is parsed, as trafilatura is (html.read_page).
    import justext  # type: ignore[import-untyped]

    return frozenset(w.lower() for language in JT_LANGUAGES for w in justext.get_stoplist(language))


def justext_stop_share(text: str) -> float:
    """jusText's stop-word density of a text: the share of its whitespace-separated words in the lists."""
    words = text.split()
    stop = justext_stop_words()
    return sum(w.lower() in stop for w in words) / len(words) if words else 0.0


def justext_judges(blocks: list[Block]) -> bool:
    """Whether jusText can judge the page: at least JT_MIN_PAGE_STOP of its words are in the lists (a page
    in another language, Japanese say, has none, and jusText would find every block bad)."""
    stop = justext_stop_words()
    words = [w.lower() for b in blocks for w in b.text.split()]
    return bool(words) and sum(w in stop for w in words) >= JT_MIN_PAGE_STOP * len(words)


def justext_classes(blocks: list[Block], link_density: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """jusText's context-free class of each block and its final class after the context pass."""
    n = len(blocks)
    lengths = [len(b.text) for b in blocks]
    cf = np.full(n, JT_BAD, dtype=np.int64)
    for i, b in enumerate(blocks):
        if link_density[i] > JT_MAX_LINK_DENSITY or "\xa9" in b.text:
            continue
        if lengths[i] < JT_LENGTH_LOW:
            cf[i] = JT_BAD if b.link_chars > 0 else JT_SHORT
            continue
        stop_share = justext_stop_share(b.text)
        if stop_share >= JT_STOP_HIGH:
            cf[i] = JT_GOOD if lengths[i] > JT_LENGTH_HIGH else JT_NEARGOOD
        elif stop_share >= JT_STOP_LOW:
            cf[i] = JT_NEARGOOD
    final = cf.copy()
    # Short blocks take the class of the nearest good or bad blocks around them (bad beyond the page's
    # ends); between a bad and a good one, good when a near-good block lies next to them on the bad side.
    prev_gb, prev_any = _nearest(cf, reverse=False)
    next_gb, next_any = _nearest(cf, reverse=True)
    for i in np.nonzero(cf == JT_SHORT)[0].tolist():
        before, after = prev_gb[i], next_gb[i]
        if before == after:
            final[i] = before
        elif (before == JT_BAD and prev_any[i] == JT_NEARGOOD) or (
            after == JT_BAD and next_any[i] == JT_NEARGOOD
        ):
            final[i] = JT_GOOD
        else:
            final[i] = JT_BAD
    # Near-good blocks are good unless bad blocks are on both sides (in page order, as revised so far).
    next_gb = _nearest(final, reverse=True)[0]
    last = JT_BAD
    for i in range(n):
        if final[i] == JT_NEARGOOD:
            final[i] = JT_BAD if last == JT_BAD and next_gb[i] == JT_BAD else JT_GOOD
        if final[i] in (JT_GOOD, JT_BAD):
            last = int(final[i])
    # A heading that was not bad by itself is good when a good block follows within 200 characters.
    for i, b in enumerate(blocks):
        if b.tag in HEADINGS and final[i] == JT_BAD and cf[i] != JT_BAD:
            j, distance = i + 1, 0
            while j < n and distance <= JT_HEADING_DISTANCE:
                if final[j] == JT_GOOD:
                    final[i] = JT_GOOD
                    break
                distance += lengths[j]
                j += 1
    return cf, final


def _nearest(classes: np.ndarray, reverse: bool) -> tuple[np.ndarray, np.ndarray]:
    """For each block, the class of the nearest good-or-bad block before it (after it when `reverse`),
    and of the nearest good, bad or near-good one; bad when there is none."""
    n = len(classes)
    good_bad, any_class = np.full(n, JT_BAD), np.full(n, JT_BAD)
    last_gb = last_any = JT_BAD
    for i in range(n - 1, -1, -1) if reverse else range(n):
        good_bad[i], any_class[i] = last_gb, last_any
        c = int(classes[i])
        if c in (JT_GOOD, JT_BAD):
            last_gb = last_any = c
        elif c == JT_NEARGOOD:
            last_any = c
    return good_bad, any_class


def _others_vote(keys: list[Any], traf: np.ndarray, chars: np.ndarray) -> np.ndarray:
    """For each block, trafilatura's vote over the other blocks with the same key (the same container, the
    same tag path), weighted by their length: -1 when no other block has it. Why: the article's blocks
    sit together and repeat one template, so a block trafilatura left out beside blocks it kept, or in a
    row of the same kind, is likely text too, and one beside only dropped blocks likely chrome."""
    index: dict[Any, int] = {}
    ids = np.array([index.setdefault(key, len(index)) for key in keys], dtype=np.intp)
    weighted = np.bincount(ids, weights=chars * traf)
    total = np.bincount(ids, weights=chars)
    other = total[ids] - chars
    return np.where(other > 0, (weighted[ids] - chars * traf) / np.maximum(other, 1.0), -1.0)


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
        columns["hidden"].append(1.0 if b.flags >> HIDDEN_BIT & 1 else 0.0)
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
    if justext_judges(blocks):
        jt_cf, jt_final = justext_classes(blocks, link)
        jt_good = (jt_final == JT_GOOD).astype(np.float64)
    else:  # jusText abstains, and its vote repeats trafilatura's: it neither adds evidence nor takes any
        jt_cf = np.where(traf >= 0.5, JT_GOOD, JT_BAD)
        jt_good = (traf >= 0.5).astype(np.float64)
    for name, values in (
        ("log_chars", log_chars),
        ("position", idx / max(n - 1, 1)),
        ("char_position", (np.cumsum(chars) - chars) / max(total, 1.0)),
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
        ("parent_traf", _others_vote([b.parent for b in blocks], traf, chars)),
        ("path_traf", _others_vote([b.path for b in blocks], traf, chars)),
        ("justext_cf", jt_cf),
        ("justext_good", jt_good),
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
        words = markdown_words(line)
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


def correct_markdown(
    markdown: str, blocks: list[Block], scores: np.ndarray, traf_vote: np.ndarray
) -> tuple[str, list[str]]:
    """trafilatura's Markdown with rejected blocks' lines dropped and confident missed blocks put back in
    page order (as plain paragraphs after the kept line of the nearest block before them), and the missed
    blocks that lie in a comment container (its class or id words), which go with the page's comments.

    `traf_vote` is each block's share of n-grams in trafilatura's whole output, main text and comments:
    a block trafilatura put in the comments is not missed (put back into the main text, it came out twice,
    and stayed when the comments were dropped). Why the comment containers: the model learnt from
    CleanEval's gold that user comments are text, so it puts back those trafilatura did not recognise;
    whether comments are kept is the keep_comments setting's decision, not the model's."""
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
    found = [i for i in range(len(blocks)) if scores[i] >= ADD_FROM and traf_vote[i] <= ADD_MAX_VOTE]
    comments = [blocks[i].text for i in found if blocks[i].flags >> COMMENT_BIT & 1]
    missed = [i for i in found if not blocks[i].flags >> COMMENT_BIT & 1]
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
    return "\n".join(lines), comments


def _owned(owner: list[int | None]) -> set[int]:
    """The blocks some line came from."""
    return {b for b in owner if b is not None}
