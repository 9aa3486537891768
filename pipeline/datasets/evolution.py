"""Checks between versions: may this release's schemas follow the previous one's, and how far did it drift?

**Schema evolution.** `schema_changes(previous, current)` lists how a table's columns changed, and
`check_evolution(...)` decides whether the release may be published:

- allowed in the same major version: `table_added`, `column_added_nullable` (readers of old versions
  see the column as null), `nullability_relaxed` (not null -> nullable), `columns_reordered` (readers
  go by name);
- breaking: `column_removed`, `column_retyped`, `column_added_required`, `nullability_tightened`,
  `table_removed`.

A breaking change passes only when the table's schema file is a new major version
(`schemas/documents.v1.json` -> `documents.v2.json`; the version is the number in the file name and the
file's `"version"`, see schema.py), so a consumer who pinned v1 knows that v2 reads differently. Type
widening (int32 -> int64) is a retype too: Parquet readers that pinned the old type break on it. Changes
of a description or of value constraints are not schema changes here (the validator applies them).

The previous schemas are best read from the previous release's Parquet files (`release_schemas`):
they are what was actually published, so a schema file edited in place (v1 changed, no v2) is caught.

**Drift.** `drift(previous_counts, current_counts)` compares two versions' manifest counts: document
count, language mix (total variation distance between the language shares), removed spans per
document for each rule (only rules with enough spans to judge), and mean document length in
characters. Each number comes with its previous value, its change, its threshold and whether it is
past it; drift warns, it never blocks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeAlias

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.datasets.objectstore import StorePath
from pipeline.datasets.schema import TableSchema

ChangeKind = Literal[
    "table_added",
    "table_removed",
    "column_added_nullable",
    "column_added_required",
    "column_removed",
    "column_retyped",
    "nullability_tightened",
    "nullability_relaxed",
    "columns_reordered",
]
BREAKING: frozenset[str] = frozenset(
    {"table_removed", "column_added_required", "column_removed", "column_retyped", "nullability_tightened"}
)
SchemaLike: TypeAlias = TableSchema | pa.Schema
_FILE_NAME = re.compile(r"^(?P<table>.+)\.v(?P<major>\d+)\.json$")  # schema.py's `<table>.v<major>.json`


@dataclass(frozen=True)
class Change:
    """One difference between a table's previous and current schema."""

    table: str
    column: str | None  # None for a whole-table change
    kind: ChangeKind
    detail: str = ""

    @property
    def breaking(self) -> bool:
        """Whether the change needs a new major schema version."""
        return self.kind in BREAKING

    def __str__(self) -> str:
        """`documents.n_words: column_retyped (int64 -> int32)`."""
        where = f"{self.table}.{self.column}" if self.column else self.table
        return f"{where}: {self.kind}" + (f" ({self.detail})" if self.detail else "")


def _arrow(schema: SchemaLike) -> pa.Schema:
    """The Arrow schema of a schema file or of a published table."""
    return schema.arrow if isinstance(schema, TableSchema) else schema


def schema_major(schema: SchemaLike) -> int | None:
    """The major version of a schema file, or the one a published table's Arrow metadata records."""
    if isinstance(schema, TableSchema):
        return schema.version
    raw: bytes | None = (schema.metadata or {}).get(b"webcurate.schema_version")
    return int(raw) if raw is not None and raw.isdigit() else None


def parse_file_name(name: str) -> tuple[str, int] | None:
    """("documents", 2) for "documents.v2.json" (or a path to it); None for any other name."""
    match = _FILE_NAME.match(Path(name).name)
    return (match.group("table"), int(match.group("major"))) if match else None


def schema_changes(previous: SchemaLike, current: SchemaLike, *, table: str = "") -> list[Change]:
    """How the columns changed from `previous` to `current`: added, removed, retyped, nullability, order."""
    name = table or (current.table if isinstance(current, TableSchema) else "")
    old, new = _arrow(previous), _arrow(current)
    old_fields = {f.name: f for f in old}
    new_fields = {f.name: f for f in new}
    changes: list[Change] = []
    for column in old.names:
        if column not in new_fields:
            changes.append(Change(name, column, "column_removed", str(old_fields[column].type)))
            continue
        before, after = old_fields[column], new_fields[column]
        # `equals` ignores the item names Parquet gives lists and maps (item/element), which readers do too.
        if not before.type.equals(after.type):
            changes.append(Change(name, column, "column_retyped", f"{before.type} -> {after.type}"))
        elif before.nullable and not after.nullable:
            changes.append(Change(name, column, "nullability_tightened", "nullable -> not null"))
        elif not before.nullable and after.nullable:
            changes.append(Change(name, column, "nullability_relaxed", "not null -> nullable"))
    for column in new.names:
        if column not in old_fields:
            added = new_fields[column]
            kind: ChangeKind = "column_added_nullable" if added.nullable else "column_added_required"
            changes.append(Change(name, column, kind, str(added.type)))
    kept_old = [c for c in old.names if c in new_fields]
    kept_new = [c for c in new.names if c in old_fields]
    if kept_old != kept_new:
        changes.append(Change(name, None, "columns_reordered", ", ".join(kept_new)))
    return changes


@dataclass(frozen=True)
class EvolutionResult:
    """Whether the current schemas may follow the previous version's, with every change and reason."""

    passed: bool
    changes: list[Change] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # why the release is blocked
    warnings: list[str] = field(default_factory=list)  # worth a look, not blocking

    def markdown(self) -> str:
        """The result as a Markdown list, for an asset check's metadata and the dataset card."""
        if not (self.changes or self.problems or self.warnings):
            return "No schema changes."
        lines = [f"- **blocked**: {p}" for p in self.problems]
        lines += [f"- warning: {w}" for w in self.warnings]
        lines += [f"- {'breaking' if c.breaking else 'allowed'}: `{c}`" for c in self.changes]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data, for the manifest."""
        return {
            "passed": self.passed,
            "changes": [
                {
                    "table": c.table,
                    "column": c.column,
                    "kind": c.kind,
                    "breaking": c.breaking,
                    "detail": c.detail,
                }
                for c in self.changes
            ],
            "problems": list(self.problems),
            "warnings": list(self.warnings),
        }

    def metadata(self) -> dict[str, int | str]:
        """Plain numbers and text for an asset check's metadata."""
        return {
            "breaking_changes": sum(c.breaking for c in self.changes),
            "allowed_changes": sum(not c.breaking for c in self.changes),
            "problems": len(self.problems),
            "details": self.markdown(),
        }


def check_evolution(
    previous: Mapping[str, SchemaLike],
    current: Mapping[str, TableSchema],
    *,
    previous_files: Mapping[str, str] | None = None,
    available: Iterable[str] | None = None,
) -> EvolutionResult:
    """Whether a release with `current` schemas may follow the previous version's `previous` schemas.

    `previous` maps table to schema (from `release_schemas`, or schema files); empty for the first
    release. `previous_files` is the previous manifest's `schemas` ({"documents": "documents.v1.json"})
    and gives each table's previous major version (else the schema's own version or Arrow metadata).
    `available` lists the schema file names now in schemas/; when given, a previous major's file that is
    gone is a warning (older versions' manifests name it).
    """
    changes: list[Change] = []
    problems: list[str] = []
    warnings: list[str] = []
    files = set(map(_base_name, available)) if available is not None else None
    for table in sorted(set(previous) | set(current)):
        if table not in current:
            changes.append(Change(table, None, "table_removed"))
            problems.append(f"{table}: the table is gone from the release, which breaks every reader of it")
            continue
        if table not in previous:
            changes.append(Change(table, None, "table_added", current[table].file_name))
            continue
        old_major = _previous_major(table, previous[table], previous_files)
        new_major = current[table].version
        found = schema_changes(previous[table], current[table], table=table)
        changes.extend(found)
        breaking = [c for c in found if c.breaking]
        if old_major is None:
            if breaking:
                problems.append(
                    f"{table}: {len(breaking)} breaking change(s) and the previous major version is unknown"
                )
            continue
        if new_major < old_major:
            problems.append(f"{table}: schema v{new_major} is older than the previous version's v{old_major}")
        elif breaking and new_major == old_major:
            listed = "; ".join(str(c) for c in breaking)
            problems.append(
                f"{table}: {listed}: a breaking change needs a new major schema file "
                f"({table}.v{old_major + 1}.json), not an edit of {table}.v{old_major}.json"
            )
        elif new_major > old_major + 1:
            warnings.append(f"{table}: schema jumps from v{old_major} to v{new_major}")
        elif new_major > old_major and not breaking:
            warnings.append(f"{table}: new major v{new_major} without a breaking change")
        if files is not None and new_major > old_major and f"{table}.v{old_major}.json" not in files:
            warnings.append(f"{table}.v{old_major}.json, used by the previous version, is gone from schemas/")
    return EvolutionResult(not problems, changes, problems, warnings)


def _base_name(name: str) -> str:
    """The file name of a path or name."""
    return Path(name).name


def _previous_major(table: str, schema: SchemaLike, previous_files: Mapping[str, str] | None) -> int | None:
    """The previous version's major version of a table: manifest file name first, then the schema."""
    if previous_files and table in previous_files:
        parsed = parse_file_name(previous_files[table])
        if parsed is not None:
            return parsed[1]
    return schema_major(schema)


def release_schemas(version_dir: Path | StorePath, manifest: Mapping[str, Any]) -> dict[str, pa.Schema]:
    """The Arrow schema of each table of a published version, read from its first Parquet part's footer."""
    schemas: dict[str, pa.Schema] = {}
    files = sorted(manifest.get("files", {}))
    for table in manifest.get("schemas", {}):
        parts = [name for name in files if name.startswith(f"{table}/")]
        if parts:
            first = version_dir / parts[0]
            source = first.open_input_file() if isinstance(first, StorePath) else first
            schemas[table] = pq.ParquetFile(source).schema_arrow
    return schemas


# --- drift ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DriftThresholds:
    """How far a number may move from the previous version before the drift check warns."""

    document_count: float = 0.2  # relative change of the number of documents (±20%)
    language_tvd: float = 0.1  # total variation distance of the language shares (10 points moved)
    rule_rate: float = 0.5  # relative change of a rule's removed spans per document (±50%) ...
    rule_min_support: int = 20  # ... judged only when the rule removed this many spans in either version
    mean_chars: float = 0.2  # relative change of the mean document length in characters (±20%)


@dataclass(frozen=True)
class DriftMetric:
    """One number compared with the previous version."""

    name: str  # document_count, language_mix, mean_chars, rule_rate[<rule>]
    value: float
    previous: float | None
    change: float | None  # relative change (value / previous - 1); the distance for language_mix
    threshold: float
    past_threshold: bool
    judged: bool = True  # False for a rule with too few spans to judge

    def row(self) -> tuple[str, str, str, str, str, str]:
        """The metric as cells of a Markdown table."""
        change = "n/a" if self.change is None else f"{self.change:+.1%}"
        if self.name == "language_mix" and self.change is not None:
            change = f"{self.change:.3f}"
        status = (
            "**past threshold**" if self.past_threshold else ("ok" if self.judged else "too few to judge")
        )
        previous = "n/a" if self.previous is None else _number(self.previous)
        return (self.name, _number(self.value), previous, change, _number(self.threshold), status)


@dataclass(frozen=True)
class DriftReport:
    """The drift of a version against the previous one."""

    metrics: list[DriftMetric]
    language_shares: dict[str, tuple[float, float]]  # language -> (previous share, current share)
    previous_version: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def past(self) -> list[DriftMetric]:
        """The metrics past their threshold."""
        return [m for m in self.metrics if m.past_threshold]

    @property
    def warn(self) -> bool:
        """Whether any metric is past its threshold."""
        return bool(self.past)

    def markdown(self) -> str:
        """A Markdown table of every metric, for the check's metadata and the dataset card."""
        header = ("metric", "value", "previous", "change", "threshold", "status")
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(m.row()) + " |" for m in self.metrics]
        if self.language_shares:
            shares = ", ".join(
                f"{lang} {old:.1%} -> {new:.1%}" for lang, (old, new) in sorted(self.language_shares.items())
            )
            lines += ["", f"Language shares: {shares}."]
        lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data, for the manifest (and so for the dataset card)."""
        return {
            "previous_version": self.previous_version,
            "warn": self.warn,
            "metrics": [asdict(m) for m in self.metrics],
            "language_shares": {lang: list(pair) for lang, pair in self.language_shares.items()},
            "notes": list(self.notes),
        }

    def metadata(self) -> dict[str, float | int | str | bool]:
        """Plain numbers for an asset check's metadata: `<metric>`, `<metric>_previous`, `<metric>_change`."""
        data: dict[str, float | int | str | bool] = {
            "previous_version": self.previous_version or "none",
            "past_threshold": ", ".join(m.name for m in self.past) or "none",
        }
        for metric in self.metrics:
            if not metric.judged:
                continue
            data[metric.name] = metric.value
            if metric.previous is not None:
                data[f"{metric.name}_previous"] = metric.previous
            if metric.change is not None:
                data[f"{metric.name}_change"] = round(metric.change, 6)
        data["details"] = self.markdown()
        return data


def drift(
    previous_counts: Mapping[str, Any],
    current_counts: Mapping[str, Any],
    thresholds: DriftThresholds | None = None,
    *,
    previous_version: str | None = None,
) -> DriftReport:
    """Compare two versions' manifest `counts`.

    Reads `curated` (documents published), `languages` (documents per language), `removed_by_rule`
    (spans per rule), `seen` and `skipped` (documents that reached curation: the per-rule rate's
    denominator, so documents a filter removed whole still count), and `text_chars` (characters of all
    published texts; without it in both versions there is no mean-length metric).
    """
    limits = thresholds or DriftThresholds()
    metrics: list[DriftMetric] = []
    notes: list[str] = []
    old_docs, new_docs = int(previous_counts.get("curated", 0)), int(current_counts.get("curated", 0))
    metrics.append(_relative("document_count", new_docs, old_docs, limits.document_count))
    old_shares, new_shares = _shares(previous_counts), _shares(current_counts)
    languages = sorted(set(old_shares) | set(new_shares))
    pairs = {lang: (old_shares.get(lang, 0.0), new_shares.get(lang, 0.0)) for lang in languages}
    if old_shares and new_shares:
        distance = 0.5 * sum(abs(new - old) for old, new in pairs.values())
        metrics.append(
            DriftMetric(
                "language_mix", distance, None, distance, limits.language_tvd, distance > limits.language_tvd
            )
        )
    old_chars, new_chars = previous_counts.get("text_chars"), current_counts.get("text_chars")
    if old_chars is not None and new_chars is not None and old_docs and new_docs:
        metrics.append(_relative("mean_chars", new_chars / new_docs, old_chars / old_docs, limits.mean_chars))
    else:
        notes.append("mean length not compared: `text_chars` is missing from a version's counts")
    old_base, new_base = _documents_in(previous_counts), _documents_in(current_counts)
    old_rules = previous_counts.get("removed_by_rule", {})
    new_rules = current_counts.get("removed_by_rule", {})
    for rule in sorted(set(old_rules) | set(new_rules)):
        old_spans, new_spans = int(old_rules.get(rule, 0)), int(new_rules.get(rule, 0))
        old_rate = old_spans / old_base if old_base else 0.0
        new_rate = new_spans / new_base if new_base else 0.0
        metric = _relative(f"rule_rate[{rule}]", new_rate, old_rate, limits.rule_rate)
        if max(old_spans, new_spans) < limits.rule_min_support:
            # A rule that fired 3 times and now 6 has "doubled": noise, not drift.
            metric = DriftMetric(
                metric.name, new_rate, old_rate, metric.change, limits.rule_rate, False, judged=False
            )
        metrics.append(metric)
    return DriftReport(metrics, pairs, previous_version, notes)


def _relative(name: str, value: float, previous: float, threshold: float) -> DriftMetric:
    """A metric judged by its relative change; from zero, any value is past the threshold."""
    if previous == 0:
        return DriftMetric(name, value, previous, None, threshold, value != 0)
    change = value / previous - 1
    return DriftMetric(name, value, previous, change, threshold, abs(change) > threshold)


def _shares(counts: Mapping[str, Any]) -> dict[str, float]:
    """Each language's share of the documents."""
    languages = {str(k): int(v) for k, v in counts.get("languages", {}).items()}
    total = sum(languages.values())
    return {lang: n / total for lang, n in languages.items()} if total else {}


def _documents_in(counts: Mapping[str, Any]) -> int:
    """Documents that reached curation (seen minus skipped), or the published ones for older manifests."""
    if "seen" in counts:
        return max(int(counts["seen"]) - int(counts.get("skipped", 0)), 0)
    return int(counts.get("curated", 0))


def _number(value: float) -> str:
    """A number for a table cell: integers whole, others to four significant digits."""
    return str(int(value)) if float(value).is_integer() else f"{value:.4g}"
