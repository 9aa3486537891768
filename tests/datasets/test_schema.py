"""Schemas as data: type strings, schema files, and validation."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from pipeline.datasets.schema import SchemaError, load_schema, parse_type, read_schema, validate
from tests.conftest import REPO

SCHEMAS = REPO / "schemas"


@pytest.mark.parametrize(
    "arrow_type",
    [
        pa.string(),
        pa.int64(),
        pa.float64(),
        pa.bool_(),
        pa.date32(),
        pa.timestamp("us", tz="UTC"),
        pa.list_(pa.string()),
        pa.map_(pa.string(), pa.string()),
        pa.list_(pa.struct([("language", pa.string()), ("share", pa.float64())])),
        pa.struct([("a", pa.int8()), ("b", pa.list_(pa.struct([("c", pa.string())])))]),
    ],
)
def test_types_round_trip_through_their_printed_form(arrow_type: pa.DataType) -> None:
    assert parse_type(str(arrow_type)) == arrow_type


def test_unknown_type_is_an_error() -> None:
    with pytest.raises(SchemaError, match="unknown Arrow type"):
        parse_type("decimal<9>")


def test_every_schema_file_reads_and_builds_an_explicit_arrow_schema() -> None:
    files = sorted(SCHEMAS.glob("*.v*.json"))
    assert files
    for path in files:
        schema = read_schema(path)
        assert schema.file_name == path.name
        assert schema.arrow.names == [c.name for c in schema.columns]
        assert all(c.description for c in schema.columns), path.name


def documents_schema_table(rows: list[dict[str, object]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=load_schema(SCHEMAS, "documents").arrow)


def good_row(**changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "doc_id": "0123456789abcdef",
        "source_path": "a.txt",
        "sha256": "0" * 64,
        "size_bytes": 10,
        "format": "text",
        "metadata_format": None,
        "encoding": "utf-8",
        "repairs": [],
        "tags": [],
        "extra": [],
        "links": [],
        "text": "Some text.",
        "n_chars": 10,
        "n_words": 2,
        "n_sections": 1,
        "n_removed": 0,
        "removed_chars": 0,
        "language": "en",
        "language_score": 0.9,
        "languages": [{"language": "en", "share": 1.0}],
        "needs_translation": False,
    }
    row.update(changes)
    return row


def test_a_valid_table_has_no_violations() -> None:
    schema = load_schema(SCHEMAS, "documents")
    assert validate(documents_schema_table([good_row()]), schema) == []


def test_every_kind_of_violation_is_reported() -> None:
    schema = load_schema(SCHEMAS, "documents")
    table = documents_schema_table(
        [
            good_row(),
            good_row(
                source_path="b.txt", text="   ", format="pdf", size_bytes=0, sha256="xyz", encoding=None
            ),
        ]
    )
    found = {(v.column, v.rule) for v in validate(table, schema)}
    assert found == {
        ("doc_id", "unique"),
        ("text", "non_empty"),
        ("format", "allowed"),
        ("size_bytes", "min"),
        ("sha256", "pattern"),
        ("encoding", "not_null"),
    }


def test_missing_columns_and_wrong_types_are_reported() -> None:
    schema = load_schema(SCHEMAS, "documents")
    table = documents_schema_table([good_row()]).drop_columns(["n_words"])
    table = table.set_column(table.schema.get_field_index("n_chars"), "n_chars", pa.array(["ten"]))
    found = {(v.column, v.rule) for v in validate(table, schema)}
    assert (None, "columns") in found and ("n_chars", "type") in found


def test_load_schema_picks_the_newest_major_version(tmp_path: Path) -> None:
    for version in (1, 2):
        spec = {
            "table": "t",
            "version": version,
            "columns": [{"name": "a", "type": "int64", "description": "a"}],
        }
        (tmp_path / f"t.v{version}.json").write_text(json.dumps(spec))
    assert load_schema(tmp_path, "t").version == 2
    assert load_schema(tmp_path, "t", 1).version == 1
    with pytest.raises(SchemaError, match="no schema"):
        load_schema(tmp_path, "other")
