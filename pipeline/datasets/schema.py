"""Table schemas as data: `schemas/<table>.v<major>.json` to an explicit `pa.Schema`, and validation.

A schema file lists columns with an Arrow type written as pyarrow prints it (`string`, `int64`,
`date32[day]`, `list<item: string>`, `map<string, string>`, `list<item: struct<language: string,
share: double>>`), nullability, a description and optional constraints:
`unique`, `non_empty`, `pattern` (regex for strings), `min`/`max` (numbers), `allowed` (values).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

PRIMITIVES: dict[str, pa.DataType] = {
    "null": pa.null(),
    "bool": pa.bool_(),
    "int8": pa.int8(),
    "int16": pa.int16(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "uint8": pa.uint8(),
    "uint32": pa.uint32(),
    "uint64": pa.uint64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "string": pa.string(),
    "large_string": pa.large_string(),
    "binary": pa.binary(),
    "large_binary": pa.large_binary(),
    "date32[day]": pa.date32(),
}
TIMESTAMP = re.compile(r"timestamp\[(s|ms|us|ns)(?:, tz=([^\]]+))?\]")


class SchemaError(ValueError):
    """A schema file that cannot be read or names a type we cannot build."""


def _split_top_level(text: str) -> list[str]:
    """Split `a: int64, b: list<item: string>` at commas outside angle brackets."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "<":
            depth += 1
        elif char == ">":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
    parts.append(text[start:].strip())
    return [part for part in parts if part]


def parse_type(text: str) -> pa.DataType:
    """Build a pyarrow type from its printed form (the inverse of `str(pa_type)`)."""
    text = text.strip()
    if text in PRIMITIVES:
        return PRIMITIVES[text]
    if match := TIMESTAMP.fullmatch(text):
        return pa.timestamp(match.group(1), tz=match.group(2))
    head, _, rest = text.partition("<")
    if not rest.endswith(">"):
        raise SchemaError(f"unknown Arrow type {text!r}")
    inner = rest[:-1]
    if head == "list":
        name, _, item = inner.partition(":") if re.match(r"^\w+\s*:", inner) else ("item", "", inner)
        return pa.list_(pa.field(name.strip(), parse_type(item)))
    if head == "map":
        key, value = _split_top_level(inner)
        return pa.map_(parse_type(key), parse_type(value))
    if head == "struct":
        fields = []
        for part in _split_top_level(inner):
            name, _, child = part.partition(":")
            fields.append(pa.field(name.strip(), parse_type(child)))
        return pa.struct(fields)
    raise SchemaError(f"unknown Arrow type {text!r}")


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a table schema."""

    name: str
    type: pa.DataType
    nullable: bool
    description: str
    constraints: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TableSchema:
    """A table's schema file: name, major version, columns."""

    table: str
    version: int
    description: str
    columns: tuple[ColumnSpec, ...]

    @property
    def arrow(self) -> pa.Schema:
        """The explicit Arrow schema, with descriptions as field metadata."""
        return pa.schema(
            [
                pa.field(c.name, c.type, nullable=c.nullable, metadata={"description": c.description})
                for c in self.columns
            ],
            metadata={"webcurate.table": self.table, "webcurate.schema_version": str(self.version)},
        )

    @property
    def file_name(self) -> str:
        """The schema file's name, `<table>.v<major>.json`."""
        return f"{self.table}.v{self.version}.json"


def read_schema(path: Path) -> TableSchema:
    """Read one schema file; raises SchemaError naming the file on any problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        columns = tuple(
            ColumnSpec(
                name=column["name"],
                type=parse_type(column["type"]),
                nullable=bool(column.get("nullable", True)),
                description=column.get("description", ""),
                constraints=dict(column.get("constraints", {})),
            )
            for column in data["columns"]
        )
        return TableSchema(data["table"], int(data["version"]), data.get("description", ""), columns)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SchemaError(f"{path}: {exc}") from exc


def load_schema(schemas_dir: Path, table: str, version: int | None = None) -> TableSchema:
    """The schema of `table` at a major version, or its newest major version when none is given."""
    candidates = {
        int(m.group(1)): path
        for path in schemas_dir.glob(f"{table}.v*.json")
        if (m := re.fullmatch(rf"{re.escape(table)}\.v(\d+)\.json", path.name))
    }
    if not candidates:
        raise SchemaError(f"no schema file for table {table!r} in {schemas_dir}")
    chosen = version if version is not None else max(candidates)
    if chosen not in candidates:
        raise SchemaError(f"no schema v{chosen} for table {table!r} in {schemas_dir}")
    return read_schema(candidates[chosen])


@dataclass(frozen=True)
class Violation:
    """One way a table breaks its schema."""

    table: str
    column: str | None
    rule: str
    message: str

    def __str__(self) -> str:
        """`table.column: rule: message`."""
        where = f"{self.table}.{self.column}" if self.column else self.table
        return f"{where}: {self.rule}: {self.message}"


def _examples(values: pa.Array | pa.ChunkedArray, limit: int = 3) -> str:
    """A few offending values for a message."""
    return ", ".join(repr(v) for v in values.slice(0, limit).to_pylist())


def validate(table: pa.Table, schema: TableSchema) -> list[Violation]:
    """Every violation of `schema` by `table`: columns, types, nullability, and value constraints."""
    name = schema.table
    violations: list[Violation] = []
    expected = [c.name for c in schema.columns]
    if table.column_names != expected:
        missing = [c for c in expected if c not in table.column_names]
        unexpected = [c for c in table.column_names if c not in expected]
        detail = f"missing {missing}, unexpected {unexpected}" if missing or unexpected else "order differs"
        violations.append(Violation(name, None, "columns", f"columns do not match the schema: {detail}"))
    for spec in schema.columns:
        if spec.name not in table.column_names:
            continue
        column = table.column(spec.name)
        if not column.type.equals(spec.type):
            violations.append(
                Violation(name, spec.name, "type", f"is {column.type}, schema says {spec.type}")
            )
            continue
        if not spec.nullable and column.null_count:
            violations.append(Violation(name, spec.name, "not_null", f"{column.null_count} null values"))
        violations.extend(_check_constraints(name, spec, column))
    return violations


class StreamValidator:
    """Validates tables arriving chunk by chunk; uniqueness holds across chunks, not just within one."""

    def __init__(self, schemas: Mapping[str, TableSchema]) -> None:
        self.schemas = schemas
        self.violations: list[Violation] = []
        # (table, column) -> values seen so far, for the columns that must be unique
        self._seen: dict[tuple[str, str], set[Any]] = {
            (name, c.name): set()
            for name, s in schemas.items()
            for c in s.columns
            if c.constraints.get("unique")
        }
        self._duplicates: dict[tuple[str, str], list[Any]] = {key: [] for key in self._seen}

    def check(self, name: str, table: pa.Table) -> list[Violation]:
        """The violations of one chunk of table `name` (recorded too); duplicates are reported by finish()."""
        found = [v for v in validate(table, self.schemas[name]) if v.rule != "unique"]
        self.note_unique(name, table)
        self.violations.extend(found)
        return found

    def unique_columns(self, name: str) -> list[str]:
        """The columns of table `name` whose values must be unique across all chunks."""
        return [column for table_name, column in self._seen if table_name == name]

    def note_unique(self, name: str, table: pa.Table) -> None:
        """Count the unique columns' values of rows known to be valid otherwise (a reused part's)."""
        for (table_name, column), seen in self._seen.items():
            if table_name != name or column not in table.column_names:
                continue
            for value in table.column(column).drop_null().to_pylist():
                if value in seen:
                    self._duplicates[(table_name, column)].append(value)
                seen.add(value)

    def finish(self) -> list[Violation]:
        """Every violation found, duplicates across all chunks included."""
        for (table_name, column), values in self._duplicates.items():
            if values:
                examples = ", ".join(repr(v) for v in values[:3])
                self.violations.append(Violation(table_name, column, "unique", f"duplicated: {examples}"))
        return self.violations


def _check_constraints(table: str, spec: ColumnSpec, column: pa.ChunkedArray) -> list[Violation]:
    """Value constraints of one column."""
    found: list[Violation] = []
    rules = spec.constraints
    values = column.drop_null()
    if rules.get("unique") and len(values):
        counts = pc.value_counts(values)
        duplicated = counts.filter(pc.greater(counts.field("counts"), 1)).field("values")
        if len(duplicated):
            found.append(Violation(table, spec.name, "unique", f"duplicated: {_examples(duplicated)}"))
    if rules.get("non_empty") and len(values):
        blank = values.filter(pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(values)), 0))
        if len(blank):
            found.append(Violation(table, spec.name, "non_empty", f"{len(blank)} empty values"))
    if (pattern := rules.get("pattern")) and len(values):
        bad = values.filter(pc.invert(pc.match_substring_regex(values, f"^(?:{pattern})$")))
        if len(bad):
            found.append(Violation(table, spec.name, "pattern", f"not matching {pattern}: {_examples(bad)}"))
    if "min" in rules and len(values):
        bad = values.filter(pc.less(values, rules["min"]))
        if len(bad):
            found.append(Violation(table, spec.name, "min", f"below {rules['min']}: {_examples(bad)}"))
    if "max" in rules and len(values):
        bad = values.filter(pc.greater(values, rules["max"]))
        if len(bad):
            found.append(Violation(table, spec.name, "max", f"above {rules['max']}: {_examples(bad)}"))
    if (allowed := rules.get("allowed")) is not None and len(values):
        bad = values.filter(pc.invert(pc.is_in(values, value_set=pa.array(allowed, type=values.type))))
        if len(bad):
            found.append(Violation(table, spec.name, "allowed", f"not in {allowed}: {_examples(bad)}"))
    return found
