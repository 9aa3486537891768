"""bench/eval_boilerplate.py's page-by-page comparison with an earlier run (`--save-kept`, `--against`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import eval_boilerplate
from bench.boilerplate_data import Page
from bench.eval_boilerplate import page_changes, wrong_lines


def page(page_id: str, labels: list[int]) -> Page:
    """A labelled page of short lines (one blank line, which no score counts)."""
    lines = [f"line {i} of {page_id}" if i != 2 else "" for i in range(len(labels))]
    return Page(page_id, "line-labels", "dev", "en", lines, labels)


def test_wrong_lines_are_kept_noise_and_removed_content_on_non_blank_lines() -> None:
    p = page("a", [1, 0, 0, 1, 0])
    assert wrong_lines(p, [True, True, False, False, False]) == 2  # line 1 kept noise, line 3 removed
    assert wrong_lines(p, [True, False, True, True, False]) == 0  # line 2 is blank: never wrong


def test_pages_are_counted_better_worse_or_level_against_the_earlier_run() -> None:
    pages = [page("a", [1, 0, 0, 1, 0]), page("b", [1, 1, 0, 0, 0]), page("c", [0, 0, 0, 1, 1])]
    kept = [[True, False, False, True, False], [True, True, False, True, True], [False] * 5]
    before = {"a": "11111", "b": "11000", "c": "00000", "gone": "1"}
    moved = page_changes(pages, kept, before)
    # a: 2 wrong -> 0; b: 0 -> 2; c: 2 -> 2.
    assert moved == {
        "compared": 3,
        "better": 1,
        "worse": 1,
        "net_wrong_lines": 0,
        "most_better": [["a", -2]],
        "most_worse": [["b", 2]],
    }
    # A page whose line count changed is another version of it: left out.
    assert page_changes(pages[:1], kept[:1], {"a": "111"})["compared"] == 0


def test_save_kept_and_against_round_trip_through_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pages = [page("a", [1, 0, 0, 1, 0]), page("b", [1, 1, 0, 0, 0])]
    monkeypatch.setattr(eval_boilerplate, "require_dev_data", lambda: None)
    monkeypatch.setattr(eval_boilerplate, "load_pages", lambda: pages)
    monkeypatch.setattr(eval_boilerplate, "select", lambda chosen, name: chosen)

    def against(path: Path) -> dict[str, object]:
        """The command's comparison with a saved run, from its JSON line."""
        assert eval_boilerplate.main(["--sets", "ll-dev", "--against", str(path)]) == 0
        moved: dict[str, object] = json.loads(capsys.readouterr().out.splitlines()[-1])["ll-dev"]["against"]
        return moved

    saved = tmp_path / "kept.json"
    assert eval_boilerplate.main(["--sets", "ll-dev", "--save-kept", str(saved)]) == 0
    capsys.readouterr()
    kept = json.loads(saved.read_text())
    assert sorted(kept) == ["a", "b"] and all(set(v) <= {"0", "1"} and len(v) == 5 for v in kept.values())
    level = against(saved)
    assert (level["compared"], level["better"], level["worse"], level["net_wrong_lines"]) == (2, 0, 0, 0)
    # Page a's earlier run kept exactly the lines this one removes: each non-blank line flips.
    now = wrong_lines(pages[0], [c == "1" for c in kept["a"]])
    saved.write_text(json.dumps({**kept, "a": "".join("1" if c == "0" else "0" for c in kept["a"])}))
    assert against(saved)["net_wrong_lines"] == now - (4 - now)
