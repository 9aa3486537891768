"""bench/make_corpus.py's real-text corpus: drawn from ../shared/dev-data, each unique, 2% mojibake."""

from __future__ import annotations

import re
from pathlib import Path

import ftfy.bad_codecs  # noqa: F401 - registers "sloppy-windows-1252", to undo the corpus's mojibake
import pytest

from bench.common import DEV_DATA
from bench.make_corpus import generate_real, write_corpus

FOLDERS = ("text-dumps", "line-labels")
N_DOCS = 50
ID_LINE = re.compile(r"^Article ID: (\d{6})$", re.MULTILINE)

pytestmark = pytest.mark.skipif(
    not all((DEV_DATA / folder / "docs").is_dir() for folder in FOLDERS),
    reason=f"the real corpus draws from {DEV_DATA}/{{text-dumps,line-labels}}/docs: not beside the checkout",
)


@pytest.fixture(scope="module")
def dev_texts() -> set[str]:
    """Every document text of the two dev-data folders, read here independently of make_corpus."""
    return {
        path.read_text(encoding="utf-8")
        for folder in FOLDERS
        for path in (DEV_DATA / folder / "docs").glob("*.txt")
    }


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("real") / "corpus"
    assert write_corpus(root, N_DOCS, "real") > 0
    return root


def origin(text: str, index: int, dev_texts: set[str]) -> str | None:
    """How a corpus text was made from a dev-data text: "clean" or the mojibake codec; None if from none."""
    ids = ID_LINE.findall(text)
    assert ids == [f"{index:06d}"], f"document {index}: id lines {ids}"
    lines = text.split("\n")
    at = lines.index(f"Article ID: {index:06d}")
    assert at in (1, len(lines) - 2), f"document {index}: id line at line {at} of {len(lines)}"
    body = "\n".join(lines[:at] + lines[at + 1 :])
    if body in dev_texts:
        return "clean"
    for codec in ("sloppy-windows-1252", "latin-1"):
        try:
            if body.encode(codec).decode("utf-8") in dev_texts:
                return codec
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return None


def test_real_corpus_files_folders_and_uniqueness(corpus: Path) -> None:
    files = sorted(p for p in corpus.rglob("*") if p.is_file())
    assert [p.relative_to(corpus).as_posix() for p in files] == [f"000/{i:06d}.txt" for i in range(N_DOCS)]
    assert len({p.read_bytes() for p in files}) == N_DOCS  # no two byte-identical


def test_real_corpus_text_comes_from_dev_data_with_two_percent_mojibake(
    corpus: Path, dev_texts: set[str]
) -> None:
    kinds = [
        origin(p.read_bytes().decode("utf-8"), i, dev_texts)
        for i, p in enumerate(sorted(corpus.rglob("*.txt")))
    ]
    assert None not in kinds, (
        f"documents not from the dev data: {[i for i, k in enumerate(kinds) if k is None]}"
    )
    assert sum(kind != "clean" for kind in kinds) == round(0.02 * N_DOCS)


def test_real_corpus_is_deterministic_and_spread_over_folders_of_1000(dev_texts: set[str]) -> None:
    first = list(generate_real(1001, mojibake=0.1))
    assert first == list(generate_real(1001, mojibake=0.1))
    assert [d.name for d in first[999:]] == ["000/000999.txt", "001/001000.txt"]
    broken = [d for d in first if d.mojibake]
    assert len(broken) == 100
    assert {d.mojibake for d in broken} == {"sloppy-windows-1252", "latin-1"}
    for doc in broken[:10]:
        assert origin(doc.data.decode("utf-8"), int(doc.name[4:10]), dev_texts) == doc.mojibake
    assert first != list(generate_real(1001, seed=8, mojibake=0.1))
