"""The records that flow between cleaning steps: plain dataclasses, no I/O, no dagster."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RawDocument:
    """One file of the seeds folder as bytes, before any decoding."""

    doc_id: str
    source_path: str
    data: bytes
    sha256: str

    @property
    def size_bytes(self) -> int:
        """Size of the file in bytes."""
        return len(self.data)


@dataclass
class Metadata:
    """Document metadata gathered from front matter, header lines or HTML."""

    title: str | None = None
    url: str | None = None
    published: dt.date | None = None
    author: str | None = None
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    category: str | None = None
    source_name: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Heading:
    """A heading the parser saw in the source markup; `text` is a whole line of the body."""

    text: str
    level: int


@dataclass(frozen=True)
class Anchor:
    """A video timestamp anchor (`[00:01:08]`) removed from the body at character `offset`."""

    offset: int
    seconds: int


@dataclass
class ParsedDocument:
    """A decoded document: its metadata and its body as plain text with one block per paragraph."""

    doc_id: str
    source_path: str
    sha256: str
    size_bytes: int
    format: str  # text | markdown | html
    metadata_format: str | None  # toml | yaml | header_lines | title_line | html_meta | None
    encoding: str
    text: str
    metadata: Metadata = field(default_factory=Metadata)
    links: list[str] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    anchors: list[Anchor] = field(default_factory=list)
    repairs: list[str] = field(
        default_factory=list
    )  # what decode/repair changed, e.g. "ftfy", "literal_newlines"


@dataclass(frozen=True)
class Skipped:
    """A file that could not be curated, and why; it is recorded, never dropped silently."""

    doc_id: str
    source_path: str
    reason: str
    sha256: str = ""
    size_bytes: int = 0


@dataclass(frozen=True)
class RemovedSpan:
    """A span of the parsed body removed as boilerplate, with the rule that removed it.

    `char_start`/`char_end` index the parsed body (`ParsedDocument.text`);
    `line_start`/`line_end` are 1-based, inclusive line numbers of that body. `score` is the fitted
    model's probability that the span is content (its highest over the span's lines), for removals the
    model or the region stage decided; None for a rule's certain removal.
    """

    rule: str
    rule_group: str
    text: str
    char_start: int
    char_end: int
    line_start: int
    line_end: int
    score: float | None = None


@dataclass(frozen=True)
class Section:
    """A stretch of a clean document under one heading; `text == document_text[char_start:char_end]`."""

    section_index: int
    heading: str | None
    level: int  # 0 for the lead section before the first heading
    parent_index: int | None
    char_start: int
    char_end: int
    text: str
    start_time: int | None = None  # seconds into the video, where a timestamp anchor opened the section

    @property
    def n_chars(self) -> int:
        """Number of characters of the section text."""
        return len(self.text)

    @property
    def n_words(self) -> int:
        """Number of whitespace-separated words of the section text."""
        return len(self.text.split())


@dataclass(frozen=True)
class LanguageTag:
    """An ISO 639-1 language (or `und`) with the detector's confidence in [0, 1]."""

    language: str
    score: float
