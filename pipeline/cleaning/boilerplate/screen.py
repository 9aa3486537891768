"""A compiled screen over the named rules: one RE2 set match per line says which rules may match it.

Trying the rules' Python regexes on every line costs about 9 µs a line (15 tries on average, even with
the first-character dispatch of classify.py), and 87% of real lines match no rule. An RE2 set of all the
rules (google-re2's `re2.Set`, one DFA for every pattern) answers "which of them can match" in under a
microsecond, so Python's `re` only confirms the few rules it names, in rule order: the answer is still
Python's, the screen only skips tries that cannot succeed.

For that the screen must never miss a rule Python would match. Each pattern is rewritten into RE2
syntax so that it matches at least what Python's does:

- `\\w \\d \\s` and their negations become the exact sets of characters Python's `re` gives them (computed
  from Python's own `re` over every code point: RE2's are ASCII-only);
- `\\b` and `\\B` are dropped (RE2's word boundary is ASCII; dropping a constraint only widens);
- `{,n}` becomes `{0,n}`, `\\Z` `\\z`, `\\uXXXX` `\\x{XXXX}`, a `[` inside a class `\\[`.

A pattern with anything RE2 lacks (lookarounds, back references, possessive or atomic groups, verbose
mode) is left out of the set and always tried. Case folding is the one place where the engines could
disagree (Python folds `ı` to `i` and `ſ` to `s`; RE2 uses Unicode's simple folding), so a line holding a
character whose case mapping is irregular (`fold_guard`) is not screened at all. The tests compare the
screen with the plain rule loop on every line of the dev data and on generated lines.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

try:  # a compiled wheel; without it (a platform it is not built for) the rules run unscreened
    import re2
except ImportError:  # pragma: no cover - every supported platform has the wheel
    re2 = None

MAX_MEM = 256 << 20  # RE2's memory budget for the set's DFA: large enough never to run out on a line
_SURROGATES = range(0xD800, 0xE000)  # not encodable in UTF-8: never in RE2's input


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


@lru_cache(maxsize=1)
def python_classes() -> dict[str, str]:
    """The class bodies of Python's `\\w`, `\\d` and `\\s` on str patterns, read off Python's own `re`."""
    every = "".join(chr(cp) for cp in range(sys.maxunicode + 1) if cp not in _SURROGATES)
    out = {}
    for name in "wds":
        members = sorted(ord(c) for c in re.findall(rf"\{name}", every))
        out[name] = _ranges(members)
    return out


@lru_cache(maxsize=1)
def fold_guard() -> frozenset[str]:
    """Characters whose case mapping is irregular (not a one-to-one lower/upper pair): Python's and RE2's
    case-insensitive matching may treat them differently, so lines holding one are not screened."""
    out: set[str] = set()
    for cp in range(sys.maxunicode + 1):
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
    classes = python_classes()
    out: list[str] = []
    for name, on in (("i", re.IGNORECASE), ("m", re.MULTILINE), ("s", re.DOTALL)):
        if flags & on:
            out.append(f"(?{name})")
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            esc = pattern[i + 1 : i + 2]
            if esc in ("w", "d", "s", "W", "D", "S"):
                body = classes[esc.lower()]
                if in_class:
                    if esc.isupper():
                        return None  # a negated class inside a class: not expressible
                    out.append(body)
                else:
                    out.append(f"[^{body}]" if esc.isupper() else f"[{body}]")
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
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if ch == "]" and not _class_start(pattern, i):
                in_class = False
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
            if pattern[i : i + 1] == "^":
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


def _class_start(pattern: str, i: int) -> bool:
    """Whether the `]` at i is a literal right after a class's opening `[` or `[^`."""
    return pattern[i - 1 : i] == "[" or (pattern[i - 2 : i] == "[^" and pattern[i - 3 : i - 2] != "\\")


@dataclass(frozen=True)
class RuleScreen:
    """An RE2 set of the screenable rules; `orders` maps a set index to its rule's position, and the set's
    last pattern (index `guard`) finds the characters that keep a line from being screened."""

    matcher: object  # a compiled re2.Set
    orders: tuple[int, ...]
    unscreened: tuple[int, ...]  # positions of the rules RE2 cannot express: always candidates
    guard: int

    def candidates(self, core: str) -> list[int] | None:
        """The positions (ascending) of the rules that may match `core`, or None when the line cannot be
        screened (it holds a character with irregular case folding, or one UTF-8 cannot encode)."""
        try:
            hits = self.matcher.Match(core)  # type: ignore[attr-defined]
        except UnicodeEncodeError:
            return None
        if not hits:
            return list(self.unscreened)
        if self.guard in hits:
            return None
        found = [self.orders[h] for h in hits]
        if self.unscreened:
            found += self.unscreened
        found.sort()
        return found


def build_screen(patterns: Sequence[tuple[int, re.Pattern[str]]]) -> RuleScreen | None:
    """The screen of (rule position, compiled pattern) pairs; None without google-re2 or when RE2 refuses
    the set."""
    if re2 is None:
        return None
    options = re2.Options()
    options.max_mem = MAX_MEM
    options.log_errors = False
    matcher = re2.Set.SearchSet(options)
    orders: list[int] = []
    unscreened: list[int] = []
    for order, pattern in patterns:
        rewritten = to_re2(pattern.pattern, pattern.flags)
        if rewritten is None:
            unscreened.append(order)
            continue
        try:
            matcher.Add(rewritten)
        except re2.error:
            unscreened.append(order)
            continue
        orders.append(order)
    if not orders:
        return None
    guard = matcher.Add("[" + _ranges(sorted(map(ord, fold_guard()))) + "]")
    try:
        matcher.Compile()
    except re2.error:
        return None
    return RuleScreen(matcher, tuple(orders), tuple(sorted(unscreened)), guard)
