"""Quality signals on hand-made texts with hand-computed values, thresholds, and the settings file."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.cleaning.quality import (
    GOPHER_THRESHOLDS,
    SIGNAL_NAMES,
    SIGNALS,
    THRESHOLD_KEYS,
    QualitySignals,
    QualityThresholds,
    ThresholdsFileError,
    _duplicate_ngram_chars,
    _spaced_words,
    card_section,
    failed_thresholds,
    load_thresholds,
    parse_thresholds,
    quality_signals,
    schema_entries,
    words_of,
)

WORD = re.compile(r"[^\W_]+")  # the boilerplate classifier's words, which words_of must equal
BLOCKS = (range(0x3040), range(0xFE00, 0xFE10), range(0xFE30, 0xFE50), range(0xFF00, 0xFF66))


# --- words ---------------------------------------------------------------------------------------


def test_words_are_runs_of_letters_and_digits_lowercased() -> None:
    assert words_of("E-mail, don't STOP: 3.5 km — über_all!") == [
        "e",
        "mail",
        "don",
        "t",
        "stop",
        "3",
        "5",
        "km",
        "über",
        "all",
    ]


def test_words_equal_the_classifier_regex_for_every_character_of_the_blocks() -> None:
    text = "".join(f"a{chr(code)}b " for block in BLOCKS for code in block)
    assert words_of(text) == WORD.findall(text.lower())
    emoji = "".join(f"x{chr(code)}y " for code in range(0x1F000, 0x1FB00))
    assert words_of(emoji) == WORD.findall(emoji.lower())


@given(st.text(alphabet=st.characters(max_codepoint=0x303F, exclude_categories=["Cs"]), max_size=200))
def test_words_equal_the_classifier_regex_on_random_text(text: str) -> None:
    assert words_of(text) == WORD.findall(text.lower())


def test_every_whitespace_character_is_spaced_as_one_space() -> None:
    # quality_signals counts the words' characters as those of the spaced text that are not " ".
    spaces = [chr(code) for code in range(0x110000) if chr(code).isspace()]
    assert _spaced_words("".join(f"a{space}" for space in spaces)) == "a " * len(spaces)


@given(st.text(max_size=200))
def test_mean_word_length_counts_the_characters_of_the_words(text: str) -> None:
    words = words_of(text)
    expected = sum(map(len, words)) / len(words) if words else 0.0
    assert quality_signals(text, None).mean_word_length == expected


# --- each signal ---------------------------------------------------------------------------------


def test_word_count_and_mean_word_length() -> None:
    signals = quality_signals("The cat sat.", "en")
    assert signals.word_count == 3
    assert signals.mean_word_length == 3.0
    # e(1) mail(4) don(3) t(1) stop(4): 5 words, 13 characters
    signals = quality_signals("e-mail, don't stop", "en")
    assert (signals.word_count, signals.mean_word_length) == (5, 13 / 5)


def test_symbol_to_word_ratio_counts_hashes_and_ellipses_per_word() -> None:
    # words: tag, another, more (3); symbols: '#' twice, '...' once, '…' once (4)
    assert quality_signals("#tag #another ... more…", "en").symbol_to_word_ratio == 4 / 3
    # no words: divided by 1, so a page of symbols alone scores high
    assert quality_signals("### ...", "en").symbol_to_word_ratio == 4.0
    assert quality_signals("Plain words only", "en").symbol_to_word_ratio == 0.0


def test_share_of_lines_ending_in_punctuation() -> None:
    text = 'First line.\nSecond line\n\nThird?\n(see above.)\n"Quoted."\nMenu ›\n  Wow!  \n'
    # non-blank lines: 7; ending a sentence: First line., Third?, (see above.), "Quoted.", Wow!
    assert quality_signals(text, "en").frac_lines_end_punct == 5 / 7


def test_share_of_bullet_lines() -> None:
    text = "- one\n* two\n• three\n-5 degrees\n*emphasis*\n---\nplain\n  + four\n– five\n"
    # bullets: "- one", "* two", "• three", "+ four" (stripped), "– five"; not: -5, *emphasis*, ---, plain
    assert quality_signals(text, "en").frac_lines_bullet == 5 / 9


def test_duplicate_line_characters_count_copies_after_the_first() -> None:
    text = "Share this\nReal text here\n  Share this  \n\nShare this\n"
    # lines (stripped): 10 + 14 + 10 + 10 = 44 characters; the two later copies: 20
    assert quality_signals(text, "en").dup_line_char_frac == 20 / 44
    assert quality_signals("one\ntwo\nthree", "en").dup_line_char_frac == 0.0


def test_duplicate_5gram_characters_count_every_occurrence() -> None:
    # one two three four five | and | one two three four five: 41 word characters, 38 in the 5-gram
    signals = quality_signals("one two three four five and one two three four five", "en")
    assert signals.frac_chars_dupe_5grams == 38 / 41


def test_duplicate_5grams_need_five_words_and_ignore_case_and_punctuation() -> None:
    assert quality_signals("one two three four and one two three four", "en").frac_chars_dupe_5grams == 0.0
    text = "One two three four five. one TWO three, four five"
    assert quality_signals(text, "en").frac_chars_dupe_5grams == 1.0
    # overlapping repeats: (la la la la la) at 0 and 1 covers all six words
    assert quality_signals("la la la la la la", "fr").frac_chars_dupe_5grams == 1.0
    assert quality_signals("a b c", "en").frac_chars_dupe_5grams == 0.0


def duplicate_ngram_chars_of_tuples(words: list[str], n: int) -> int:
    """The definition, with the n-grams as tuples of words: characters of the words that some occurrence
    of a repeated n-gram covers."""
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    counts = Counter(grams)
    covered = {i + k for i, gram in enumerate(grams) if counts[gram] > 1 for k in range(n)}
    return sum(len(words[i]) for i in covered)


# Few distinct words, so that n-grams repeat, overlap and nearly repeat.
@given(st.lists(st.sampled_from(["a", "bb", "ccc", "dd", "é", "Straße"]), max_size=80), st.integers(1, 6))
def test_duplicate_ngram_characters_by_ids_equal_those_by_tuples_of_words(words: list[str], n: int) -> None:
    assert _duplicate_ngram_chars(words, n) == duplicate_ngram_chars_of_tuples(words, n)


@pytest.mark.parametrize(("count", "n"), [(4095, 5), (4096, 5), (5000, 5), (5000, 13), (70000, 5)])
def test_duplicate_ngrams_of_long_documents_whose_ids_take_several_columns(count: int, n: int) -> None:
    # Up to 4,095 words a 5-gram's ids fit one int64; longer texts sort on two or more columns.
    words = [f"w{i % 997}" for i in range(count)]
    words[100:120] = words[3000:3020] = [f"r{i}" for i in range(20)]
    words[3017] = "x"  # a near repeat: its n-grams that hold "x" are not repeated
    assert _duplicate_ngram_chars(words, n) == duplicate_ngram_chars_of_tuples(words, n) > 0
    assert _duplicate_ngram_chars(words[:996], n) == 0


def test_stop_word_fraction_uses_the_language_list() -> None:
    assert quality_signals("The cat and the dog", "en").stop_word_fraction == 3 / 5
    assert quality_signals("Der Hund und die Katze", "de").stop_word_fraction == 3 / 5
    assert quality_signals("Der Hund und die Katze", "de-AT").stop_word_fraction == 3 / 5
    # the same words against the English list: none is an English stop word
    assert quality_signals("Der Hund und die Katze", "en").stop_word_fraction == 0.0
    assert quality_signals("Le chat et le chien", "fr").stop_word_fraction == 3 / 5


def test_stop_word_fraction_is_none_without_a_list() -> None:
    assert quality_signals("The cat and the dog", "und").stop_word_fraction is None
    assert quality_signals("Il gatto e il cane", "it").stop_word_fraction is None
    assert quality_signals("The cat", None).stop_word_fraction is None
    assert quality_signals("", "en").stop_word_fraction == 0.0


def test_empty_text_has_zero_signals() -> None:
    assert quality_signals("", "en") == QualitySignals(0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    assert quality_signals(" \n\n ", "und") == QualitySignals(0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, None)


def test_a_prose_paragraph_passes_gophers_thresholds_and_a_link_list_does_not() -> None:
    prose = (
        "The harbour authority opened the new ferry terminal on Friday, two years after the old one was "
        "damaged by a storm that flooded most of the waterfront. Ferries to the islands will leave every "
        "hour from the new pier, and the old building will become a museum of the town's fishing fleet."
    )
    assert failed_thresholds(quality_signals(prose, "en"), GOPHER_THRESHOLDS) == []
    links = "\n".join(["- Home", "- News", "- Sport", "- Weather"] * 5)
    assert failed_thresholds(quality_signals(links, "en"), GOPHER_THRESHOLDS) == [
        "quality_min_word_count",
        "quality_max_frac_lines_bullet",
        "quality_max_dup_line_char_frac",
        "quality_max_frac_chars_dupe_5grams",
    ]


def test_signals_row_and_schema_entries_name_the_same_columns() -> None:
    row = quality_signals("Some text here.", "en").as_row()
    assert tuple(row) == SIGNAL_NAMES
    entries = schema_entries()
    assert [e["name"] for e in entries] == list(SIGNAL_NAMES)
    assert {e["name"] for e in entries if e["nullable"]} == {"stop_word_fraction"}
    assert all(e["nullable"] for e in schema_entries(nullable=True))
    assert all(e["description"] for e in entries)
    assert len(SIGNALS) == len(SIGNAL_NAMES)


# --- thresholds ----------------------------------------------------------------------------------


def test_no_thresholds_filter_nothing() -> None:
    signals = quality_signals("x", "en")
    assert failed_thresholds(signals, QualityThresholds()) == []
    assert QualityThresholds().in_force() == {}
    assert not QualityThresholds().active


def test_failed_thresholds_name_the_rules_in_signal_order() -> None:
    signals = quality_signals("The cat sat.", "en")  # 3 words of 3 characters
    thresholds = QualityThresholds(min_word_count=5, max_mean_word_length=2.5, min_stop_word_fraction=0.5)
    assert failed_thresholds(signals, thresholds) == [
        "quality_min_word_count",
        "quality_max_mean_word_length",
        "quality_min_stop_word_fraction",  # one stop word of three
    ]


def test_a_value_on_the_bound_passes() -> None:
    signals = quality_signals("The cat sat.", "en")
    assert failed_thresholds(signals, QualityThresholds(min_word_count=3, max_word_count=3)) == []


def test_a_missing_stop_word_fraction_fails_no_bound() -> None:
    signals = quality_signals("Il gatto e il cane", "it")
    assert failed_thresholds(signals, QualityThresholds(min_stop_word_fraction=0.3)) == []


def test_card_section_lists_signals_thresholds_and_removed_documents() -> None:
    card = card_section(QualityThresholds(min_word_count=50), {"quality_min_word_count": 7})
    assert all(f"`{name}`" in card for name in SIGNAL_NAMES)
    assert "| `min_word_count` | 50 | 7 |" in card
    assert "none" in card_section(QualityThresholds())


# --- the settings file ---------------------------------------------------------------------------

GOOD = """\
# quality thresholds
min_word_count: 50
max_word_count: 1_000
min_mean_word_length: 3
max_symbol_to_word_ratio: 0.1
max_frac_lines_bullet: .9
min_stop_word_fraction: ~
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "quality.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_sets_its_bounds(tmp_path: Path) -> None:
    thresholds = load_thresholds(write(tmp_path, GOOD))
    assert thresholds.in_force() == {
        "min_word_count": 50,
        "max_word_count": 1000,
        "min_mean_word_length": 3.0,
        "max_symbol_to_word_ratio": 0.1,
        "max_frac_lines_bullet": 0.9,
    }
    assert thresholds.min_stop_word_fraction is None


def test_an_empty_file_sets_no_bound(tmp_path: Path) -> None:
    assert load_thresholds(write(tmp_path, "# nothing yet\n")) == QualityThresholds()


def test_every_key_is_a_threshold_field() -> None:
    assert {f"{side}_{name}" for name in SIGNAL_NAMES for side in ("min", "max")} == set(THRESHOLD_KEYS)


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("min_word_count: [50\n", 2, "invalid YAML"),
        ("- min_word_count: 50\n", 1, "the top level must be a mapping"),
        (
            "min_word_count: 5\nmin_words: 50\n",
            2,
            "unknown threshold 'min_words' (did you mean 'min_word_count'?)",
        ),
        ("zzz: 1\n", 1, "unknown threshold 'zzz'; allowed: min_word_count"),
        ("min_word_count: 5\nmin_word_count: 6\n", 2, "'min_word_count' is given twice (first at line 1)"),
        ('min_word_count: "50"\n', 1, "min_word_count: expected a number, got '50'"),
        ("min_word_count: yes\n", 1, "min_word_count: expected a number, got true/false"),
        ("min_word_count:\n  - 50\n", 2, "expected a number, not a list or mapping"),
        ("min_word_count: -1\n", 1, "must not be negative"),
        ("max_dup_line_char_frac: 20\n", 1, "dup_line_char_frac is a share, so the bound must be 0..1"),
        ("min_word_count: 50.5\n", 1, "word_count counts, so the bound must be whole"),
        ("max_word_count: .inf\n", 1, "must be a finite number (null for no bound)"),
        ("max_word_count: .nan\n", 1, "must be a finite number"),
        (
            "max_word_count: 10\n# gap\nmin_word_count: 50\n",
            3,
            "min_word_count (50) is above max_word_count (10): no document could pass",
        ),
        ("? [a, b]\n: 1\n", 1, "a key must be a name"),
    ],
)
def test_file_errors_name_the_file_and_line(tmp_path: Path, text: str, line: int, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ThresholdsFileError) as caught:
        load_thresholds(path)
    assert caught.value.line == line
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_a_file_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "quality.yaml"
    path.write_bytes(b"min_word_count: 50\n# caf\xe9\n")
    with pytest.raises(ThresholdsFileError, match=r"quality\.yaml:2: the file is not UTF-8"):
        load_thresholds(path)


def test_a_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ThresholdsFileError, match=r"nope\.yaml: cannot read the file"):
        load_thresholds(tmp_path / "nope.yaml")


def test_parse_names_its_source() -> None:
    with pytest.raises(ThresholdsFileError, match=r"^settings:1: unknown threshold"):
        parse_thresholds("foo: 1\n", source="settings")


def test_row_holds_every_signal_by_its_field_name() -> None:
    signals = quality_signals("Some text here.\nAnd a second line: twice twice.", "en")
    assert signals.as_row() == dataclasses.asdict(signals)
    assert list(signals.as_row()) == list(SIGNAL_NAMES)
