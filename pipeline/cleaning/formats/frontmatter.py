"""Split leading metadata from a body: TOML (`+++`) or YAML (`---`) front matter, or `Key: value` lines."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

import yaml


class FrontMatterError(ValueError):
    """Front matter that opens but cannot be read; the message says where and why."""


@dataclass
class Split:
    """Metadata fields found ahead of the body, what kind they were, and the body itself."""

    kind: str | None  # toml | yaml | header_lines | None
    fields: dict[str, Any] = field(default_factory=dict)
    body: str = ""


FENCES = {"+++": "toml", "---": "yaml"}
# Header lines scrapers put on top of a page dump; only these names, so prose such as "Note: …" stays.
HEADER_LINE = re.compile(
    r"^(source|url|date|category|title|author|published|tags|description|language)[ \t]*:[ \t]*(.*?)[ \t]*$",
    re.IGNORECASE,
)
# YAML aliases make "billion laughs" bombs (they explode when the value is walked, e.g. serialised);
# real front matter never needs more than a handful.
MAX_YAML_ALIASES = 50
# An anchor (`&name`) or alias (`*name`) needs `&`/`*` followed by a name character (YAML 1.2
# ns-anchor-char: anything but blanks and flow indicators). Text without one cannot hold an alias, so
# the alias bound is moot and libyaml may parse it; the test over-detects ("AT&T", "*bold*"), which
# only costs such texts the slower bounded loader.
MAYBE_ALIAS = re.compile(r"[&*][^\s,\[\]{}]")
# Every level of nesting opens with one of these characters ("[", "{", "key:", "- ", "? "), so their
# count bounds the depth. libyaml nests by C recursion and crashes the process somewhere past 10,000
# levels; the bounded loader raises RecursionError past ~300. Up to this many, both loaders are safe and
# agree; real front matter stays far below, and anything above takes the bounded loader.
NESTING_CHARS = "[{:-?"
MAX_FAST_NESTING = 150
# Where the pure-Python loader (YAML 1.1, stricter) and libyaml disagree, found by fuzzing the two on
# mutated front matter: a tab (an error almost anywhere for the former), a byte-order mark after the
# start, a comment glued to a block scalar header ("|#"), and tags ("x: !" is None for one, "" for
# the other). Texts that may hold one take the bounded loader and keep its results; so do texts with a
# "?" after the first "[" or "{" (the former ends a plain scalar at "?" inside a flow collection).
DIVERGENT = re.compile(r"[\t\ufeff]|[|>][-+0-9]*#|(?<!\w)!")
# libyaml parses front matter ~8x faster than the pure-Python loader, with the same constructor and
# resolver, so the same values. Without libyaml every text takes the bounded loader.
_FAST_LOADER: type[Any] | None = getattr(yaml, "CSafeLoader", None)


# Why: the pure-Python composer recurses (three frames) per level of nesting, so front matter nested a
# few hundred levels deep ("a: [[[[…") raised RecursionError, which no caller expects: the document was
# recorded as a crash ("failed: RecursionError"), not as bad front matter. Past this depth the loader
# stops with a FrontMatterError, well below the recursion limit. Every text libyaml reads nests at most
# MAX_FAST_NESTING deep, so with the same bound the two loaders still agree.
MAX_YAML_DEPTH = MAX_FAST_NESTING


class _BoundedLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses documents with more aliases or deeper nesting than front matter
    ever needs."""

    aliases_seen = 0
    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Count aliases and nesting while composing, and stop at the bounds."""
        if self.check_event(yaml.AliasEvent):
            self.aliases_seen += 1
            if self.aliases_seen > MAX_YAML_ALIASES:
                raise FrontMatterError(f"YAML front matter uses more than {MAX_YAML_ALIASES} aliases")
        self.depth += 1
        if self.depth > MAX_YAML_DEPTH:
            raise FrontMatterError(f"YAML front matter nested deeper than {MAX_YAML_DEPTH} levels")
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _fast_yaml(text: str) -> tuple[bool, Any]:
    """(True, value) when libyaml may and does load `text`; (False, None) to defer to the bounded loader."""
    if _FAST_LOADER is None or MAYBE_ALIAS.search(text):
        return False, None
    if sum(map(text.count, NESTING_CHARS)) > MAX_FAST_NESTING or DIVERGENT.search(text):
        return False, None
    question = text.rfind("?")
    if question >= 0 and any(0 <= text.find(c) < question for c in "[{"):
        return False, None
    try:
        return True, yaml.load(text, Loader=_FAST_LOADER)
    except Exception:
        # Any failure (a YAML error, a bad date) is re-run on the bounded loader for its exact outcome.
        return False, None


def _yaml_fields(text: str) -> dict[str, Any]:
    """Parse YAML front matter safely, refusing alias bombs."""
    done, value = _fast_yaml(text)
    try:
        if not done:
            value = yaml.load(text, Loader=_BoundedLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        # A skip reason is one line; str() of a YAML error without `problem` (a ReaderError: a forbidden
        # control character) goes on with a second line naming the "<unicode string>" position.
        problem = getattr(exc, "problem", None) or str(exc).split("\n", 1)[0]
        raise FrontMatterError(f"invalid YAML front matter{where}: {problem}") from exc
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FrontMatterError(f"YAML front matter is a {type(value).__name__}, not a mapping")
    return value


def _toml_fields(text: str) -> dict[str, Any]:
    """Parse TOML front matter."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FrontMatterError(f"invalid TOML front matter: {exc}") from exc


def split_front_matter(text: str) -> Split:
    """Split `+++`/`---` front matter or leading header lines from the body; raises FrontMatterError."""
    first_line, _, rest = text.partition("\n")
    fence = first_line.strip()
    if fence in FENCES:
        kind = FENCES[fence]
        closers = (fence, "...") if kind == "yaml" else (fence,)
        lines = rest.split("\n")
        for index, line in enumerate(lines):
            if line.strip() in closers:
                matter = "\n".join(lines[:index])
                body = "\n".join(lines[index + 1 :])
                fields = _toml_fields(matter) if kind == "toml" else _yaml_fields(matter)
                return Split(kind=kind, fields=fields, body=body)
        # A lone "---" line is also a Markdown rule; only a "+++" opener is surely front matter.
        if kind == "toml":
            raise FrontMatterError("TOML front matter opened with +++ is never closed")
        return Split(kind=None, body=text)
    return split_header_lines(text)


def split_header_lines(text: str) -> Split:
    """Split `Source:`/`Date:`/`Title:` … lines at the very top of a text dump from its body."""
    fields: dict[str, Any] = {}
    # Line by line from the top, not text.split("\n"): most texts have no header line, and splitting a
    # whole text to read its first line cost more than the rest of this function.
    start = 0  # where the line after the header lines starts; len(text) + 1 once no line is left
    while start <= len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        match = HEADER_LINE.match(text[start:end])  # a slice: "^" does not match at a `pos` past 0
        if not match:
            break
        fields.setdefault(match.group(1).lower(), match.group(2))
        start = end + 1
    # One stray "Title: …" line could be prose; a header block has two lines or is followed by a blank.
    if not fields or (len(fields) < 2 and start <= len(text) and text[start:end].strip()):
        return Split(kind=None, body=text)
    return Split(kind="header_lines", fields=fields, body=text[start:])
