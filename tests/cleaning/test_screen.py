"""The RE2 screen over the rules (screen.py): its rewrite of Python patterns, and that screened rule matching
gives exactly the answers of the plain dispatch on real lines, odd characters and the user's own rules."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
import re2

from pipeline.cleaning.boilerplate import default_rules
from pipeline.cleaning.boilerplate.classify import _Compiled, _compiled, line_core, match_rule
from pipeline.cleaning.boilerplate.rules import BUILTIN_RULES, Rule, RuleSet
from pipeline.cleaning.boilerplate.screen import NARROWER, WIDER, build_screen, fold_guard, to_re2
from tests.conftest import REPO, SEEDS

DEV_DATA = REPO.parent / "shared" / "dev-data"


def unscreened(comp: _Compiled) -> _Compiled:
    """The same compiled rules without the screen: match_rule takes the first-character dispatch."""
    return replace(comp, screen=None, seen_lines={}, dispatch={})


def agree(lines: list[str], rules: RuleSet, language: str | None) -> list[tuple[str, str | None, str | None]]:
    """The lines on which the screened and the plain rule matching disagree, with both answers."""
    comp = _compiled(rules, language)
    assert comp.screen is not None
    plain = unscreened(comp)
    out = []
    for line in lines:
        core = line_core(line)
        a, b = match_rule(core, comp), match_rule(core, plain)
        if a is not b:
            out.append((core, a.name if a else None, b.name if b else None))
    return out


def test_rewrite_keeps_what_python_matches_and_refuses_what_re2_lacks() -> None:
    """Classes widen to "any non-ASCII character" (narrow inside [^...]), word boundaries go, {,n} gets
    its 0; lookarounds, back references, possessive quantifiers and verbose mode are refused."""
    assert to_re2(r"^\w+$") == "^[" + WIDER["w"] + "]+$"
    assert to_re2(r"^[^\W\d_]") == "^[^" + NARROWER["W"] + NARROWER["d"] + "_]"
    assert to_re2(r"\bshare\b") == "share"
    assert to_re2(r"^x{,3}$") == "^x{0,3}$"
    assert to_re2("^a\\u00a0b\\Z") == "^a\\x{00a0}b\\z"
    assert to_re2(r"^[[:]x") == r"^[\[:]x"
    assert to_re2(r"^[\[(]x\.\ y") == r"^[\x{5B}(]x\x{2E}\x{20}y"  # the class closes after an escaped [
    assert to_re2(r"^[]a]") == r"^[\]a]"
    assert to_re2("^share", re.IGNORECASE) == "(?i)^share"
    for refused in (r"^foo(?=bar)", r"^(?<!x)y", r"^(a)\1", r"^a++", r"^(?>ab)", r"^(?P=n)"):
        assert to_re2(refused) is None, refused
    assert to_re2("^a b", re.VERBOSE) is None


@pytest.mark.parametrize("name", "wdsWDS")
def test_class_stand_ins_are_wider_and_narrower_than_python_s(name: str) -> None:
    """Over every character: the wide stand-in of a class accepts all Python's class accepts, the narrow
    one nothing it rejects."""
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    python = set(re.findall(rf"\{name}", every))
    assert python <= set(re2.findall(f"[{WIDER[name]}]", every))
    assert set(re2.findall(f"[{NARROWER[name]}]", every)) <= python


def test_case_folding_differences_are_guarded() -> None:
    """Every character that Python's case-insensitive matching pairs with a rule letter where RE2's does
    not is in the guard, so a line holding one is never screened."""
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    letters = {c for rule in BUILTIN_RULES for c in rule.pattern if c.isalpha()}
    guard = fold_guard()
    for letter in sorted(letters):
        python = set(re.findall(re.escape(letter), every, re.IGNORECASE))
        ours = set(re2.findall("(?i)" + re.escape(letter), every))
        assert python - ours <= guard, (letter, python - ours)


TRICKY = [
    "ſhare this article",  # Python folds ſ to s; RE2 does not
    "SHARE ON FACEBOOK",
    "İmpressum",
    "Straße | Impressum | Datenschutz",
    "Read more »",
    "Foto: dpa",
    "\udcff broken",  # a lone surrogate: not UTF-8, never screened
    "",
    "x" * 400,
]


@pytest.mark.parametrize("language", [None, "en", "de", "fr", "sv"])
def test_screened_matching_agrees_with_the_dispatch_on_the_samples(language: str | None) -> None:
    """On the samples' lines and odd ones, the screen changes no rule decision."""
    lines = [line for path in sorted(SEEDS.iterdir()) for line in path.read_text("utf-8").split("\n")]
    assert agree(lines + TRICKY, default_rules(), language) == []


@pytest.mark.skipif(not DEV_DATA.is_dir(), reason="needs ../shared/dev-data")
@pytest.mark.parametrize("language", [None, "de"])
def test_screened_matching_agrees_on_every_dev_data_line(language: str | None) -> None:
    """Every distinct line of the labelled dev data (about 160k): the same rule, or none, either way."""
    lines: set[str] = set()
    for folder in (DEV_DATA / "text-dumps" / "docs", DEV_DATA / "line-labels" / "docs"):
        for path in folder.iterdir():
            lines.update(path.read_text("utf-8", "replace").split("\n"))
    assert len(lines) > 100_000
    assert agree(sorted(lines), default_rules(), language) == []


def test_rules_re2_cannot_express_are_still_tried() -> None:
    """A user rule with a lookahead stays out of the sets and is tried on every line, in its order; one with
    keywords is screened by them whatever its pattern."""
    lookahead = Rule("our_teaser", "promo", r"^teaser(?=:)", "a user's own widget", max_chars=80)
    floating = Rule("our_floating", "promo", r"(?<!no )sponsored by", "floating", keywords=("sponsored",))
    rules = RuleSet(rules=(lookahead, floating, *BUILTIN_RULES))
    comp = _compiled(rules, None)
    assert comp.screen is not None and comp.screen.unscreened == (0,)  # the other is screened by keyword
    assert match_rule("teaser: ten things", comp) is lookahead
    assert match_rule("teaser ten things", comp) is not lookahead
    assert match_rule("this page is sponsored by acme", comp) is floating
    assert match_rule("this page is no sponsored by acme", comp) is not floating
    assert agree(["teaser: x", "Share on Facebook", "sponsored by x"], rules, None) == []


def test_no_screen_without_a_screenable_rule() -> None:
    """A rule set RE2 can express none of runs unscreened."""
    assert build_screen([(0, re.compile(r"^(a)\1"), ())]) is None


def test_the_screen_rules_out_a_catastrophic_user_pattern_it_can_express() -> None:
    """RE2 runs in linear time: a nested-quantifier rule that would backtrack for hours on a line of a's
    ending in b is never handed to Python's re for that line, and still matches a line of a's."""
    runaway = Rule("runaway", "legal", r"^(a+)+$", "nested quantifiers")
    comp = _compiled(RuleSet(rules=(runaway, *BUILTIN_RULES)), None)
    assert comp.screen is not None
    candidates = comp.screen.candidates("a" * 40 + "b")
    assert candidates is not None and 0 not in candidates
    assert match_rule("a" * 40 + "b", comp) is None
    assert match_rule("a" * 40, comp) is runaway
