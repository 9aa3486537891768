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


class _BoundedLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses documents with more aliases than front matter ever needs."""

    aliases_seen = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Count aliases while composing, and stop at the bound."""
        if self.check_event(yaml.AliasEvent):
            self.aliases_seen += 1
            if self.aliases_seen > MAX_YAML_ALIASES:
                raise FrontMatterError(f"YAML front matter uses more than {MAX_YAML_ALIASES} aliases")
        return super().compose_node(parent, index)


def _yaml_fields(text: str) -> dict[str, Any]:
    """Parse YAML front matter safely, refusing alias bombs."""
    try:
        value = yaml.load(text, Loader=_BoundedLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        raise FrontMatterError(f"invalid YAML front matter{where}: {getattr(exc, 'problem', exc)}") from exc
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
    lines = text.split("\n")
    index = 0
    while index < len(lines) and (match := HEADER_LINE.match(lines[index])):
        fields.setdefault(match.group(1).lower(), match.group(2))
        index += 1
    # One stray "Title: …" line could be prose; a header block has two lines or is followed by a blank.
    if not fields or (len(fields) < 2 and index < len(lines) and lines[index].strip()):
        return Split(kind=None, body=text)
    return Split(kind="header_lines", fields=fields, body="\n".join(lines[index:]))
