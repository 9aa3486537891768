"""`webcurate explain FILE` through the real CLI: every line of the parsed body with its decision."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, SEEDS, load_gold, normalise_ws
from tests.e2e.conftest import BIN, run_cli

pytestmark = pytest.mark.e2e

# `  12 drop also_read (related)  │ Also Read: …` and `   3 keep   │ In an unexpected …`
LINE = re.compile(r"^\s*(?P<number>\d+) (?P<decision>keep|drop) (?P<reason>.*?)\s*│ (?P<text>.*)$")
REASON = re.compile(r"^(?P<rule>\S+) \((?P<group>[^)]+)\)( score (?P<score>[0-9.]+))?$")
SECTION = re.compile(r"── section (?P<index>\d+): (?P<heading>.*) · level \d+ · (?P<language>\w+)")


def explain(path: Path, tmp_path: Path, **env: str) -> str:
    """The CLI's output for one file, with no earlier run's stages (and so no corpus-repeated lines)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("WEBCURATE_") and k != "DAGSTER_HOME"}
    result = run_cli([str(BIN / "webcurate"), "explain", str(path)], {**base, **env}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "\x1b[" not in result.stdout  # not a terminal: plain text
    return result.stdout


def parse(output: str) -> list[dict[str, Any]]:
    """The body lines of an explanation, each with its decision and reason."""
    return [m.groupdict() for line in output.splitlines() if (m := LINE.match(line))]


def lines_holding(snippet: str, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The shortest run of consecutive non-blank lines whose text holds the snippet (spaces normalised)."""
    wanted = normalise_ws(snippet)
    texts = [line for line in lines if line["text"].strip()]
    for size in (1, 2, 3, 4):
        for start in range(len(texts) - size + 1):
            window = texts[start : start + size]
            if wanted in normalise_ws(" ".join(line["text"] for line in window)):
                return window
    return []


@pytest.mark.parametrize("entry", load_gold(), ids=lambda e: e["file"])
def test_explain_marks_the_golds_drops_as_dropped_by_a_rule_and_its_keeps_as_kept(
    entry: dict[str, Any], tmp_path: Path
) -> None:
    output = explain(SEEDS / entry["file"], tmp_path)
    lines = parse(output)
    assert lines, output[:2000]
    numbers = [int(line["number"]) for line in lines]
    assert numbers == sorted(set(numbers))  # each line once, in order (blank ones carry no decision)
    body = normalise_ws(" ".join(line["text"] for line in lines))
    for snippet in entry["must_drop"]:
        found = lines_holding(snippet, lines)
        if not found:  # markup, front matter or header lines: parsing took it out of the body already
            assert normalise_ws(snippet) not in body
            continue
        for line in found:
            assert line["decision"] == "drop", f"{snippet!r}: line {line['number']} is kept"
            assert REASON.match(line["reason"]), f"line {line['number']}: no rule in {line['reason']!r}"
    for snippet in entry["must_keep"]:
        found = lines_holding(snippet, lines)
        assert found, f"{snippet!r} is on no line of the explanation"
        assert all(line["decision"] == "keep" for line in found), f"{snippet!r} is dropped"
    sections = [m.groupdict() for m in map(SECTION.search, output.splitlines()) if m]
    assert sections and sections[0]["index"] == "0"
    headings = [s["heading"].strip('"') for s in sections]
    for heading in entry.get("headings", []):
        assert heading in headings
    assert {s["language"] for s in sections} >= {entry["language"]}


def test_a_users_rule_shows_its_effect_at_once(tmp_path: Path) -> None:
    seed = SEEDS / load_gold()[0]["file"]
    kept_line = "Jassy has big shoes to fill."
    before = lines_holding(kept_line, parse(explain(seed, tmp_path)))
    assert [line["decision"] for line in before] == ["keep"]
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        'rules:\n  - name: big_shoes\n    group: cliches\n    phrase: "big shoes to fill"\n    why: test\n'
    )
    after = lines_holding(kept_line, parse(explain(seed, tmp_path, WEBCURATE_RULES_FILE=str(rules))))
    assert [(line["decision"], line["reason"]) for line in after] == [("drop", "big_shoes (cliches)")]
    assert f"rules: built-in + {rules}" in explain(seed, tmp_path, WEBCURATE_RULES_FILE=str(rules))


def test_a_bad_rules_file_or_a_missing_file_is_one_line_on_stderr(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - name: x\n    phrase: [unclosed\n")
    env = {**os.environ, "WEBCURATE_RULES_FILE": str(rules)}
    result = run_cli([str(BIN / "webcurate"), "explain", str(SEEDS / load_gold()[0]["file"])], env, REPO)
    assert result.returncode == 1 and "rules.yaml:" in result.stderr and len(result.stderr.splitlines()) == 1
    missing = run_cli([str(BIN / "webcurate"), "explain", str(tmp_path / "nope.txt")], env, REPO)
    assert missing.returncode == 2 and "nope.txt" in missing.stderr
