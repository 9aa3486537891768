"""Arrow tables that carry documents between the steps: explicit schemas and row conversions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from pipeline.cleaning.curate import CleanDocument
from pipeline.cleaning.document import (
    Anchor,
    Heading,
    Metadata,
    ParsedDocument,
    RemovedSpan,
    Section,
    Skipped,
)
from pipeline.cleaning.ingest import SeedFile
from pipeline.cleaning.quality import SIGNALS as QUALITY_SIGNALS
from pipeline.datasets.dedup import FINGERPRINT_FIELDS

# Every per-document table starts with the file's identity; skipped entries carry only these.
IDENTITY_FIELDS = [
    pa.field("doc_id", pa.string(), nullable=False),
    pa.field("source_path", pa.string(), nullable=False),
    pa.field("sha256", pa.string()),
    pa.field("size_bytes", pa.int64()),
]

RAW_SCHEMA = pa.schema(
    [
        *IDENTITY_FIELDS,
        pa.field("stat_key", pa.string()),
        pa.field("skip_reason", pa.string()),
    ]
)

PARSED_SCHEMA = pa.schema(
    [
        *IDENTITY_FIELDS,
        pa.field("format", pa.string()),
        pa.field("metadata_format", pa.string()),
        pa.field("encoding", pa.string()),
        pa.field("repairs", pa.list_(pa.string())),
        pa.field("title", pa.string()),
        pa.field("url", pa.string()),
        pa.field("published", pa.date32()),
        pa.field("author", pa.string()),
        pa.field("description", pa.string()),
        pa.field("tags", pa.list_(pa.string())),
        pa.field("category", pa.string()),
        pa.field("source_name", pa.string()),
        pa.field("extra", pa.map_(pa.string(), pa.string())),
        pa.field("links", pa.list_(pa.string())),
        pa.field("text", pa.string()),
        pa.field("headings", pa.list_(pa.struct([("text", pa.string()), ("level", pa.int8())]))),
        pa.field("anchors", pa.list_(pa.struct([("offset", pa.int64()), ("seconds", pa.int64())]))),
        pa.field("skip_reason", pa.string()),
    ]
)

REMOVED_SPAN = pa.struct(
    [
        ("rule", pa.string()),
        ("rule_group", pa.string()),
        ("text", pa.string()),
        ("char_start", pa.int64()),
        ("char_end", pa.int64()),
        ("line_start", pa.int32()),
        ("line_end", pa.int32()),
        ("score", pa.float32()),
    ]
)
# A parsed document after boilerplate removal: `text` is the clean body, `removed` what left it.
CLEAN_SCHEMA = PARSED_SCHEMA.insert(
    PARSED_SCHEMA.get_field_index("skip_reason"), pa.field("removed", pa.list_(REMOVED_SPAN))
).insert(PARSED_SCHEMA.get_field_index("skip_reason") + 1, pa.field("removed_chars", pa.int64()))
CLEAN_SCHEMA = CLEAN_SCHEMA.insert(
    CLEAN_SCHEMA.get_field_index("author") + 1, pa.field("author_source", pa.string())
)

SECTIONS_SCHEMA = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("section_index", pa.int32(), nullable=False),
        pa.field("heading", pa.string()),
        pa.field("level", pa.int32()),
        pa.field("parent_index", pa.int32()),
        pa.field("text", pa.string()),
        pa.field("char_start", pa.int64()),
        pa.field("char_end", pa.int64()),
        pa.field("n_chars", pa.int64()),
        pa.field("n_words", pa.int64()),
        pa.field("start_time", pa.int64()),
    ]
)


LANGUAGE_SHARE = pa.struct([("language", pa.string()), ("share", pa.float64())])
# One row per document (section_index null) and one per section.
LANGUAGE_SCHEMA = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("section_index", pa.int32()),
        pa.field("language", pa.string()),
        pa.field("language_score", pa.float64()),
        # A section's: true when it had its document's language (too short or uncertain to tag on its own).
        pa.field("language_inherited", pa.bool_()),
        pa.field("languages", pa.list_(LANGUAGE_SHARE)),
        pa.field("needs_translation", pa.bool_()),
        pa.field("translated_text", pa.string()),
    ]
)

# A section inside a curated document: SECTIONS_SCHEMA without doc_id, plus its language.
TAGGED_SECTION = pa.struct(
    [
        *(f for f in SECTIONS_SCHEMA if f.name != "doc_id"),
        pa.field("language", pa.string()),
        pa.field("language_score", pa.float64()),
        pa.field("language_inherited", pa.bool_()),
        pa.field("needs_translation", pa.bool_()),
        pa.field("translated_text", pa.string()),
    ]
)
# A value replaced by its placeholder: type and the placeholder's offsets in the text, never the value.
REDACTION = pa.struct(
    [pa.field("type", pa.string()), pa.field("char_start", pa.int64()), pa.field("char_end", pa.int64())]
)
# The quality signals (pipeline/cleaning/quality.py) as nullable columns: null for a skipped document.
QUALITY_FIELDS = [
    pa.field(spec.name, pa.int64() if spec.type == "int64" else pa.float64()) for spec in QUALITY_SIGNALS
]
# One row per document after curation: the clean document, its counts, its languages and its sections.
CURATED_SCHEMA = pa.schema(
    [
        *(f for f in CLEAN_SCHEMA if f.name != "skip_reason"),
        pa.field("n_chars", pa.int64()),
        pa.field("n_words", pa.int64()),
        pa.field("n_sections", pa.int64()),
        pa.field("n_removed", pa.int64()),
        *(f for f in LANGUAGE_SCHEMA if f.name in ("language", "language_score", "languages")),
        *(f for f in LANGUAGE_SCHEMA if f.name in ("needs_translation", "translated_text")),
        pa.field("sections", pa.list_(TAGGED_SECTION)),
        *QUALITY_FIELDS,
        pa.field("n_redactions", pa.int64()),
        pa.field("redactions", pa.list_(REDACTION)),
        *FINGERPRINT_FIELDS,  # for the duplicates asset; not published
        pa.field("skip_reason", pa.string()),
    ]
)

METADATA_COLUMNS = ("title", "url", "published", "author", "description", "tags", "category", "source_name")


def raw_row(item: SeedFile | Skipped) -> dict[str, Any]:
    """An entry of the seeds folder as a row of RAW_SCHEMA: a readable file's hash, else the reason."""
    if isinstance(item, Skipped):
        return skipped_row(item)
    return {
        "doc_id": item.doc_id,
        "source_path": item.source_path,
        "sha256": item.sha256,
        "size_bytes": item.size_bytes,
        "stat_key": item.stat_key,
        "skip_reason": None,
    }


def skipped_row(item: Skipped) -> dict[str, Any]:
    """The row of a skipped entry: identity and reason, everything else null."""
    return {
        "doc_id": item.doc_id,
        "source_path": item.source_path,
        "sha256": item.sha256 or None,
        "size_bytes": item.size_bytes,
        "skip_reason": item.reason,
    }


def parsed_row(doc: ParsedDocument) -> dict[str, Any]:
    """A parsed document as a row of PARSED_SCHEMA."""
    meta = doc.metadata
    return {
        "doc_id": doc.doc_id,
        "source_path": doc.source_path,
        "sha256": doc.sha256,
        "size_bytes": doc.size_bytes,
        "format": doc.format,
        "metadata_format": doc.metadata_format,
        "encoding": doc.encoding,
        "repairs": doc.repairs,
        **{name: getattr(meta, name) for name in METADATA_COLUMNS},
        "extra": list(meta.extra.items()),
        "links": doc.links,
        "text": doc.text,
        "headings": [{"text": h.text, "level": h.level} for h in doc.headings],
        "anchors": [{"offset": a.offset, "seconds": a.seconds} for a in doc.anchors],
        "skip_reason": None,
    }


def clean_row(item: CleanDocument) -> dict[str, Any]:
    """A cleaned document as a row of CLEAN_SCHEMA."""
    return {
        **parsed_row(item.doc),
        "author_source": item.author_source,
        "removed": [span_row(span) for span in item.removed],
        "removed_chars": item.removed_chars,
    }


def span_row(span: RemovedSpan) -> dict[str, Any]:
    """A removed span as a struct value."""
    return {
        "rule": span.rule,
        "rule_group": span.rule_group,
        "text": span.text,
        "char_start": span.char_start,
        "char_end": span.char_end,
        "line_start": span.line_start,
        "line_end": span.line_end,
        "score": span.score,
    }


def section_rows(doc_id: str | None, sections: Iterable[Section]) -> list[dict[str, Any]]:
    """The rows of SECTIONS_SCHEMA for one document."""
    return [
        {
            "doc_id": doc_id,
            "section_index": s.section_index,
            "heading": s.heading,
            "level": s.level,
            "parent_index": s.parent_index,
            "text": s.text,
            "char_start": s.char_start,
            "char_end": s.char_end,
            "n_chars": s.n_chars,
            "n_words": s.n_words,
            "start_time": s.start_time,
        }
        for s in sections
    ]


def parsed_from_row(row: dict[str, Any]) -> ParsedDocument:
    """A parsed document back from its row (the inverse of `parsed_row`)."""
    metadata = Metadata(**{name: row[name] for name in METADATA_COLUMNS})
    metadata.tags = row["tags"] or []
    metadata.extra = dict(row["extra"] or [])
    return ParsedDocument(
        doc_id=row["doc_id"],
        source_path=row["source_path"],
        sha256=row["sha256"],
        size_bytes=row["size_bytes"],
        format=row["format"],
        metadata_format=row["metadata_format"],
        encoding=row["encoding"],
        text=row["text"],
        metadata=metadata,
        links=row["links"] or [],
        headings=[Heading(h["text"], h["level"]) for h in row["headings"] or []],
        anchors=[Anchor(a["offset"], a["seconds"]) for a in row["anchors"] or []],
        repairs=row["repairs"] or [],
    )
