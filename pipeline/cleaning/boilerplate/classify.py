"""The named rules and structural signals over the lines of a text body (`rule_labels`): the first
stage of boilerplate removal (remove.py). A label from a certain rule removes its line; the others
(`link_list`, `date_line`, a user rule with `certain: false`) are evidence for the fitted model.

Whole lines are labelled; kept lines are copied verbatim, so the clean text is the input with
the removed spans cut out and runs of blank lines folded to one. One pass over the lines computes the
features that do not depend on neighbours (rule match, word count, stop-word density, sentence
punctuation, list shape); context steps then look at each line's neighbourhood:

1. rules (rules.py, user rules) and the corpus signal mark lines as boilerplate, and so does a line
   without any letter or digit (`separator_line`: "* * *", "|", "-----");
2. `block` rules take their small paragraph, `opener` rules take the short lines under them;
3. a copy of a long line repeated within a few lines is dropped (`duplicate_line`);
4. short, link-like lines in a neighbourhood of other link-like or boilerplate lines are a
   menu or link list (`link_list`), unless they are an authored outline (nested, numbered or
   introduced by a line ending in ':'), or head the prose under them;
5. a short title line alone above a removed promo box goes with the box (`promo_title`);
6. a boilerplate-dense tail after the last run of article prose is trimmed (`boilerplate_tail`).

The context steps repeat on the lines not yet labelled until nothing more is labelled. Article prose
(long lines with function words and sentence punctuation) is only labelled by a rule, as a duplicate,
or between widgets of a boilerplate-dense tail.

Speed: one RE2 set match per line (screen.py) names the few rules that can match it, and only those
are tried with Python's `re`, in rule order; 87% of real lines match none. Lines the screen cannot
vouch for (an irregular case-folding character) and rule sets without it take the dispatch built once
per rule set and language (see `_Compiled`): a line is tried only against the anchored rules that can
start with its first character, and against keyword rules only after one keyword search found one of
theirs. Both give the same answers (tests/cleaning/test_screen.py). The corpus signal normalises the
whole text once (`repeated.folded_lines`), not line by line.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from typing import Any

from pipeline.cleaning.boilerplate.repeated import (
    MIN_LINE_CHARS,
    OTHER_BREAK_CHARS,
    folded_lines,
    line_hash,
    lines_with_hashes,
)
from pipeline.cleaning.boilerplate.rules import (
    ALL_STOP_WORDS,
    AUTHOR,
    BUILTIN_RULES,
    BYLINE_PREFIX,
    CORPUS,
    NAME,
    PROMO_TITLE_WORDS,
    STOP_WORDS,
    STRUCTURE,
    Rule,
    RuleSet,
)
from pipeline.cleaning.boilerplate.screen import RuleScreen, build_screen
from pipeline.cleaning.document import RemovedSpan

# --- tunable thresholds (tuned on the train split of the line-labels dev data) -------------------
PROSE_MIN_WORDS = 8  # fewer words than this is never "article prose"
PROSE_LONG_WORDS = 16  # this many words is prose even without sentence punctuation
PROSE_MIN_STOP = 0.10  # prose has function words; menus and name lists have none
PROSE_MIN_CHARS = 60  # a sentence this long is prose even with few function words
WEAK_MAX_WORDS = 8  # a link-like line is short ...
WEAK_MAX_STOP = 0.0  # ... and has few function words ...
LINK_WINDOW = 3  # ... and sits among link-like lines: this many neighbours on each side ...
LINK_MIN_SHARE = 0.8  # ... of which at least this share is link-like or boilerplate
DUPLICATE_MIN_CHARS = 50  # a repeated line shorter than this may be a legitimate repeated label
DUPLICATE_WINDOW = 4  # only a copy this close is a duplicate; far repeats are quotes and recaps
# A shorter line is a duplicate only in a row of this many copies: a template's label printed per item (a
# gallery's title over every slide, "Saving...", font-size buttons). On the dev data's rows of three or
# more, the copies after the first are noise 772 times and content 79 (mostly a test page's "link" x8).
DUPLICATE_ROW = 3
NUMBER_ROW = 3  # a row of this many bare numbers is a slide counter or pagination (noise 1773, content 2)
BLOCK_MAX_LINES = 4  # a `block` rule takes its paragraph only if the paragraph is a small box
BLOCK_MAX_CHARS = 900
OPENER_MAX_LINES = 30  # an opener never takes more than this many lines
HEADLINE_FURNITURE = 2  # byline and dateline lines between a headline and its article's prose
TAIL_MIN_RULE_LINES = 2  # a tail is trimmed only with at least this many boilerplate lines ...
TAIL_MIN_SHARE = 0.5  # ... making up at least this share of its lines
PARAGRAPH_CHARS = 100  # prose at least this long is a paragraph (the tail guard counts paragraphs)
TAIL_MAX_PROSE = 2  # a tail with more prose paragraphs than this is article ...
TAIL_MAX_PROSE_SHARE = 0.5  # ... and so is one whose prose is this large a share of the article's prose
WORDS_SAMPLE_CHARS = 300  # word statistics of longer lines are taken from their first this many characters
MAX_PASSES = 4  # context steps re-run on the kept lines until stable

PROMO_BOX_GROUPS = frozenset(PROMO_TITLE_WORDS)

_LEAD_MARKUP = " \t\r\f\v\u00a0*_#>•·◦▪‣|~=+-"  # stripped from the line start before matching
_TRAIL_MARKUP = " \t\r\f\v\u00a0*_"  # stripped from the line end
_WORD = re.compile(r"[^\W_]+")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•·◦▪‣–+]|\d{1,3}[.)]|[a-zA-Z][.)]|\(\d{1,3}\)|\([a-z]\))\s+")
_TERMINAL = frozenset(".!?…")
_TRAIL_QUOTES = "\"'”’»«)]*_ "
_BYLINE_NAME = re.compile(rf"^{BYLINE_PREFIX}({NAME})", re.IGNORECASE)  # "By Jane Doe", "Text: Max Muster"
_BYLINE_START = re.compile(BYLINE_PREFIX, re.IGNORECASE)  # "by John on July 15, 2012" too
_NAME_LINE = re.compile(r"^(?-i:[A-ZÄÖÜÅÉÈ][\w'’.-]+(?:\s+[A-ZÄÖÜÅÉÈ][\w'’.-]+){1,3})$")
_DIGIT = re.compile(r"\d")
_FIELD = re.compile(r"^[^:]{2,40}:\s+\S")  # "Label: value"
_ALNUM = re.compile(r"[^\W_]")
_SYMBOL = re.compile("[\u2190-\u21ff\u2600-\u27bf\U0001f000-\U0001faff]")  # arrows, emoji: may carry meaning
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")
_BARE_NUMBER = re.compile(r"\d{1,4}")  # the whole line core
_CODE = frozenset("{}[]();=<>")  # a row of identical code lines ("}", "end);") is the program's


@dataclass(frozen=True)
class CleanResult:
    """A body with its boilerplate removed, the removed spans, and an author found in a removed bio."""

    text: str  # the body with boilerplate removed
    removed: list[RemovedSpan]  # every removed span, offsets into the INPUT text, sorted by char_start
    author: str | None = None  # an author name recognised in a removed author-bio/byline block, if any


@dataclass(frozen=True)
class Label:
    """Why a line was removed: the rule, its group, the rule kind (for tail decisions), and whether the
    removal is certain (it overrides the boilerplate model) or only evidence for the model."""

    rule: str
    group: str
    kind: str = "line"
    certain: bool = False


_Entry = tuple[int, Rule, "re.Pattern[str]"]  # (position in the rule set, rule, compiled pattern)


@dataclass(frozen=True)
class _Compiled:
    """The rules applicable to one language, arranged so that most lines are ruled out cheaply.

    Lines are bucketed by length (`limits`): a rule is only tried on lines no longer than its
    `max_chars`. Anchored rules (every alternative starts with `^`) are dispatched on the line's first
    character: only the rules that can start with it are tried. (A union regex of those rules, tried
    first, saved nothing per line and cost milliseconds to compile per first character.) Keyword rules
    are tried only when one of their keywords occurs in the lowercased line, which one search of a
    trie-shaped regex of the bucket's keywords tells. The rest (user patterns that float) are always
    tried. The RE2 screen, where present, comes before all of this (see the module doc).
    """

    limits: tuple[int, ...]
    anchored: tuple[_Entry, ...]
    first: dict[int, frozenset[str] | None]  # rule position -> characters a match can start with
    gated: tuple[_Entry, ...]
    gated_keywords: dict[int, frozenset[str]]  # rule position -> its keywords
    # Per length bucket: a trie regex of the bucket's keywords (one search says whether any occurs), the
    # same as a lookahead finding at every position the longest keyword starting there, and for each
    # keyword the keywords that are its prefixes (they start at the same position).
    keyword_tries: tuple[tuple[re.Pattern[str], re.Pattern[str], dict[str, frozenset[str]]] | None, ...]
    floating: tuple[_Entry, ...]
    max_chars: int
    # (length bucket, line start, has a digit) -> the candidate rules; filled lazily
    dispatch: dict[tuple[int, str, bool], tuple[_Entry, ...]]
    # Short lines seen before -> their static features: menus, footers and widgets repeat across the
    # pages of a site, so a corpus meets the same lines again and again. Filled lazily, bounded.
    seen_lines: dict[str, _Static]
    # Longer lines seen lately: mostly a batch's article lines, which its next pass reads again.
    seen_long: dict[str, _Static]
    # The rule set's screen (screen.py) naming the rules that may match a line, and this language's
    # rules by position.
    screen: RuleScreen | None
    by_order: dict[int, tuple[Rule, re.Pattern[str], bool]]  # (rule, pattern, anchored)


_COMPILED: dict[tuple[int, str | None], tuple[RuleSet, _Compiled]] = {}
_DEFAULT_RULES = RuleSet(rules=BUILTIN_RULES)
_TAIL = Label("boilerplate_tail", STRUCTURE, certain=True)  # widgets after the article: 97% right
_LINK_LIST = Label("link_list", STRUCTURE)
_DUPLICATE = Label("duplicate_line", STRUCTURE, certain=True)  # its first copy stays: nothing is lost
_SEPARATOR = Label("separator_line", STRUCTURE, certain=True)  # no letter or digit: nothing to keep
_NUMBERS = Label("number_row", STRUCTURE, certain=True)  # slide counters and page numbers
_REPEATED = Label("repeated_line", CORPUS, certain=True)  # the corpus's own evidence: a site's template


def default_rules() -> RuleSet:
    """The built-in rule set."""
    return _DEFAULT_RULES


def compile_rule(rule: Rule) -> re.Pattern[str]:
    """Compile one rule's pattern with its flags (raises re.error on a bad pattern)."""
    return _compile(rule.pattern, 0 if rule.case_sensitive else re.IGNORECASE)


@lru_cache(maxsize=4096)
def _compile(pattern: str, flags: int) -> re.Pattern[str]:
    """re.compile, remembered beyond re's own cache: every language's rule set compiles the same rules."""
    return re.compile(pattern, flags)


LENGTH_BUCKETS = (60, 100, 160, 250, 300)  # line lengths at which the sets of applicable rules are rebuilt
SEEN_MAX_CHARS = 200  # lines up to this long are remembered with their features ...
SEEN_MAX_LINES = 20_000  # ... this many per rule set and language
SEEN_LONG_LINES = 2_000  # lines up to SEEN_LONG_CHARS long: about a batch's article lines, which the
SEEN_LONG_CHARS = 2_000  # next pass over the kept text reads again (longer ones skip the rules: cheap)
MAX_DISPATCH = 20_000  # cached (length bucket, line start) dispatch entries per rule set and language


def _compiled(rules: RuleSet, language: str | None) -> _Compiled:
    """The compiled rules for a language, cached per rule set object."""
    key = (id(rules), language)
    hit = _COMPILED.get(key)
    if hit is not None and hit[0] is rules:
        return hit[1]
    anchored: list[_Entry] = []
    gated: list[_Entry] = []
    floating: list[_Entry] = []
    for order, rule in enumerate(rules.rules):
        if rule.languages and language is not None and language not in rule.languages:
            continue
        entry = (order, rule, compile_rule(rule))
        if rule.keywords:
            gated.append(entry)
        elif _is_anchored(rule.pattern):
            anchored.append(entry)
        else:
            floating.append(entry)
    max_chars = max((r.max_chars for _, r, _ in anchored + gated + floating), default=0)
    limits = (*(x for x in LENGTH_BUCKETS if x < max_chars), max_chars)
    tries: list[tuple[re.Pattern[str], re.Pattern[str], dict[str, frozenset[str]]] | None] = []
    low = 0
    for limit in limits:
        words = sorted({k.lower() for _, r, _ in gated if r.max_chars > low for k in r.keywords})
        if words:
            tries.append(_keyword_trie(tuple(words)))
        else:
            tries.append(None)
        low = limit
    comp = _Compiled(
        limits=limits,
        anchored=tuple(anchored),
        first={order: _first_chars(r.pattern) for order, r, _ in anchored},
        gated=tuple(gated),
        gated_keywords={order: frozenset(k.lower() for k in r.keywords) for order, r, _ in gated},
        keyword_tries=tuple(tries),
        floating=tuple(floating),
        max_chars=max_chars,
        dispatch={},
        seen_lines={},
        seen_long={},
        screen=_screen(rules),
        by_order={
            **{order: (rule, pattern, True) for order, rule, pattern in anchored},
            **{order: (rule, pattern, False) for order, rule, pattern in gated + floating},
        },
    )
    if len(_COMPILED) > 64:  # rule sets are few; this only guards against unbounded growth
        _COMPILED.clear()
    _COMPILED[key] = (rules, comp)
    return comp


@lru_cache(maxsize=8)
def _screen(rules: RuleSet) -> RuleScreen | None:
    """The RE2 screen of a rule set, shared by its every language: one DFA per process, not one each."""
    return build_screen(
        [(order, compile_rule(rule), rule.keywords) for order, rule in enumerate(rules.rules)]
    )


def _dispatch(comp: _Compiled, bucket: int, key: str, digit: bool) -> tuple[_Entry, ...]:
    """The anchored rules that can match lines of a length bucket starting with `key`."""
    low = comp.limits[bucket - 1] if bucket else 0
    entries: list[_Entry] = [
        (order, rule, pattern)
        for order, rule, pattern in comp.anchored
        if rule.max_chars > low
        and (digit or not rule.needs_digit)
        and (comp.first[order] is None or key in comp.first[order])  # type: ignore[operator]
    ]
    candidates = tuple(entries)
    if len(comp.dispatch) < MAX_DISPATCH:  # bounded: odd first characters are many but rare
        comp.dispatch[(bucket, key, digit)] = candidates
    return candidates


@lru_cache(maxsize=256)
def _keyword_trie(
    words: tuple[str, ...],
) -> tuple[re.Pattern[str], re.Pattern[str], dict[str, frozenset[str]]]:
    """A length bucket's keyword regexes (any keyword; the longest at each position) and their prefixes."""
    prefixes = {w: frozenset(k for k in words if w.startswith(k)) for w in words}
    trie = _trie_regex(list(words))
    return re.compile(trie), re.compile(f"(?=({trie}))"), prefixes


def _trie_regex(words: list[str]) -> str:
    """A regex matching any of the literal words, shaped as a trie so the engine never backtracks far."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        """The regex for one trie node."""
        alternatives = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alternatives:
            return ""
        body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


def is_anchored(pattern: str) -> bool:
    """Whether every top-level alternative of a regex starts with `^` (so it can only match at the start)."""
    return all(branch.startswith("^") for branch in _split_top(pattern))


# The analyses depend on the pattern alone; every language's rule set asks them of the same rules.
_is_anchored = lru_cache(maxsize=4096)(is_anchored)


# --- static facts about rule regexes -------------------------------------------------------------
# A speed device only: an anchored rule is tried on a line only if the line's first character can
# start a match, and the rule's leading alternatives are filtered down to that character. The
# analysis understands a common subset of regex syntax and answers "unknown" (try it) otherwise.
_SPACES = "".join(chr(c) for c in (*range(9, 14), *range(28, 33), 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B)))
_SPACES += "\u2028\u2029\u202f\u205f\u3000"  # every character str.isspace() accepts (what \\s matches)


def _split_top(p: str) -> list[str]:
    """The top-level alternatives of a regex (split at `|` outside groups and classes)."""
    out: list[str] = []
    depth = 0
    start = 0
    i = 0
    while i < len(p):
        ch = p[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i = _class_end(p, i) + 1
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            out.append(p[start:i])
            start = i + 1
        i += 1
    out.append(p[start:])
    return out


def _class_end(p: str, i: int) -> int:
    """Index of the `]` closing the character class opened at `i` (len(p) if unclosed)."""
    j = i + 1
    if p[j : j + 1] == "^":
        j += 1
    if p[j : j + 1] == "]":
        j += 1  # a leading `]` is a literal
    while j < len(p):
        if p[j] == "\\":
            j += 2
            continue
        if p[j] == "]":
            return j
        j += 1
    return len(p)


def _group_end(p: str, i: int) -> int:
    """Index of the `)` closing the group opened at `i` (len(p) if unclosed)."""
    depth = 0
    j = i
    while j < len(p):
        ch = p[j]
        if ch == "\\":
            j += 2
            continue
        if ch == "[":
            j = _class_end(p, j) + 1
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return j
        j += 1
    return len(p)


def _quantifier(p: str, j: int) -> tuple[bool, int]:
    """Whether the quantifier at `j` allows zero repetitions, and the index after it."""
    if j >= len(p):
        return False, j
    ch = p[j]
    if ch in "?*+":
        k = j + 1
        if k < len(p) and p[k] in "?+":
            k += 1  # lazy or possessive
        return ch != "+", k
    if ch == "{":
        m = re.match(r"\{(\d*)(,\d*)?\}\??", p[j:])
        if m:
            return (m.group(1) or "0") == "0", j + m.end()
    return False, j


_GROUP_PREFIX = re.compile(r"\(\?(?:[aiLmsux]*(?:-[imsx]+)?:|P<\w+>)?|\(")


def first_chars(p: str) -> frozenset[str] | None:
    """The lowercased characters a match of `p` can start with; None when unknown or unbounded."""
    out: set[str] = set()
    for branch in _split_top(p):
        f = _first_seq(branch)
        if f is None:
            return None
        out |= f
    return frozenset(out)


def _first_seq(p: str) -> set[str] | None:
    """First characters of a sequence (no top-level `|`); None when unknown or it may be empty."""
    out: set[str] = set()
    i = 0
    while i < len(p):
        ch = p[i]
        if ch in "^$":
            i += 1
            continue
        if ch == "\\" and p[i + 1 : i + 2] in ("b", "B", "A"):
            i += 2
            continue
        item: set[str] | None
        if ch == "(":
            end = _group_end(p, i)
            m = _GROUP_PREFIX.match(p, i)
            if p[i + 1 : i + 2] == "?" and (m is None or m.end() == i + 1):
                return None  # lookarounds, conditionals: not analysed
            inner = p[m.end() if m else i + 1 : end]
            f = first_chars(inner)
            item = set(f) if f is not None else None
            nxt = end + 1
        elif ch == "[":
            end = _class_end(p, i)
            item = _class_chars(p[i + 1 : end])
            nxt = end + 1
        elif ch == "\\":
            esc = p[i + 1 : i + 2]
            if esc == "d":
                item = set("0123456789")
            elif esc == "s":
                item = set(_SPACES)
            else:
                item = {esc.lower()} if esc and not esc.isalnum() else None
            nxt = i + 2
        elif ch in ".)|{*+?":
            return None
        else:
            item = {ch.lower()}
            nxt = i + 1
        nullable, i = _quantifier(p, nxt)
        if item is None:
            return None
        out |= item
        if not nullable:
            return out
    return None  # every item may be empty: the sequence can match at any character


_first_chars = lru_cache(maxsize=4096)(first_chars)


def _class_chars(body: str) -> set[str] | None:
    """The lowercased characters of a simple class body (no negation, no escapes, small ranges)."""
    if body.startswith("^") or "\\" in body:
        return None
    out: set[str] = set()
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            lo, hi = ord(body[i]), ord(body[i + 2])
            if hi - lo > 400:
                return None
            out |= {chr(c).lower() for c in range(lo, hi + 1)}
            i += 3
        else:
            out.add(body[i].lower())
            i += 1
    return out


def line_core(line: str) -> str:
    """The line without surrounding markup (bullets, stray `*`/`_`/`#`/`>`) and with whitespace collapsed."""
    core = line.lstrip(_LEAD_MARKUP).rstrip(_TRAIL_MARKUP)
    if "  " in core or "\t" in core or "\u00a0" in core:
        core = " ".join(core.split())
    return core


def match_rule(core: str, comp: _Compiled, low: str | None = None) -> Rule | None:
    """The first rule (in rule set order) matching a line core (`low` is the core lowercased), or None."""
    n = len(core)
    if n == 0 or n > comp.max_chars:
        return None
    if comp.screen is not None:
        orders = comp.screen.candidates(core)
        if orders is not None:
            return _first_candidate(core, orders, comp, low)
    bucket = 0
    while comp.limits[bucket] < n:
        bucket += 1
    best: tuple[int, Rule] | None = None
    # Anchored rules are dispatched on the first character, and on whether a digit is present.
    key = core[:1].lower()
    digit = _DIGIT.search(core) is not None
    candidates = comp.dispatch.get((bucket, key, digit))
    if candidates is None:
        candidates = _dispatch(comp, bucket, key, digit)
    for order, rule, pattern in candidates:
        if n <= rule.max_chars and pattern.match(core) is not None:
            best = (order, rule)
            break
    tries = comp.keyword_tries[bucket]
    if tries is not None:
        any_keyword, every_keyword, prefixes = tries
        low = low if low is not None else core.lower()
        if any_keyword.search(low) is not None:  # most lines hold no keyword: one cheap search says so
            found: set[str] = set()
            for hit in every_keyword.findall(low):
                found |= prefixes[hit]
            for order, rule, pattern in comp.gated:
                if best is not None and order > best[0]:
                    break
                if (
                    n <= rule.max_chars
                    and (digit or not rule.needs_digit)
                    and not found.isdisjoint(comp.gated_keywords[order])
                    and pattern.search(core)
                ):
                    best = (order, rule)
                    break
    for order, rule, pattern in comp.floating:
        if best is not None and order > best[0]:
            break
        if n <= rule.max_chars and (digit or not rule.needs_digit) and pattern.search(core) is not None:
            best = (order, rule)
            break
    return best[1] if best is not None else None


def _first_candidate(core: str, orders: list[int], comp: _Compiled, low: str | None) -> Rule | None:
    """The first of the screen's candidate rules (positions, ascending) that matches the line core, with
    every gate of the rule (length, digit, keyword) checked as match_rule's dispatch checks it."""
    digit: bool | None = None
    for order in orders:
        entry = comp.by_order.get(order)
        if entry is None:
            continue  # a rule of another language
        rule, pattern, anchored = entry
        if len(core) > rule.max_chars:
            continue
        if rule.needs_digit:
            if digit is None:
                digit = _DIGIT.search(core) is not None
            if not digit:
                continue
        if rule.keywords:
            low = low if low is not None else core.lower()
            if not any(keyword in low for keyword in comp.gated_keywords[order]):
                continue
        if (pattern.match(core) if anchored else pattern.search(core)) is not None:
            return rule
    return None


@dataclass(slots=True)
class _Static:
    """Features of one line that do not depend on its neighbours (computed once, reused by every pass)."""

    core: str
    label: Label | None  # a rule (or corpus) match
    prose: bool  # long enough, with function words and sentence punctuation: article prose
    short_weak: bool  # short, no sentence punctuation, few function words: link-like
    colon: bool  # ends in ':' or ';' (a list introduction or a label)
    pipes: int  # number of '|' characters (one-line link lists, table rows)
    indent: int  # indentation of a list item, -1 when the line is not a list item
    numbered: bool  # a numbered list item ("1. ...")
    table_rule: bool  # a Markdown table separator row
    normal: str | None = None  # the normalised line (repeated.normalise_line), once asked for
    normal_hash: int | None = None  # its line_hash, once asked for

    def relabelled(self, label: Label) -> _Static:
        """A copy with another label (without the normalised line; dataclasses.replace is slower)."""
        return _Static(
            self.core,
            label,
            self.prose,
            self.short_weak,
            self.colon,
            self.pipes,
            self.indent,
            self.numbered,
            self.table_rule,
        )


def _static_cached(line: str, comp: _Compiled, stop: frozenset[str]) -> _Static:
    """The neighbour-independent features of a non-blank line, from the cache of lines seen before."""
    n = len(line)
    if n > SEEN_LONG_CHARS:
        return _static(line, comp, stop)
    seen, most = (
        (comp.seen_lines, SEEN_MAX_LINES) if n <= SEEN_MAX_CHARS else (comp.seen_long, SEEN_LONG_LINES)
    )
    st = seen.get(line)
    if st is None:
        st = _static(line, comp, stop)
        if len(seen) >= most:
            seen.clear()  # a new site's template replaces the old one's; a new batch's article its last
        seen[line] = st
    return st


def _mark_repeated(
    lines: list[str], statics: list[_Static | None], repeated: frozenset[str], hashes: AbstractSet[int]
) -> None:
    """Label the lines the corpus repeats: the corpus signal, after the rules and the separator check.

    A line is repeated when its normalised form is one of `repeated`, or has one of the `hashes` (and is
    long enough to have been counted). The lines whose normalised form is not known yet are folded
    together, as one text, and a normalised line is kept with the cached features of a short line.
    """
    candidates = [
        (i, st) for i, st in enumerate(statics) if st is not None and st.label is None and len(st.core) >= 20
    ]
    unknown = [(i, st) for i, st in candidates if st.normal is None]
    if unknown:
        # Folding never crosses a "\n" (see folded_lines), so the lines folded together are each folded.
        folded = folded_lines("\n".join([lines[i] for i, _ in unknown]))
        for (_, st), line in zip(unknown, folded, strict=True):
            st.normal = " ".join(line.split())
    for i, st in candidates:
        normal = st.normal
        assert normal is not None  # every candidate's is known by now
        if normal in repeated:
            pass
        elif not hashes or len(normal) < MIN_LINE_CHARS:  # shorter lines are never counted (line_hashes)
            continue
        else:
            if st.normal_hash is None:
                st.normal_hash = line_hash(normal)
            if st.normal_hash not in hashes:
                continue
        statics[i] = st.relabelled(_REPEATED)  # a copy: `st` may be the cached features of the line


def _static(line: str, comp: _Compiled, stop: frozenset[str]) -> _Static:
    """Compute the neighbour-independent features of a non-blank line (rules, shape, word statistics)."""
    core = line_core(line)
    # Lowercased only when a rule or the word statistics read it (not for the long prose lines).
    low = core.lower() if len(core) <= comp.max_chars else None
    rule = match_rule(core, comp, low)
    label: Label | None = None
    if rule is not None:
        label = Label(rule.name, rule.group, rule.kind, rule.certain)
    elif _ALNUM.search(core) is None and _SYMBOL.search(core) is None and not ("|" in line and "---" in line):
        # No letter, digit or pictograph: a rule line or stray separators ("|", "* * *", "-----"); a
        # Markdown table's "|---|---|" row is left to the table.
        label = _SEPARATOR
    end = core.rstrip(_TRAIL_QUOTES)[-1:]
    terminal = end in _TERMINAL
    colon = end in (":", ";")
    long_text = len(core) >= PROSE_MIN_CHARS
    if terminal and long_text:
        # A long sentence is prose whatever its function words (languages with long compound words, like
        # Finnish, have few of them per line); no need to count words.
        prose, short_weak = True, False
    else:
        # Word statistics; a long line's function-word share is estimated on its start.
        if low is None:
            low = core.lower()
        words = _WORD.findall(low if len(low) <= WORDS_SAMPLE_CHARS else low[:WORDS_SAMPLE_CHARS])
        n_words = len(words) if len(low) <= WORDS_SAMPLE_CHARS else max(len(words), PROSE_LONG_WORDS)
        stop_share = sum(map(stop.__contains__, words)) / n_words if n_words else 0.0
        # Prose: a sentence with function words, or a long run of words with them.
        prose = (
            (n_words >= PROSE_MIN_WORDS or long_text)
            and stop_share >= PROSE_MIN_STOP
            and (terminal or n_words >= PROSE_LONG_WORDS)
        )
        # Link-like: short, no sentence end, no function words. A "Label: value" line (an address, a
        # spec, a record field) is authored data even when short.
        short_weak = (
            not prose
            and not colon
            and n_words <= WEAK_MAX_WORDS
            and not terminal
            and stop_share <= WEAK_MAX_STOP
            and _FIELD.match(core) is None
        )
    item = _LIST_ITEM.match(line)
    indent = len(line) - len(line.lstrip(" \t")) if item is not None else -1
    numbered = item is not None and line.lstrip()[:1].isdigit()
    return _Static(
        core,
        label,
        prose,
        short_weak,
        colon,
        line.count("|"),
        indent,
        numbered,
        "---" in line and _TABLE_RULE.match(line) is not None,
    )


@dataclass
class _Feat:
    """The features of the non-blank lines of one pass, with the context-dependent ones filled in."""

    idx: list[int]  # index into the pass's line list
    par: list[int]  # paragraph number (paragraphs are separated by blank lines)
    core: list[str]
    label: list[Label | None]  # the static (rule or corpus) label
    prose: list[bool]
    weak: list[bool]
    outline: list[bool]
    colon: list[bool]


def _features(view: list[int], statics: list[_Static | None]) -> _Feat:
    """Assemble one pass's features from the static ones plus paragraph, table and outline context."""
    idx: list[int] = []
    pars: list[int] = []
    present: list[_Static] = []
    weak: list[bool] = []
    outlines: list[bool] = []
    par = 0
    prev_blank = True
    in_table = False
    prev_item_indent = -1
    introduced = False  # inside a list run that a line ending in ':' introduced
    for pos, i in enumerate(view):
        st = statics[i] if i >= 0 else None
        if st is None:
            if not prev_blank:
                par += 1
            prev_blank = True
            in_table = False
            continue
        prev_blank = False
        if st.table_rule:
            in_table = True  # a Markdown table: authored data, never a link list
        outline = False
        if st.indent >= 0:
            # An indented item, an item under an indented one, a numbered item, or an item of a list
            # introduced by "...:" is an authored outline, not a menu.
            outline = st.indent >= 2 or prev_item_indent >= 2 or st.numbered or introduced
        elif not st.colon:
            introduced = False
        if st.colon:
            introduced = True
        prev_item_indent = st.indent
        idx.append(pos)
        pars.append(par)
        present.append(st)
        weak.append(st.short_weak or (st.pipes >= 2 and not in_table and not st.prose and not st.colon))
        outlines.append(outline)
    # The features that need no context are copied in one pass each.
    return _Feat(
        idx,
        pars,
        [st.core for st in present],
        [st.label for st in present],
        [st.prose for st in present],
        weak,
        outlines,
        [st.colon for st in present],
    )


def _classify(
    view: list[int], statics: list[_Static | None], f: _Feat | None = None
) -> list[tuple[int, Label]]:
    """Label the lines of one pass (`view` indexes input lines, -1 is a blank): (position in `view`,
    label) of each line removed, in order. `f` is the pass's features when already assembled.

    Each step visits only the lines it can act on (a later pass, on the kept lines, mostly has none)."""
    f = f or _features(view, statics)
    m = len(f.idx)
    # 1. rules and the corpus signal (static)
    lab: list[Label | None] = list(f.label)
    labelled = [(k, lk) for k, lk in enumerate(lab) if lk is not None]  # steps 2a and 2b keep these labels
    # 2a. block rules take their small paragraph (the pitch and small print of one box). A line the loop
    # labels is in the paragraph of the block line that labelled it, so visiting it would change nothing.
    blocks = [(k, lk) for k, lk in labelled if lk.kind == "block"]
    if blocks:
        par_size: Counter[int] = Counter(f.par)
        par_chars: Counter[int] = Counter()
        for p, core in zip(f.par, f.core, strict=True):
            par_chars[p] += len(core)
        for k, lk in blocks:
            p = f.par[k]
            if par_size[p] <= BLOCK_MAX_LINES and par_chars[p] <= BLOCK_MAX_CHARS:
                j = k - 1
                while j >= 0 and f.par[j] == p:
                    lab[j] = lab[j] or lk
                    j -= 1
                j = k + 1
                while j < m and f.par[j] == p:
                    lab[j] = lab[j] or lk
                    j += 1
            elif lk.group == AUTHOR and k > 0 and lab[k - 1] is None and _NAME_LINE.match(f.core[k - 1]):
                lab[k - 1] = lk  # the name line right above a bio sentence
    # 2b. openers take the short lines under them until article prose or an article heading (step 2a
    # labels no opener, and the lines taken here are no openers either)
    for k, lk in [(k, lk) for k, lk in labelled if lk.kind == "opener"]:
        j = k + 1
        taken = 0
        while j < m and taken < OPENER_MAX_LINES:
            other = lab[j]
            if other is not None:
                if other.kind == "opener":
                    break  # the next box starts; it takes its own lines
                j += 1
                continue
            if f.prose[j] or f.colon[j]:
                break
            if _heads_prose(f, lab, j) or _heads_byline(f, lab, j):
                break
            lab[j] = Label(lk.rule, lk.group, "taken", lk.certain)
            taken += 1
            j += 1
    # 3. a copy of a long line repeated within a few lines is a duplicate (a block printed twice)
    cores = f.core
    for k in range(1, m):
        if (
            len(cores[k]) >= DUPLICATE_MIN_CHARS
            and lab[k] is None
            and cores[k] in cores[max(0, k - DUPLICATE_WINDOW) : k]
        ):
            lab[k] = _DUPLICATE
    # 4. link lists: link-like lines among link-like or boilerplate neighbours
    candidates = [k for k in range(m) if f.weak[k] and lab[k] is None and not f.outline[k]]
    if candidates:
        bad = [lab[k] is not None or f.weak[k] for k in range(m)]
        link: list[bool] = [False] * m
        for k in candidates:
            lo, hi = max(0, k - LINK_WINDOW), min(m, k + LINK_WINDOW + 1)
            n = hi - lo - 1
            if n < 2:
                continue
            share = (sum(bad[lo:hi]) - 1) / n
            link[k] = share >= LINK_MIN_SHARE
        # The edges of a list see article on one side: grow each list into the link-like lines next to
        # it, except a line that heads the prose after it.
        if True in link:
            for order in (candidates, candidates[::-1]):
                for k in order:
                    if link[k]:
                        continue
                    if (k > 0 and link[k - 1]) or (k + 1 < m and link[k + 1]):
                        link[k] = not _heads_prose(f, lab, k)
            for k in candidates:
                if link[k]:
                    lab[k] = _LINK_LIST
    # 5. a promo box's title line standing alone above the removed box (the title's label is only set
    # after the box's lines are read, so the candidates can be listed first)
    boxes = [(k, nxt) for k, nxt in enumerate(lab[1:]) if nxt is not None and nxt.group in PROMO_BOX_GROUPS]
    for k, nxt in boxes:
        if lab[k] is not None or f.prose[k] or f.colon[k]:
            continue
        p = f.par[k]
        # Paragraph numbers only grow down the lines: the title is a paragraph of its own when its
        # neighbours are in other ones.
        if f.par[k + 1] == p or (k > 0 and f.par[k - 1] == p):
            continue
        end = k + 1
        while end < m and f.par[end] == f.par[k + 1]:
            end += 1  # the box is the paragraph under the title
        if end - (k + 1) < 2 or any(lab[j] is None for j in range(k + 1, end)):
            continue
        title_words = set(_WORD.findall(f.core[k].lower()))
        if len(title_words) <= 6 and title_words & PROMO_TITLE_WORDS[nxt.group]:
            lab[k] = Label("promo_title", nxt.group, certain=nxt.certain)
    # 6. the boilerplate-dense tail after the last run of article prose
    _trim_tail(f, lab)
    return [(pos, lk) for pos, lk in zip(f.idx, lab, strict=True) if lk is not None]


def row_labels(lines: Sequence[str]) -> list[tuple[int, Label]]:
    """(index, label) of the kept lines that rows of copies make noise: every copy after the first in a
    row of DUPLICATE_ROW or more copies of a line (not code), and every line of a row of NUMBER_ROW or more
    bare numbers. `lines` are a cleaned text's non-blank lines.

    Applied to what the model and the region stage kept, after them, so that the model (fitted on the
    lines the rules leave open) sees the same lines as before: removed earlier, these rows shifted its
    page-level features and moved whole pages on the dev data."""
    cores = [line_core(line) for line in lines]
    out: list[tuple[int, Label]] = []
    for start, end in _rows(cores, DUPLICATE_ROW):
        if _CODE.isdisjoint(cores[start]):
            out += [(k, _DUPLICATE) for k in range(start + 1, end)]
    numbers = [_BARE_NUMBER.fullmatch(core) is not None for core in cores]
    for start, end in _rows(numbers, NUMBER_ROW):
        if numbers[start]:
            out += [(k, _NUMBERS) for k in range(start, end)]
    return out


def _rows(values: Sequence[object], least: int) -> list[tuple[int, int]]:
    """The (start, end) of each run of at least `least` equal values next to each other."""
    out: list[tuple[int, int]] = []
    start = 0
    for k in range(1, len(values) + 1):
        if k < len(values) and values[k - 1] == values[k]:
            continue
        if k - start >= least:
            out.append((start, k))
        start = k
    return out


def _heads_prose(f: _Feat, lab: list[Label | None], k: int) -> bool:
    """Whether line k is a heading of the article prose right after it.

    It is when it opens its own paragraph, or sits in the same paragraph as the prose (text without
    blank lines gives no better clue); the last item of a list paragraph does not head the next one.
    """
    nxt = k + 1
    if nxt >= len(f.idx) or not f.prose[nxt] or lab[nxt] is not None:
        return False
    return k == 0 or f.par[k - 1] != f.par[k] or f.par[nxt] == f.par[k]


def _heads_byline(f: _Feat, lab: list[Label | None], k: int) -> bool:
    """Whether line k is a headline over a byline or dateline (at most HEADLINE_FURNITURE lines) that the
    article prose follows: "Most Popular" over a menu must not take the article's headline with it."""
    j = k + 1
    for _ in range(HEADLINE_FURNITURE):
        if j >= len(f.idx) or f.prose[j]:
            return False
        other = lab[j]
        if not (other is not None and other.group == AUTHOR) and _BYLINE_START.match(f.core[j]) is None:
            return False
        if _heads_prose(f, lab, j):
            return True
        j += 1
    return False


def _trim_tail(f: _Feat, lab: list[Label | None]) -> None:
    """Remove the lines of a boilerplate-dense tail that follows the last run of article prose.

    The tail starts at a rule-matched line after the last two pieces of prose that follow each other;
    it is trimmed when it holds at least TAIL_MIN_RULE_LINES rule matches and boilerplate makes up at
    least TAIL_MIN_SHARE of it. Its short lines go; its prose goes only when at least
    TAIL_MIN_RULE_LINES rule matches still follow it, or when it sits under a teaser heading (an
    opener), and only if that prose is small (at most TAIL_MAX_PROSE paragraphs and less than
    TAIL_MAX_PROSE_SHARE of the article's prose): teaser blurbs and bios, not article sections.
    """
    m = len(f.idx)
    # Whether each line was removed by a rule (or the corpus signal), not by a structural signal.
    lab_rule = [lk is not None and lk.group != STRUCTURE for lk in lab]
    if True not in lab_rule:
        return  # no tail can start (a later pass, on the kept lines, has no rule match left)
    core_end = -1
    last_prose = -1
    for k in range(m):
        if lab[k] is not None:
            last_prose = -1  # boilerplate between two pieces of prose breaks the run
        elif f.prose[k]:
            if last_prose >= 0:
                core_end = k  # two pieces of prose with only kept lines between: article
            last_prose = k
    if core_end < 0:
        # No run of prose: the article is (at least) its first paragraph of prose.
        core_end = next((k for k in range(m) if f.prose[k] and lab[k] is None), -1)
    starts = [k for k in range(core_end + 1, m) if lab_rule[k] and (k == 0 or lab[k - 1] is None)]
    if not starts:
        return
    article_chars = sum(len(f.core[k]) for k in range(core_end + 1) if f.prose[k] and lab[k] is None)
    # Rule matches and removed lines from line k to the end (the labels only change once a tail is cut).
    rules_after = [0] * (m + 1)
    removed_after = [0] * (m + 1)
    for k in range(m - 1, starts[0] - 1, -1):
        rules_after[k] = rules_after[k + 1] + lab_rule[k]
        removed_after[k] = removed_after[k + 1] + (lab[k] is not None)
    for start in starts[:8]:
        if rules_after[start] < TAIL_MIN_RULE_LINES or removed_after[start] < TAIL_MIN_SHARE * (m - start):
            continue
        keep_prose: set[int] = set()
        prev_kind = "line"
        for k in range(start, m):
            lk = lab[k]
            if lk is not None:
                prev_kind = lk.kind
            elif f.prose[k] and rules_after[k] < TAIL_MIN_RULE_LINES and prev_kind not in ("opener", "taken"):
                keep_prose.add(k)  # closing prose: not between widgets, not under a teaser heading
        # Everything else unlabelled goes, except the heading of prose that stays.
        drop = [
            k
            for k in range(start, m)
            if lab[k] is None
            and k not in keep_prose
            and not (k + 1 in keep_prose and _heads_prose(f, lab, k))
        ]
        prose = [len(f.core[k]) for k in drop if f.prose[k]]
        paragraphs = sum(1 for n in prose if n >= PARAGRAPH_CHARS)
        if paragraphs > TAIL_MAX_PROSE or sum(prose) > TAIL_MAX_PROSE_SHARE * article_chars:
            continue  # too much prose for a tail of widgets: this is article, look further down
        for k in drop:
            lab[k] = _TAIL
        return


# --- a cheap language hint ----------------------------------------------------------------------
# The hint only picks a stop-word list and the language-specific rules, so a vote of the stop-word
# lists does (a language model costs ~10x more per document). Pages open with menus, often in English
# on sites in other languages, so the vote reads the words of prose-like lines (PROSE_MIN_WORDS words
# or more): on the line-labels data that lifts Finnish noise F1 by ~0.01 over reading every line.
GUESS_WORDS = 150  # the vote reads this many words ...
GUESS_MAX_CHARS = 20_000  # ... from at most this much of the text: a page without prose there has no hint
GUESS_MIN_VOTES = 5  # fewer stop words than this is no evidence ("de" in a name, an "on" in a menu)
# The lists share words ("de", "en", "la", "que", "in", "on", "so", ...), so close votes are mostly
# related languages or mixed pages; a wrong hint costs more than none (prose read with the wrong list
# looks like a menu), and None falls back to every rule and the union of the lists. Of the leads tried
# on the line-labels data (1.1 to 2), 1.25 stays within 0.01 F1 of the true language's hint for every
# language of both splits; 1.5 costs Finnish 0.02 noise F1, and 2 leaves 1 page in 6 without a hint
# (Spanish and French share "de la que en ...").
GUESS_MIN_LEAD = 1.25
GUESS_BLOCK_CHARS = 1_200  # the text is read in blocks of whole lines this long (GUESS_WORDS fit in one)
_PROSE_MIN_CHARS = 2 * PROSE_MIN_WORDS - 1  # PROSE_MIN_WORDS one-letter words and the gaps between
# The vote counts each language's stop words among the words read. Each stop word's memberships are packed
# in one integer, a field of _VOTE_BITS bits per language, so that one C-level sum over the words counts
# every language at once (a field never overflows: GUESS_WORDS < 2**_VOTE_BITS).
_VOTE_BITS = 16
_VOTE_FIELDS = tuple((lang, _VOTE_BITS * k) for k, lang in enumerate(STOP_WORDS))
_VOTE_MASK = (1 << _VOTE_BITS) - 1
_PACKED_VOTES = {
    word: sum(1 << shift for lang, shift in _VOTE_FIELDS if word in STOP_WORDS[lang])
    for word in ALL_STOP_WORDS
}
# The lowercased words of `_WORD` (`[^\W_]+`: runs of characters for which str.isalnum() holds) are taken
# from UTF-8 bytes, several times faster than lower() and the regex on non-ASCII text (both do work per
# character): a table lowercases ASCII letters and blanks ASCII punctuation ("\n" stays, to keep the
# lines apart), and each distinct non-ASCII character (a page holds a handful) is replaced where needed
# by one bytes.replace; UTF-8 is self-synchronising, so an encoded character only matches at character
# boundaries.
_ASCII_BYTES = bytes(range(0x80))


def _word_byte(code: int) -> int:
    """What a byte becomes in lowercased word runs (bytes of non-ASCII characters are dealt with later)."""
    if code >= 0x80 or code == 0x0A:
        return code
    char = chr(code)
    return ord(char.lower()) if char.isalnum() else 0x20


_WORD_BYTES = bytes(map(_word_byte, range(256)))
_CAPITAL_SIGMA = "\u03a3"  # the one character lower() maps by its context (final sigma)


class _WordChars(dict[str, bytes | None]):
    """What each non-ASCII character becomes in lowercased word runs, decided on first sight: its lowercase
    form with every character that is not a letter or digit as a space, in UTF-8 (None: itself).

    lower() maps every character but the capital sigma on its own, and a letter or digit it yields is its
    own lowercase, so each character is replaced once, in any order."""

    def __missing__(self, char: str) -> bytes | None:
        """Decide a character once."""
        runs = "".join(c if c.isalnum() else " " for c in char.lower())
        value = None if runs == char else runs.encode("utf-8", "surrogatepass")
        self[char] = value
        return value


_WORD_CHARS = _WordChars()


def _word_runs(text: str) -> str:
    """`text` lowercased, with every character but letters, digits and "\\n" replaced by a space: split()
    gives exactly `_WORD.findall(text.lower())`, and split("\\n") its lines."""
    data = text.encode("utf-8", "surrogatepass").translate(_WORD_BYTES)
    if not data.isascii():
        chars = set(data.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass"))
        if _CAPITAL_SIGMA in chars:  # rare: the whole text through lower(), then characters without case
            data = text.lower().encode("utf-8", "surrogatepass").translate(_WORD_BYTES)
            chars = set(data.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass"))
        for char in chars:
            replacement = _WORD_CHARS[char]
            if replacement is not None:
                data = data.replace(char.encode("utf-8", "surrogatepass"), replacement)
    return data.decode("utf-8", "surrogatepass")


def prose_words(text: str) -> list[str]:
    """The lowercased words of the text's prose-like lines (PROSE_MIN_WORDS words or more), in order, read
    from at most GUESS_MAX_CHARS of it until there are GUESS_WORDS: what the language vote reads."""
    words: list[str] = []
    start, end = 0, min(len(text), GUESS_MAX_CHARS)
    while start < end and len(words) < GUESS_WORDS:
        # A block of whole lines at a time, without splitting the whole text: the words needed are mostly
        # in its first 1-2 KB. Lowercasing never joins lines (a final sigma is decided within its line).
        stop = text.find("\n", start + GUESS_BLOCK_CHARS, end)
        stop = end if stop < 0 else stop
        block = text[start:stop]
        for line, runs in zip(block.split("\n"), _word_runs(block).split("\n"), strict=True):
            if len(line) < _PROSE_MIN_CHARS:  # shorter lines cannot hold enough words
                continue
            found = runs.split()
            if len(found) >= PROSE_MIN_WORDS:
                words += found
                if len(words) >= GUESS_WORDS:
                    break
        start = stop + 1
    return words


def guess_language(text: str) -> str | None:
    """The language whose stop words cover the most of the text's first prose words, or None if unclear."""
    packed = sum(map(_PACKED_VOTES.get, prose_words(text)[:GUESS_WORDS], repeat(0)))
    votes = sorted((((packed >> shift) & _VOTE_MASK, lang) for lang, shift in _VOTE_FIELDS), reverse=True)
    (best, language), (second, _) = votes[0], votes[1]
    return language if best >= GUESS_MIN_VOTES and best >= GUESS_MIN_LEAD * second else None


def _normalise_language(language: str | None) -> str | None:
    """An ISO 639-1 code from a hint like "de", "DE", "de-AT" or "pt_BR"; None for no hint or "und"."""
    if not language:
        return None
    code = language.strip().lower().replace("_", "-").split("-")[0]
    return None if code in ("", "und", "xx") else code


def _stop_words(language: str | None) -> frozenset[str]:
    """The stop-word list for a language, or the union of all lists when there is none for it."""
    if language is None:
        return ALL_STOP_WORDS
    return STOP_WORDS.get(language, ALL_STOP_WORDS)


def author_of(lines: list[str], labels: list[Label | None]) -> str | None:
    """An author name from a removed bio block (preferred) or from a byline that is not inside a promo box."""
    byline: str | None = None
    first_name: str | None = None
    for i, lab in enumerate(labels):
        if lab is None or lab.group != AUTHOR:
            continue
        core = line_core(lines[i])
        if lab.kind == "block":
            if _NAME_LINE.match(core) and len(core) <= 60:
                return core  # the name line of a bio box: "Sejuti Das"
            words = core.split()
            if first_name is None and len(words) >= 2 and _NAME_LINE.match(" ".join(words[:2])):
                first_name = " ".join(words[:2])  # "Jane Miller is a senior reporter ..."
        elif lab.rule == "byline" and byline is None:
            # A byline right under another box (a podcast's host) does not name the article's author.
            prev = next((labels[j] for j in range(i - 1, -1, -1) if lines[j].strip()), None)
            m = _BYLINE_NAME.match(core)
            if m is not None and (prev is None or prev.group == AUTHOR):
                byline = m.group(1)
    return first_name or byline


def rule_labels(
    text: str,
    *,
    language: str | None = None,
    rules: RuleSet | None = None,
    repeated_lines: frozenset[str] = frozenset(),
    repeated_hashes: Collection[int] = frozenset(),
) -> tuple[list[str], list[Label | None], list[bool]]:
    """The lines of a body, what the rules and structural signals say of each (None: nothing), and which
    lines are items of an authored outline (nested, numbered or introduced by a line ending in ':').

    See the module docstring for the steps. `repeated_lines` are normalised lines the corpus repeats;
    `repeated_hashes` the same given by their `line_hash` (what `lines_with_hashes` would turn into
    lines, without normalising every line first).
    """
    language = _normalise_language(language)
    comp = _compiled(rules if rules is not None else _DEFAULT_RULES, language)
    stop = _stop_words(language)
    hashes = repeated_hashes if isinstance(repeated_hashes, AbstractSet) else frozenset(repeated_hashes)
    if hashes and any(map(text.__contains__, OTHER_BREAK_CHARS)):
        # A line holding a break that str.splitlines() also splits at is not one of the lines the hashes
        # were taken of (line_hashes splits that way): take the exact way round.
        repeated_lines = repeated_lines | lines_with_hashes(text, hashes)
        hashes = frozenset()
    lines = text.split("\n")
    # The features of the lines seen before, in one C-level pass; then those of the others (None: blank).
    statics: list[_Static | None] = list(map(comp.seen_lines.get, lines))
    for i in [i for i, st in enumerate(statics) if st is None]:
        if lines[i].strip():
            statics[i] = _static_cached(lines[i], comp, stop)
    if repeated_lines or hashes:
        _mark_repeated(lines, statics, repeated_lines, hashes)
    labels: list[Label | None] = [None] * len(lines)
    view = list(range(len(lines)))  # the pass's lines, as indices of input lines (-1: a tidied blank)
    outline = [False] * len(lines)
    first = _features(view, statics)
    for k, (pos, item) in enumerate(zip(first.idx, first.outline, strict=True)):
        outline[pos] = item
        if item and k > 0 and first.colon[k - 1]:
            outline[first.idx[k - 1]] = True  # the line introducing the outline ("Services:") is part of it
    features: _Feat | None = first  # the first pass's, already assembled
    for _ in range(MAX_PASSES):
        found = _classify(view, statics, features)
        features = None
        if not found:
            break
        for pos, lab in found:
            labels[view[pos]] = lab  # a labelled line is never a tidied blank: blanks have no features
        view = tidy([i for i in view if i < 0 or labels[i] is None], lines)
    return lines, labels, outline


def tidy(indices: list[int], lines: list[str]) -> list[int]:
    """Collapse blank-line runs to one tidied blank (-1) and drop leading and trailing blanks."""
    out: list[int] = []
    for i in indices:
        if i < 0 or not lines[i].strip():
            if out and out[-1] != -1:
                out.append(-1)
        else:
            out.append(i)
    while out and out[-1] == -1:
        out.pop()
    return out


def warm_up() -> None:
    """Compile the built-in rules for every language hint (a fork server does, for the processes it forks)."""
    for language in (None, *STOP_WORDS):
        _compiled(_DEFAULT_RULES, language)


def forget_seen_lines() -> None:
    """Empty the cache of lines seen before (benchmarks use it to time lines the classifier has not seen)."""
    for _, comp in _COMPILED.values():
        comp.seen_lines.clear()
        comp.seen_long.clear()


def count_by_rule(removed: Iterable[RemovedSpan]) -> dict[str, int]:
    """How many spans each rule removed, most frequent first."""
    return dict(Counter(s.rule for s in removed).most_common())
