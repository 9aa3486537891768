"""Per-document curation steps after parsing: boilerplate removal, sections, language tags.

Each function takes one document and returns plain data, so the same code runs in an asset, a
process pool or a Ray task.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from pipeline.cleaning.boilerplate import (
    BoilerplateSettings,
    CleanResult,
    RuleSet,
    guess_language,
    remove_boilerplate,
    remove_boilerplate_batch,
)
from pipeline.cleaning.document import Anchor, LanguageTag, ParsedDocument, RemovedSpan, Section
from pipeline.cleaning.formats.html import COMMENTS_CHARS
from pipeline.cleaning.language import (
    DocumentLanguage,
    inherit_document_language,
    needs_translation,
    tag_document,
)
from pipeline.cleaning.pii import Redaction, redact_pii, shift_offset, texts_with_candidates
from pipeline.cleaning.translate import TranslationBackend


@dataclass
class CleanDocument:
    """A parsed document with boilerplate removed: `doc.text` is the clean body, anchors moved to match."""

    doc: ParsedDocument
    removed: list[RemovedSpan]
    removed_chars: int
    author_source: str | None


@dataclass(frozen=True)
class Tagged:
    """Language of a document and of each of its sections, with translations where a backend is set; a
    section too short or uncertain to tag has its document's language, flagged in `section_inherited`."""

    document: DocumentLanguage
    sections: list[LanguageTag]
    needs_translation: bool
    section_needs_translation: list[bool]
    translated_text: str | None = None
    section_translations: list[str | None] = dataclasses.field(default_factory=list)
    section_inherited: list[bool] = dataclasses.field(default_factory=list)


def line_starts(text: str) -> list[int]:
    """Offset of the first character of every line of `text`."""
    starts = [0]
    position = text.find("\n")
    while position >= 0:
        starts.append(position + 1)
        position = text.find("\n", position + 1)
    return starts


def remap_anchors(
    parsed: str, removed: Sequence[RemovedSpan], clean: str, anchors: Sequence[Anchor]
) -> list[Anchor]:
    """Move anchors from offsets of the parsed body to offsets of the clean text.

    Boilerplate removal keeps or drops whole lines, so the kept non-blank lines of the parsed body are
    the non-blank lines of the clean text, in order. An anchor on a removed line is dropped.
    """
    if not anchors:
        return []
    dropped = {line for span in removed for line in range(span.line_start, span.line_end + 1)}
    parsed_lines, parsed_starts = parsed.split("\n"), line_starts(parsed)
    clean_lines, clean_starts = clean.split("\n"), line_starts(clean)
    kept = [i for i, line in enumerate(parsed_lines) if i + 1 not in dropped and line.strip()]
    shown = [j for j, line in enumerate(clean_lines) if line.strip()]
    if len(kept) != len(shown):  # not line-preserving after all: keep no anchor rather than a wrong one
        return []
    moved_line = dict(zip(kept, shown, strict=True))
    result = []
    for anchor in anchors:
        line = bisect.bisect_right(parsed_starts, anchor.offset) - 1
        if line in moved_line:
            column = anchor.offset - parsed_starts[line]
            result.append(Anchor(clean_starts[moved_line[line]] + column, anchor.seconds))
    return result


def clean_document(
    doc: ParsedDocument,
    *,
    rules: RuleSet | None = None,
    repeated_lines: frozenset[str] = frozenset(),
    repeated_hashes: Collection[int] = frozenset(),
    settings: BoilerplateSettings | None = None,
    cleaned: CleanResult | None = None,
) -> CleanDocument:
    """Remove boilerplate from a parsed document, recording every removed span.

    The corpus's repeated lines come as normalised lines or as their hashes (see `remove_boilerplate`).
    `cleaned` is `remove_boilerplate`'s result for this document if already computed (in a batch with
    others, see `clean_texts`).
    """
    doc, body, comments = html_comments(doc, settings or BoilerplateSettings())
    if doc.format == "html":
        # trafilatura and the block model (formats/html_blocks.py) decided the page's blocks; of the line
        # stage only the certain rules act (the line model, fitted on text dumps, cost 0.04 F1 here).
        cleaned = None
        settings = dataclasses.replace(settings or BoilerplateSettings(), model=False)
    # The hint only picks the classifier's stop words and language rules: a stop-word vote is enough for
    # that (within 0.01 F1 of the true language on the line-labels data) at a fraction of a model's cost.
    result = cleaned or remove_boilerplate(
        body,
        language=guess_language(body),
        rules=rules,
        repeated_lines=repeated_lines,
        repeated_hashes=repeated_hashes,
        settings=settings,
    )
    if comments is not None:
        result = dataclasses.replace(result, removed=[*result.removed, comments])
    # A page that is all boilerplate (an index of teasers, a login wall, a bot check) cleans down to
    # nothing: its chrome is not put back; the curate step skips the document with no_main_content.
    text, removed = result.text, result.removed
    metadata = doc.metadata
    author_source = "metadata" if metadata.author else None
    if metadata.author is None and result.author and removed:
        metadata = dataclasses.replace(metadata, author=result.author)
        author_source = "bio_block"
    clean = dataclasses.replace(
        doc,
        text=text,
        metadata=metadata,
        anchors=remap_anchors(doc.text, removed, text, doc.anchors),
    )
    return CleanDocument(clean, removed, sum(s.char_end - s.char_start for s in removed), author_source)


NO_MAIN_CONTENT = "no main content"  # the skip reason's start for a document that cleaned down to nothing


def no_main_content(cleaned: CleanDocument) -> str | None:
    """Why a document cleaned down to nothing is left out (the rules and stages that took its lines, most
    first), or None when text is left."""
    if cleaned.doc.text.strip():
        return None
    counts = Counter(span.rule for span in cleaned.removed for _ in range(span.line_start, span.line_end + 1))
    taken = ", ".join(f"{rule} {n}" for rule, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return f"{NO_MAIN_CONTENT}: every line is boilerplate ({taken or 'no lines'})"


def html_comments(
    doc: ParsedDocument, settings: BoilerplateSettings
) -> tuple[ParsedDocument, str, RemovedSpan | None]:
    """An HTML page's body without its user comments (the trailing part parsing marked, COMMENTS_CHARS)
    unless `keep_comments`, and their removed span; the document loses the mark either way."""
    extra = doc.metadata.extra
    if COMMENTS_CHARS not in extra:
        return doc, doc.text, None
    rest = {k: v for k, v in extra.items() if k != COMMENTS_CHARS}
    doc = dataclasses.replace(doc, metadata=dataclasses.replace(doc.metadata, extra=rest))
    end = len(doc.text.rstrip())
    chars = extra[COMMENTS_CHARS]
    start = end - int(chars) if doc.format == "html" and chars.isdigit() else 0
    if settings.keep_comments or not 0 < start < end or doc.text[start - 1] != "\n":
        return doc, doc.text, None
    first, last = doc.text.count("\n", 0, start) + 1, doc.text.count("\n", 0, end) + 1
    span = RemovedSpan("comments", "comments", doc.text[start:end], start, end, first, last, None)
    return doc, doc.text[:start], span


def clean_texts(
    texts: Sequence[str],
    *,
    rules: RuleSet | None = None,
    repeated_hashes: Sequence[Collection[int]] | None = None,
    settings: BoilerplateSettings | None = None,
) -> list[CleanResult]:
    """`remove_boilerplate` of many bodies in one batch, each with the language hint clean_document uses:
    what `clean_document(..., cleaned=...)` takes."""
    return remove_boilerplate_batch(
        texts,
        languages=[guess_language(text) for text in texts],
        rules=rules,
        repeated_hashes=repeated_hashes,
        settings=settings,
    )


def _redacted_span(span: RemovedSpan) -> RemovedSpan:
    """A removed span with its text redacted (the span itself when there is nothing to redact)."""
    text, found = redact_pii(span.text)
    return dataclasses.replace(span, text=text) if found else span


def redact_document(cleaned: CleanDocument) -> tuple[CleanDocument, list[Redaction]]:
    """A clean document with e-mail addresses, phone numbers and IP addresses replaced by placeholders in
    its text, headings and removed spans; anchors follow the text. The redactions hold no values."""
    # Removed spans keep their offsets into the parsed body, but their text must not publish a value either
    # (most spans hold none: one scan of them all tells which may, and only those are redacted).
    removed = list(cleaned.removed)
    if removed and (holding := texts_with_candidates([span.text for span in removed])):
        removed = [_redacted_span(span) if i in holding else span for i, span in enumerate(removed)]
    text, redactions = redact_pii(cleaned.doc.text)
    if not redactions:
        return dataclasses.replace(cleaned, removed=removed), []
    doc = dataclasses.replace(
        cleaned.doc,
        text=text,
        # A heading is a whole line of the text: it is redacted as that line was.
        headings=[dataclasses.replace(h, text=redact_pii(h.text)[0]) for h in cleaned.doc.headings],
        anchors=[
            dataclasses.replace(a, offset=shift_offset(a.offset, redactions)) for a in cleaned.doc.anchors
        ],
    )
    return dataclasses.replace(cleaned, doc=doc, removed=removed), redactions


def tag_languages(
    text: str,
    sections: Sequence[Section],
    *,
    target: str = "en",
    backend: TranslationBackend | None = None,
) -> Tagged:
    """Languages of a document and its sections (an untaggable section inheriting the document's),
    translation flags, and translations if a backend is set."""
    document, own_tags = tag_document(text, sections)
    section_tags, inherited = inherit_document_language(document, own_tags)
    doc_flag = needs_translation(document.language, target)
    section_flags = [needs_translation(tag.language, target) for tag in section_tags]
    if backend is None:
        nothing: list[str | None] = [None] * len(section_tags)
        return Tagged(document, section_tags, doc_flag, section_flags, None, nothing, inherited)
    section_translations = [
        backend.translate(section.text, tag.language, target) if flag else None
        for section, tag, flag in zip(sections, section_tags, section_flags, strict=True)
    ]
    translated = backend.translate(text, document.language, target) if doc_flag else None
    return Tagged(
        document, section_tags, doc_flag, section_flags, translated, section_translations, inherited
    )
