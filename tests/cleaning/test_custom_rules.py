"""User rules from a YAML file: the happy path, merging over the built-ins, and malformed files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.cleaning.boilerplate import (
    RulesFileError,
    default_rules,
    load_rules_file,
    parse_rules,
    remove_boilerplate,
)

ARTICLE = (
    "The harbour authority opened the new ferry terminal on Friday, two years after the old one was "
    "damaged by a storm that flooded most of the waterfront."
)
CLOSING = "Ferries to the islands will leave every hour from the new pier, the authority said in a statement."

GOOD = """\
# Site rules for acme.example
rules:
  - name: acme_more_from
    group: related
    phrase: "More from ACME"
    match: start
    why: ACME's teaser heading above its own headlines
    kind: opener
  - name: acme_footer
    group: legal
    pattern: 'ACME Media (?:GmbH|Ltd)\\b'
    why: ACME's company footer line
    max_chars: 120
    keywords: [acme media]
  - name: acme_promo
    group: acme_promos
    phrase: harbour pass
    why: ACME sells a harbour pass in a box in every article
    languages: [en]
disable: [nav_word]
"""


def write(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    """Write a rules file into the test's temporary folder."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_user_rules_remove_site_specific_lines(tmp_path: Path) -> None:
    """Phrase and pattern rules remove their lines under their names and groups; the article stays."""
    rules = load_rules_file(write(tmp_path, GOOD))
    text = (
        f"{ARTICLE}\n\nMore from ACME\n\nStorm season starts early\nThe best beaches of the coast\n\n"
        f"Buy the Harbour Pass and save 20 percent\n\n{CLOSING}\n\nACME Media GmbH, Hamburg"
    )
    result = remove_boilerplate(text, language="en", rules=rules)
    assert result.text == f"{ARTICLE}\n\n{CLOSING}"
    by_rule = {s.rule: s.rule_group for s in result.removed}
    assert by_rule == {"acme_more_from": "related", "acme_promo": "acme_promos", "acme_footer": "legal"}
    # The opener took the headline lines under it.
    opener = [s.text for s in result.removed if s.rule == "acme_more_from"]
    assert any("The best beaches of the coast" in text for text in opener)


def test_user_rules_are_merged_over_the_builtins(tmp_path: Path) -> None:
    """Built-ins stay active (except disabled ones), user rules come first, sources are recorded."""
    path = write(tmp_path, GOOD)
    rules = load_rules_file(path)
    names = rules.names()
    assert names[:3] == ["acme_more_from", "acme_footer", "acme_promo"]
    assert "nav_word" not in names
    assert len(names) == len(default_rules().rules) + 3 - 1
    assert rules.sources == ("builtin", str(path))
    text = f"{ARTICLE}\n\nShare on Facebook\n\nHome\n\n{CLOSING}"
    result = remove_boilerplate(text, rules=rules)
    assert [s.rule for s in result.removed] == ["share_widget"]  # built-in still on, 'Home' kept
    assert "Home" in result.text


def test_user_rule_replaces_a_builtin_of_the_same_name(tmp_path: Path) -> None:
    """A user rule named like a built-in replaces it (here: a narrower copyright rule)."""
    rules = load_rules_file(
        write(
            tmp_path,
            "rules:\n  - name: copyright\n    group: legal\n    pattern: '^Copyright ACME'\n"
            "    why: only our own copyright line\n",
        )
    )
    assert rules.names().count("copyright") == 1
    result = remove_boilerplate(f"{ARTICLE}\n\n© 2024 Other Corp\n\nCopyright ACME 2024", rules=rules)
    # The built-in rule no longer takes the other line (the model may still judge it a footer: score set).
    assert [s.text for s in result.removed if s.rule == "copyright"] == ["Copyright ACME 2024"]
    other = [s for s in result.removed if s.text == "© 2024 Other Corp"]
    assert all(s.rule == "model" and s.score is not None for s in other)


@pytest.mark.parametrize(
    ("match", "line", "removed"),
    [
        ("contains", "Today: the harbour pass is half price", True),
        ("contains", "The harbourpass is half price", False),  # whole words only
        ("start", "Harbour pass: half price", True),
        ("start", "Today: the harbour pass is half price", False),
        ("line", "Harbour Pass", True),
        ("line", "Harbour pass sale", False),
    ],
)
def test_phrase_match_modes(match: str, line: str, removed: bool) -> None:
    """`contains` finds whole words anywhere, `start` at the line start, `line` the whole line."""
    rules = parse_rules(
        f"rules:\n  - name: pass_promo\n    group: ads\n    phrase: harbour pass\n    match: {match}\n"
        "    why: the pass box\n"
    )
    result = remove_boilerplate(f"{ARTICLE}\n\n{line}\n\n{CLOSING}", rules=rules)
    assert (line not in result.text) is removed


def test_empty_rules_file_gives_the_builtins(tmp_path: Path) -> None:
    """An empty file (or only comments) adds nothing."""
    rules = load_rules_file(write(tmp_path, "# nothing yet\n"))
    assert rules.names() == default_rules().names()


# --- malformed files: a clear error naming the file and the line ---------------------------------

# A valid rule's lines; cases below add or change one line (the rule starts on line 2).
RULE = "rules:\n  - name: a\n    group: g\n    why: w\n    phrase: x\n"

MALFORMED: list[tuple[str, str, int, str]] = [
    ("syntax", "rules:\n  - name: a\n    group: b\n   why: [unclosed\n", 4, "invalid YAML"),
    ("tabs", "rules:\n\t- name: a\n", 2, "invalid YAML"),
    ("top_level_list", "- name: a\n", 1, "top level must be a mapping"),
    ("unknown_top_key", "rules: []\nrulez: []\n", 2, "unknown top-level key 'rulez'"),
    ("rules_not_list", "rules:\n  name: a\n", 2, "'rules' must be a list"),
    ("rule_not_mapping", "rules:\n  - just a string\n", 2, "each rule must be a mapping"),
    ("missing_why", RULE.replace("    why: w\n", "") + "  - name: b\n    group: g\n", 2, "missing 'why'"),
    ("unknown_key", RULE + "    colour: red\n", 6, "colour"),
    ("bad_regex", RULE.replace("phrase: x", "pattern: '(unclosed'"), 5, "regular expr"),
    ("both_phrase_and_pattern", RULE + "    pattern: y\n", 2, "exactly one of"),
    ("bad_kind", RULE + "    kind: box\n", 6, "kind"),
    ("bad_name", RULE.replace("name: a", "name: Bad Name"), 2, "[a-z0-9_]+"),
    ("bad_max_chars", RULE + "    max_chars: -3\n", 6, "max_chars"),
    ("duplicate_name", RULE + RULE.removeprefix("rules:\n"), 6, "defined twice (first at line 2)"),
    ("unknown_disable", "disable: [no_such_rule]\n", 1, "unknown rule 'no_such_rule'"),
    ("empty_why", RULE.replace("why: w", "why: ''"), 4, "'why' must say"),
    ("list_as_name", RULE.replace("name: a", "name: [a, b]"), 2, "single value"),
    ("empty_keyword", RULE + "    keywords: ['', x]\n", 6, "empty keyword"),
]


@pytest.mark.parametrize(("case", "text", "line", "message"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_file_names_file_and_line(
    tmp_path: Path, case: str, text: str, line: int, message: str
) -> None:
    """Every problem raises RulesFileError whose message starts with 'file:line:' and says what is wrong."""
    path = write(tmp_path, text, f"{case}.yaml")
    with pytest.raises(RulesFileError) as info:
        load_rules_file(path)
    error = info.value
    assert str(error).startswith(f"{path}:{line}: "), str(error)
    assert message in str(error)
    assert error.line == line and error.source == str(path)


def test_missing_file_is_a_rules_file_error(tmp_path: Path) -> None:
    """A path that does not exist is reported as a RulesFileError naming it."""
    path = tmp_path / "nope.yaml"
    with pytest.raises(RulesFileError, match=re.escape(str(path))):
        load_rules_file(path)


def test_non_utf8_file_names_the_line(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are reported with their line."""
    path = tmp_path / "latin1.yaml"
    path.write_bytes("rules:\n  - name: a\n    why: Größe\n".encode("latin-1"))
    with pytest.raises(RulesFileError, match=re.escape(f"{path}:3: ")):
        load_rules_file(path)


def test_rules_file_error_is_a_value_error() -> None:
    """Callers catching ValueError still see bad rules files."""
    assert issubclass(RulesFileError, ValueError)


def test_an_uncertain_user_rule_is_evidence_for_the_model(tmp_path: Path) -> None:
    """`certain: false` leaves the decision to the model: a matched article sentence stays."""
    sentence = "The harbour board agreed on Monday that the ferry will call at the island twice a day."
    text = f"{ARTICLE}\n\n{sentence}"
    for certain, removed in (("true", True), ("false", False)):
        rules = load_rules_file(
            write(
                tmp_path,
                f"rules:\n  - name: ferry\n    group: related\n    phrase: ferry will call\n"
                f"    why: a test\n    certain: {certain}\n",
            )
        )
        assert rules.rules[0].certain is (certain == "true")
        result = remove_boilerplate(text, rules=rules)
        assert (sentence not in result.text) is removed, certain
