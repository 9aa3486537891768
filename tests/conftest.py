"""Shared fixtures: the repository's seeds and the gold expectations for them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# HYPOTHESIS_PROFILE=stress: twenty times the default examples for the property tests that scale with
# the profile (tests/reliability/test_fuzz.py), for a long run before a release or overnight.
settings.register_profile("stress", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
# A copy of ../shared/gold/seeds.json, so a clone without shared/ beside it still tests;
# tests/test_layout.py checks that the copy equals the shared file wherever that is present.
GOLD_FILE = REPO / "tests" / "gold" / "seeds.json"


# The assets of the graph, in order; tests at every layer check they are all there.
ASSET_NAMES = (
    "raw_documents",
    "parsed_documents",
    "repeated_lines",
    "clean_documents",
    "sections",
    "language_tags",
    "duplicates",
    "curated_dataset",
)


def load_gold() -> list[dict[str, Any]]:
    """The gold entries, one per sample document."""
    return list(json.loads(GOLD_FILE.read_text(encoding="utf-8"))["documents"])


def raw_row(path: Path) -> dict[str, Any]:
    """The raw row the ingest stage lists for a file (what parse_step takes), read from `path`."""
    from pipeline.datasets.steps import raw_row as row_of

    return row_of(path.read_bytes(), path.name)


def normalise_ws(text: str) -> str:
    """Collapse runs of whitespace, as the gold file's snippet matching asks."""
    return " ".join(text.split())


@pytest.fixture(scope="session")
def gold() -> list[dict[str, Any]]:
    """The gold entries, one per sample document."""
    return load_gold()


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The repository's seeds folder."""
    return SEEDS
