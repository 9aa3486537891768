"""A compiled screen over the named rules: RE2 set matches per line say which rules may match it.

Trying the rules' Python regexes on every line costs about 9 µs a line (15 tries on average, even with
the first-character dispatch of classify.py), and 87% of real lines match no rule. RE2 sets (google-re2's
`re2.Set`: one DFA for many patterns) answer "which of them can match" in about 2 µs, so Python's `re`
only confirms the few rules they name, in rule order: the answer is still Python's, the screen only skips
tries that cannot succeed.

For that the screen must never miss a rule Python would match. A rule with keywords is screened by its
keywords (one of them must occur in the line, as part of the rule's meaning); any other pattern is
rewritten into RE2 syntax so that it matches at least what Python's does:

- `\\w \\d \\s` and their negations become classes exact on ASCII that take any other character
  (Python's are Unicode-wide; spelt out they made RE2's DFA states huge), and the narrow, ASCII-only form
  inside `[^...]`;
- `\\b` and `\\B` are dropped (RE2's word boundary is ASCII; dropping a constraint only widens);
- `{,n}` becomes `{0,n}`, `\\Z` `\\z`, `\\uXXXX` `\\x{XXXX}`, a `[` inside a class `\\[`.

A pattern with anything RE2 lacks (lookarounds, back references, possessive or atomic groups, verbose
mode) is left out and always tried. Case folding is the one place where the engines could disagree
(Python folds `ı` to `i` and `ſ` to `s`; RE2 uses Unicode's simple folding), so a line holding a character
whose case mapping is irregular (`fold_guard`) is not screened at all. The tests compare the screen with
the plain rule loop on every line of the dev data and on generated lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

try:  # a compiled wheel; without it (a platform it is not built for) the rules run unscreened
    import re2
except ImportError:  # pragma: no cover - every supported platform has the wheel
    re2 = None

# RE2's memory budget per set. A full DFA cache is reset and matching goes on (RE2 gives up for slowness
# only on single patterns, never on sets); on real text each set's DFA settles at about 5 MB.
MAX_MEM = 64 << 20
_SURROGATES = range(0xD800, 0xE000)  # not encodable in UTF-8: never in RE2's input
_CASED_END = 0x20000  # the end of plane 1: no character at or above it has a case mapping


def _ranges(members: Sequence[int]) -> str:
    """An RE2 class body (without brackets) for sorted code points."""
    parts: list[str] = []
    start = prev = members[0]
    for cp in [*members[1:], -1]:
        if cp == prev + 1:
            prev = cp
            continue
        parts.append(f"\\x{{{start:X}}}" if start == prev else f"\\x{{{start:X}}}-\\x{{{prev:X}}}")
        start = prev = cp
    return "".join(parts)


# Class bodies standing for Python's `\w \d \s` (lowercase) and their negations (uppercase): exact on
# ASCII, and for any other character "maybe". Python's classes are Unicode-wide; spelling them out (11k
# ranges for \w) made RE2's DFA states so large that each rule set's grew to 90 MB. `WIDER` bodies are
# supersets of Python's class (for a class that must not miss); `NARROWER` ones subsets (inside `[^...]`,
# whose complement then is a superset).
_NON_ASCII = "\\x{80}-\\x{10FFFF}"
_ASCII = {
    "w": "0-9A-Za-z_",
    "d": "0-9",
    "s": "\\x{9}-\\x{D}\\x{1C}-\\x{20}",  # what str.isspace() accepts below 128
    "W": "\\x{0}-/:-@\\[-\\^`{-\\x{7F}",
    "D": "\\x{0}-/:-\\x{7F}",
    "S": "\\x{0}-\\x{8}\\x{E}-\\x{1B}!-\\x{7F}",
}
WIDER = {name: body + _NON_ASCII for name, body in _ASCII.items()}
NARROWER = dict(_ASCII)


@lru_cache(maxsize=1)
def fold_guard() -> frozenset[str]:
    """Characters whose case mapping is irregular (not a one-to-one lower/upper pair): Python's and RE2's
    case-insensitive matching may treat them differently, so lines holding one are not screened."""
    out: set[str] = set()
    # Every character with a case lies in planes 0 and 1 (the last, Adlam, ends at U+1E943); beyond are
    # CJK ideographs, tags and private use. Scanning those 0.9M code points too cost 0.2 s per process.
    for cp in range(_CASED_END):
        if cp in _SURROGATES:
            continue
        c = chr(cp)
        low, up = c.lower(), c.upper()
        if low == up == c and c.casefold() == c:
            continue  # no case at all
        if len(low) != 1 or len(up) != 1 or c.casefold() != low or low.upper() != up or up.lower() != low:
            out.add(c)
    return frozenset(out)


_UNSUPPORTED_GROUP = re.compile(r"\(\?(?:[=!>#(]|<[=!]|P=)")  # lookarounds, atomic, comments, references
_FLAGS_GROUP = re.compile(r"\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])")
_HEX = {"x": 2, "u": 4, "U": 8}


def to_re2(pattern: str, flags: int = 0) -> str | None:
    """An RE2 pattern matching at least what the Python pattern matches (see the module doc), or None
    when the pattern uses what RE2 lacks."""
    if flags & (re.VERBOSE | re.ASCII | re.LOCALE):
        return None
    out: list[str] = []
    for name, on in (("i", re.IGNORECASE), ("m", re.MULTILINE), ("s", re.DOTALL)):
        if flags & on:
            out.append(f"(?{name})")
    i, n = 0, len(pattern)
    in_class = negated = False
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            esc = pattern[i + 1 : i + 2]
            if esc in WIDER:
                # Inside a negated class the members must not be more than Python's, elsewhere not fewer.
                out.append(NARROWER[esc] if negated else WIDER[esc] if in_class else f"[{WIDER[esc]}]")
            elif esc in ("b", "B"):
                if in_class and esc == "b":
                    out.append("\\x{8}")  # backspace inside a class
                elif in_class:
                    return None
                # outside a class: a word boundary, dropped (the match can only widen)
            elif esc == "Z":
                out.append("\\z")
            elif esc in _HEX:
                digits = pattern[i + 2 : i + 2 + _HEX[esc]]
                if len(digits) != _HEX[esc] or not all(c in "0123456789abcdefABCDEF" for c in digits):
                    return None
                out.append(f"\\x{{{digits}}}")
                i += 2 + _HEX[esc]
                continue
            elif esc == "" or esc.isdigit() or esc == "N":
                return None  # back references, octal, named characters
            elif esc.isalpha() and esc not in "afnrtvA":
                return None  # an escape whose meaning may differ
            elif esc.isalpha() or ord(esc) > 127:
                out.append(pattern[i : i + 2] if esc.isalpha() else esc)
            else:
                out.append(f"\\x{{{ord(esc):X}}}")  # escaped punctuation or space: RE2 refuses some as is
            i += 2
            continue
        if in_class:
            if ch == "]":  # a leading "]" was taken as a literal where the class opened
                in_class = negated = False
            elif ch == "[":
                out.append("\\[")  # RE2 would read "[:alpha:]" as a POSIX class
                i += 1
                continue
            out.append(ch)
            i += 1
            continue
        if ch == "[":
            in_class = True
            out.append(ch)
            i += 1
            negated = pattern[i : i + 1] == "^"
            if negated:
                out.append("^")
                i += 1
            if pattern[i : i + 1] == "]":
                out.append("\\]")  # a leading "]" is a literal in both; escaped to be plain
                i += 1
            continue
        if ch == "(" and pattern[i + 1 : i + 2] == "?":
            if _UNSUPPORTED_GROUP.match(pattern, i):
                return None
            m = _FLAGS_GROUP.match(pattern, i)
            if m is not None:
                if set(m.group(1) + (m.group(2) or "")) - set("ims"):
                    return None
            elif not pattern.startswith(("(?:", "(?P<"), i):
                return None
        if ch in "*+?}" and pattern[i + 1 : i + 2] == "+":
            return None  # possessive quantifier
        if ch == "{" and pattern[i + 1 : i + 2] == ",":
            out.append("{0")
            i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


@dataclass(frozen=True)
class RuleScreen:
    """Two RE2 sets over a rule set: the rules' own patterns, and the keyword rules' keywords with, last,
    the characters that keep a line from being screened. `orders` map each set's pattern indices to rule
    positions. Two sets rather than one: together, the keywords (matching anywhere) and the patterns
    (running to the line's end) multiply the DFA's states, 40-90 MB per process on real text against 5."""

    patterns: object  # a compiled re2.Set
    keywords: object
    pattern_orders: tuple[int, ...]
    keyword_orders: tuple[int, ...]
    unscreened: tuple[int, ...]  # positions of the rules RE2 cannot express: always candidates

    def candidates(self, core: str) -> list[int] | None:
        """The positions (ascending) of the rules that may match `core`, or None when the line cannot be
        screened (it holds a character with irregular case folding, or one UTF-8 cannot encode)."""
        try:
            data = core.encode()  # once for both sets (given a str, each would encode it)
        except UnicodeEncodeError:
            return None
        by_keyword = self.keywords.Match(data)  # type: ignore[attr-defined]
        by_pattern = self.patterns.Match(data)  # type: ignore[attr-defined]
        found = list(self.unscreened)
        if by_keyword:
            guard = len(self.keyword_orders)  # the guard's index: it was added last
            if guard in by_keyword:
                return None
            found += [self.keyword_orders[h] for h in by_keyword]
        if by_pattern:
            found += [self.pattern_orders[h] for h in by_pattern]
        found.sort()
        return found


def _literal(text: str) -> str:
    """A string as an RE2 literal: ASCII punctuation and spaces as \\x{..} escapes."""
    return "".join(c if c.isalnum() or ord(c) > 127 else f"\\x{{{ord(c):X}}}" for c in text)


def _compiled_set(patterns: Sequence[str]) -> object | None:
    """A compiled RE2 search set of the patterns (all known to parse), or None when RE2 refuses it."""
    options = re2.Options()
    options.max_mem = MAX_MEM
    options.log_errors = False
    matcher = re2.Set.SearchSet(options)
    for pattern in patterns:
        matcher.Add(pattern)
    try:
        matcher.Compile()
    except re2.error:
        return None
    compiled: object = matcher
    return compiled


def build_screen(rules: Sequence[tuple[int, re.Pattern[str], Sequence[str]]]) -> RuleScreen | None:
    """The screen of (rule position, compiled pattern, keywords) triples; None without google-re2 or when
    RE2 refuses a set.

    A rule with keywords (one of which must occur in the lowercased line, as part of its meaning) is
    screened by its keywords, case-insensitively, rather than by its pattern: such patterns float, and
    floating patterns in a set multiply its states.
    """
    if re2 is None:
        return None
    patterns: dict[int, str] = {}
    keywords: dict[int, str] = {}
    unscreened: list[int] = []
    for order, pattern, words in rules:
        if words:
            keywords[order] = "(?i)(?:" + "|".join(map(_literal, words)) + ")"
            continue
        rewritten = to_re2(pattern.pattern, pattern.flags)
        if rewritten is None or not _parses(rewritten):
            unscreened.append(order)
        else:
            patterns[order] = rewritten
    if not patterns and not keywords:
        return None
    guard = "[" + _ranges(sorted(map(ord, fold_guard()))) + "]"
    by_pattern = _compiled_set(list(patterns.values()) or ["$^"])  # "$^": a set may not be empty
    by_keyword = _compiled_set([*keywords.values(), guard])
    if by_pattern is None or by_keyword is None:
        return None
    return RuleScreen(by_pattern, by_keyword, tuple(patterns), tuple(keywords), tuple(unscreened))


def _parses(pattern: str) -> bool:
    """Whether RE2 accepts the pattern."""
    try:
        re2.compile(pattern)
    except re2.error:
        return False
    return True
