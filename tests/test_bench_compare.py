"""Smoke test of bench/compare.py's webcurate side (datatrove is a bench-only extra, absent in CI)."""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from bench import compare

N_DOCS = 20


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("compare") / "corpus"
    # The samples corpus: it needs no dev data (tests/test_make_corpus.py covers the real one).
    assert compare.write_text_corpus(root, N_DOCS, source="samples") > 0
    return root


def test_text_corpus_is_plain_files(corpus: Path) -> None:
    files = compare.corpus_files(corpus)
    assert len(files) == N_DOCS
    assert {Path(name).suffix for name in files} <= {".txt", ".md"}  # html_share=0: no HTML pages


def test_run_webcurate_writes_one_row_per_kept_document(corpus: Path, tmp_path: Path) -> None:
    result = compare.run_webcurate(corpus, tmp_path / "out", workers=2)

    assert result["side"] == "webcurate"
    assert result["docs"] == N_DOCS
    assert result["kept"] + result["skipped"] == N_DOCS
    assert result["kept"] > 0
    assert result["bytes"] == compare.corpus_bytes(corpus) > 0
    assert 0 < result["seconds"] < 60
    assert result["docs_per_s"] > 0 and result["mb_per_s"] > 0
    assert result["self_maxrss_mb"] > 0 and result["children_maxrss_mb"] > 0  # engine workers were reaped

    table = pq.read_table(result["output"])
    assert table.num_rows == result["kept"]
    rows = table.to_pylist()
    assert len({row["doc_id"] for row in rows}) == len(rows)
    assert {row["source_path"] for row in rows} <= set(compare.corpus_files(corpus))
    sections = pq.read_table(Path(result["output"]).parent / "sections").to_pylist()
    for row in rows:
        assert row["text"].strip()
        assert row["format"] in {"text", "markdown"}
        assert row["language"] in {"en", "de", "und"}
        own = [s for s in sections if s["doc_id"] == row["doc_id"]]
        assert len(own) == row["n_sections"] >= 1, row["source_path"]
        assert own[-1]["char_end"] == len(row["text"])  # sections tile the clean text


def test_datatrove_side_says_what_is_missing(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m == "datatrove" or m.startswith("datatrove.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "datatrove", None)  # as if not installed
    with pytest.raises(ImportError, match="bench-only extra"):
        compare.run_datatrove(corpus, tmp_path / "datatrove")
