"""One document line by line: what the pipeline kept and dropped, and why.

`explain_file` runs a file through the pipeline's own per-document steps (`parse_step`, then
`curate_step`: decode, parse, boilerplate removal with the same rules, redaction, sections, languages,
quality signals), so what it reports is what a run would publish. `body_lines` and `place_sections`
turn a curated document into its parsed body's lines, each with its decision, and the line where each
section begins; the review page of a version (review.py) marks its samples with the same functions.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from pipeline.cleaning.boilerplate.model import DEFAULT_THRESHOLD as DEFAULT_BOILERPLATE_THRESHOLD
from pipeline.cleaning.curate import line_starts
from pipeline.cleaning.ingest import DEFAULT_MAX_BYTES
from pipeline.cleaning.quality import SIGNAL_NAMES, QualitySignals, failed_thresholds, load_thresholds
from pipeline.datasets.objectstore import is_url
from pipeline.datasets.steps import (
    CURATE_INPUT_FIELD,
    CurateConfig,
    SeedsConfig,
    curate_input,
    curate_step,
    parse_step,
    raw_row,
)
from pipeline.preflight import parse_setting

REPEATED_STAGE = "repeated_lines.parquet"  # the repeated_lines asset's stage file in the work folder


@dataclass(frozen=True)
class Line:
    """A line of the parsed body (1-based `number`) and the rule that dropped it (None: kept)."""

    number: int
    text: str
    rule: str | None = None
    group: str | None = None
    score: float | None = None

    @property
    def kept(self) -> bool:
        """Whether the line is in the curated text."""
        return self.rule is None


@dataclass(frozen=True)
class SectionMark:
    """A section of the curated text and the parsed body's line it begins at (None: not placed)."""

    index: int
    heading: str | None
    level: int
    language: str | None
    language_score: float | None
    line: int | None
    inherited: bool = False  # too short to tag: the document's language (sections.language_inherited)


def body_lines(text: str, spans: Iterable[Mapping[str, Any]]) -> list[Line]:
    """The lines of a parsed body, each dropped line with the rule, group and score of its span."""
    lines = text.split("\n")
    by_line: dict[int, Mapping[str, Any]] = {}
    for span in spans:
        for number in range(int(span["line_start"]), int(span["line_end"]) + 1):
            by_line.setdefault(number, span)
    result = []
    for number, line in enumerate(lines, start=1):
        found = by_line.get(number)
        if found is None:
            result.append(Line(number, line))
        else:
            span, score = found, found.get("score")
            result.append(
                Line(number, line, span["rule"], span["rule_group"], None if score is None else float(score))
            )
    return result


def place_sections(
    lines: Sequence[Line], clean_text: str, sections: Iterable[Mapping[str, Any]]
) -> list[SectionMark]:
    """Each section (offsets into the curated text) with the parsed body's line it begins at.

    Boilerplate removal keeps or drops whole lines, so the kept non-blank lines of the parsed body are
    the non-blank lines of the curated text, in order (as `remap_anchors` relies on too).
    """
    kept = [line.number for line in lines if line.kept and line.text.strip()]
    clean_lines = clean_text.split("\n")
    starts = line_starts(clean_text)
    shown = [j for j, line in enumerate(clean_lines) if line.strip()]
    placed = dict(zip(shown, kept, strict=True)) if len(kept) == len(shown) else {}
    marks = []
    for section in sections:
        first = bisect.bisect_right(starts, int(section["char_start"])) - 1
        end = int(section["char_end"])
        number = None
        j = first
        while j < len(clean_lines) and starts[j] < max(end, starts[first] + 1):
            if j in placed:
                number = placed[j]
                break
            j += 1
        score = section.get("language_score")
        marks.append(
            SectionMark(
                int(section["section_index"]),
                section.get("heading"),
                int(section.get("level") or 0),
                section.get("language"),
                None if score is None else float(score),
                number,
                bool(section.get("language_inherited")),
            )
        )
    return marks


# --- one file through the pipeline's steps ---------------------------------------------------------------


@dataclass(frozen=True)
class ExplainSettings:
    """The settings of a run that shape one document's curation, from the same WEBCURATE_* variables."""

    rules_file: str | None = None
    target_language: str = "en"
    translation_backend: str | None = None
    max_file_bytes: int = DEFAULT_MAX_BYTES
    quality_file: str | None = None
    seeds_dir: str = "seeds"
    repeated_lines: str | None = None  # the repeated_lines stage of an earlier run (None: none found)
    boilerplate_threshold: float = DEFAULT_BOILERPLATE_THRESHOLD
    keep_comments: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ExplainSettings:
        """The settings the WEBCURATE_* variables give a run; the earlier run's repeated lines if found."""
        env = os.environ if environ is None else environ
        work = env.get("WEBCURATE_WORK_DIR") or (
            str(Path(env["DAGSTER_HOME"]) / "storage" / "webcurate") if env.get("DAGSTER_HOME") else None
        )
        repeated = (
            None if not work else _stored_repeated(work, env) if is_url(work) else Path(work) / REPEATED_STAGE
        )
        return cls(
            rules_file=env.get("WEBCURATE_RULES_FILE") or None,
            target_language=env.get("WEBCURATE_TARGET_LANGUAGE") or "en",
            translation_backend=env.get("WEBCURATE_TRANSLATION_BACKEND") or None,
            max_file_bytes=int(env.get("WEBCURATE_MAX_FILE_BYTES") or DEFAULT_MAX_BYTES),
            quality_file=env.get("WEBCURATE_QUALITY_FILE") or None,
            seeds_dir=env.get("WEBCURATE_SEEDS_DIR") or "seeds",
            repeated_lines=str(repeated) if repeated is not None and repeated.is_file() else None,
            boilerplate_threshold=float(
                parse_setting("boilerplate_threshold", env["WEBCURATE_BOILERPLATE_THRESHOLD"])  # type: ignore[arg-type]
                if env.get("WEBCURATE_BOILERPLATE_THRESHOLD")
                else DEFAULT_BOILERPLATE_THRESHOLD
            ),
            keep_comments=bool(
                env.get("WEBCURATE_KEEP_COMMENTS")
                and parse_setting("keep_comments", env["WEBCURATE_KEEP_COMMENTS"])
            ),
        )


def _stored_repeated(work: str, env: Mapping[str, str]) -> Path | None:
    """The repeated_lines stage of a work folder on an object store, in the mirror runs keep (pulled from
    the store); None when it cannot be had: a file is explained without it rather than not at all."""
    from pipeline.datasets.stages.store import StageStore, mirror_under

    home = env.get("DAGSTER_HOME")
    mirror = mirror_under(Path(home) / "storage", work) if home else None
    try:
        return StageStore.from_uri(work, mirror=mirror).path(REPEATED_STAGE.removesuffix(".parquet"))
    except Exception:  # no credentials, an unreachable store: the lines are judged without the corpus
        return None


@dataclass
class Explanation:
    """One file as the pipeline curates it: its lines with their decisions, sections and languages."""

    source_path: str
    skip_reason: str | None = None
    format: str | None = None
    encoding: str | None = None
    repairs: list[str] = field(default_factory=list)
    title: str | None = None
    language: str | None = None
    language_score: float | None = None
    lines: list[Line] = field(default_factory=list)
    sections: list[SectionMark] = field(default_factory=list)
    quality: dict[str, float | None] = field(default_factory=dict)
    failed_thresholds: list[str] = field(default_factory=list)
    repeated_lines: int = 0  # lines of this file the corpus repeats (from the earlier run)

    @property
    def dropped(self) -> int:
        """Lines dropped."""
        return sum(not line.kept for line in self.lines)


def _identity(path: Path, seeds_dir: Path) -> tuple[str, str]:
    """The folder a file is read from and its source path: relative to the seeds folder when inside it
    (so its doc_id is the run's), else its own name in its own folder."""
    resolved, seeds = path.resolve(), seeds_dir.resolve()
    if resolved.is_relative_to(seeds):
        return str(seeds), resolved.relative_to(seeds).as_posix()
    return str(resolved.parent), resolved.name


def _repeated_hashes(stage: str | None) -> list[int]:
    """The line hashes an earlier run found repeated across the corpus (none without its stage file)."""
    if stage is None:
        return []
    hashes: list[int] = pq.ParquetFile(stage).read(columns=["line_hash"]).column(0).to_pylist()
    return hashes


def explain_file(path: Path, settings: ExplainSettings) -> Explanation:
    """Run one file through `parse_step` and `curate_step` as a run would, and explain every line."""
    root, source = _identity(path, Path(settings.seeds_dir))
    parsed = parse_step(SeedsConfig(root, settings.max_file_bytes), raw_row(path.read_bytes(), source))
    if parsed.get("skip_reason") is not None:
        return Explanation(source, skip_reason=parsed["skip_reason"])
    row = curate_input(parsed, _repeated_hashes(settings.repeated_lines))
    config = CurateConfig(
        settings.rules_file,
        settings.target_language,
        settings.translation_backend,
        settings.boilerplate_threshold,
        settings.keep_comments,
    )
    curated = curate_step(config, row)
    if curated.get("skip_reason") is not None:
        return Explanation(source, skip_reason=curated["skip_reason"])
    lines = body_lines(row["text"], curated["removed"])
    quality = {name: curated[name] for name in SIGNAL_NAMES}
    failed = []
    if settings.quality_file:
        thresholds = load_thresholds(settings.quality_file)
        failed = failed_thresholds(QualitySignals(**quality), thresholds)  # type: ignore[arg-type]
    return Explanation(
        source,
        format=row["format"],
        encoding=row["encoding"],
        repairs=list(row["repairs"] or []),
        title=row["title"],
        language=curated["language"],
        language_score=curated["language_score"],
        lines=lines,
        sections=place_sections(lines, curated["text"], curated["sections"]),
        quality=quality,
        failed_thresholds=failed,
        repeated_lines=len(row[CURATE_INPUT_FIELD.name]),
    )


# --- printing --------------------------------------------------------------------------------------------

KEEP_STYLE, DROP_STYLE, RULE_STYLE, SECTION_STYLE = "green", "red", "yellow", "bold cyan"


def _reason(line: Line) -> str:
    """`rule (group)` and the model's score, for a dropped line; empty for a kept one."""
    if line.kept:
        return ""
    score = f" score {line.score:.2f}" if line.score is not None else ""
    return f"{line.rule} ({line.group}){score}"


def _section_text(mark: SectionMark) -> str:
    """A section's marker: index, heading, level and language."""
    heading = f'"{mark.heading}"' if mark.heading else "(lead, no heading)"
    score = f" {mark.language_score:.2f}" if mark.language_score is not None else ""
    language = (mark.language or "und") + score + (" (the document's)" if mark.inherited else "")
    return f"── section {mark.index}: {heading} · level {mark.level} · {language}"


def summary_lines(found: Explanation, settings: ExplainSettings) -> list[str]:
    """The header above the lines: what the file is, what ran on it, what it came to."""
    if found.skip_reason is not None:
        return [f"{found.source_path}: skipped: {found.skip_reason}"]
    rules = "built-in" + (f" + {settings.rules_file}" if settings.rules_file else "")
    repeated = (
        f"{found.repeated_lines} of its lines repeated across the corpus ({settings.repeated_lines})"
        if settings.repeated_lines
        else "none (no earlier run's repeated_lines stage found)"
    )
    language = f"{found.language or 'und'}" + (
        f" ({found.language_score:.2f})" if found.language_score is not None else ""
    )
    signals = ", ".join(
        f"{name} {value:.3g}" if isinstance(value, float) else f"{name} {value}"
        for name, value in found.quality.items()
    )
    quality = "passes every threshold" if settings.quality_file else "no thresholds set"
    if found.failed_thresholds:
        quality = "left out of the release: " + ", ".join(found.failed_thresholds)
    return [
        f"{found.source_path}: {found.title or '(no title)'}",
        f"format {found.format}, encoding {found.encoding}"
        + (f", repaired: {', '.join(found.repairs)}" if found.repairs else ""),
        f"lines {len(found.lines)}: kept {len(found.lines) - found.dropped}, dropped {found.dropped}; "
        f"sections {len(found.sections)}; language {language}",
        f"rules: {rules}; repeated lines: {repeated}",
        f"quality: {signals}; {quality}",
    ]


def print_explanation(found: Explanation, settings: ExplainSettings, console: Any = None) -> None:
    """Print the explanation: coloured on a terminal (rich), plain text otherwise."""
    from rich.console import Console
    from rich.text import Text

    console = console or Console(highlight=False, soft_wrap=True)
    for index, header in enumerate(summary_lines(found, settings)):
        console.print(Text(header, style="bold" if index == 0 else ""))
    if found.skip_reason is not None:
        return
    console.print()
    width = max((len(_reason(line)) for line in found.lines), default=0)
    digits = len(str(len(found.lines)))
    marks: dict[int, list[SectionMark]] = {}
    for mark in found.sections:
        if mark.line is not None:
            marks.setdefault(mark.line, []).append(mark)
    for line in found.lines:
        for mark in marks.get(line.number, []):
            console.print(Text(" " * (digits + 1) + _section_text(mark), style=SECTION_STYLE))
        text = Text(f"{line.number:>{digits}} ")
        if line.kept and not line.text.strip():  # a blank line: nothing to decide
            console.print(text, style="dim")
            continue
        text.append("keep" if line.kept else "drop", style=KEEP_STYLE if line.kept else DROP_STYLE)
        text.append(f" {_reason(line):<{width}}", style=RULE_STYLE)
        text.append(" │ ")
        text.append(line.text, style="" if line.kept else "dim")
        console.print(text)
    unplaced = [mark for mark in found.sections if mark.line is None]
    if unplaced:
        console.print()
        console.print(Text("sections not placed on a line:", style="bold"))
        for mark in unplaced:
            console.print(Text("  " + _section_text(mark), style=SECTION_STYLE))
