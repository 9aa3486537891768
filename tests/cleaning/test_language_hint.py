"""The stop-word vote that gives clean_document its language hint for the boilerplate classifier."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.cleaning.boilerplate import guess_language, remove_boilerplate
from pipeline.cleaning.boilerplate.classify import (
    GUESS_MAX_CHARS,
    GUESS_WORDS,
    PROSE_MIN_WORDS,
    _word_runs,
    prose_words,
)
from pipeline.cleaning.curate import clean_document
from tests.cleaning.helpers import parse_seed
from tests.conftest import load_gold

PROSE = {
    "fr": (
        "Le conseil municipal a voté mardi soir le budget de la ville pour l'année prochaine. "
        "Les élus de l'opposition ont critiqué la hausse des impôts locaux, mais le maire a défendu "
        "un plan qui prévoit la rénovation des écoles et la construction d'une nouvelle piscine."
    ),
    "es": (
        "El ayuntamiento aprobó el martes por la noche el presupuesto de la ciudad para el próximo año. "
        "Los concejales de la oposición criticaron la subida de los impuestos, pero el alcalde defendió "
        "un plan que prevé la renovación de las escuelas y la construcción de una piscina nueva."
    ),
    "fi": (
        "Kaupunginvaltuusto hyväksyi tiistai-iltana kaupungin ensi vuoden talousarvion. Opposition "
        "valtuutetut arvostelivat veronkorotusta, mutta pormestari puolusti suunnitelmaa, jossa kouluja "
        "korjataan ja uusi uimahalli rakennetaan. Hänen mukaansa se on välttämätöntä, koska kaupunki kasvaa "
        "nopeasti ja vanhat tilat eivät enää riitä."
    ),
    "sv": (
        "Kommunfullmäktige röstade på tisdagskvällen igenom stadens budget för nästa år. Oppositionens "
        "ledamöter kritiserade skattehöjningen, men kommunstyrelsens ordförande försvarade en plan som "
        "innebär att skolorna renoveras och att ett nytt badhus byggs. Hon menade att det är nödvändigt "
        "eftersom staden växer och de gamla lokalerna inte längre räcker till."
    ),
}
ENGLISH_MENU = "Home\nNews\nAbout us\nSubscribe to our newsletter\nSign in\nSearch for:\n"


@pytest.mark.parametrize("entry", load_gold(), ids=lambda entry: entry["file"])
def test_seeds_get_their_gold_language(entry: dict[str, str]) -> None:
    assert guess_language(parse_seed(entry["file"]).text) == entry["language"]


@pytest.mark.parametrize("language", sorted(PROSE))
def test_prose_in_each_listed_language(language: str) -> None:
    assert guess_language(PROSE[language]) == language


def test_an_english_menu_above_finnish_prose_does_not_make_it_english() -> None:
    # Short lines are not read: on sites in other languages the menu is often English.
    assert guess_language(ENGLISH_MENU + "\n" + PROSE["fi"]) == "fi"


@pytest.mark.parametrize(
    "text",
    [
        ENGLISH_MENU,  # no prose line at all
        "Jane Doe and Max Mustermann\n",  # too few words to vote
        "",
    ],
)
def test_no_evidence_gives_no_hint(text: str) -> None:
    assert guess_language(text) is None


def test_a_close_vote_gives_no_hint() -> None:
    # French and Spanish share "de", "la", "en", "que" ...: a paragraph of each is not clearly either.
    assert guess_language(PROSE["fr"] + "\n" + PROSE["es"]) is None


@pytest.mark.parametrize("entry", load_gold(), ids=lambda entry: entry["file"])
def test_clean_document_cleans_as_with_the_gold_language(entry: dict[str, str]) -> None:
    parsed = parse_seed(entry["file"])
    assert clean_document(parsed).doc.text == remove_boilerplate(parsed.text, language=entry["language"]).text


# --- the words the vote reads ----------------------------------------------------------------------

WORD = re.compile(r"[^\W_]+")  # the classifier's words, which the vote's fast reading must equal


def reference_prose_words(text: str) -> list[str]:
    """The vote's words read line by line with the regex: what prose_words must return."""
    words: list[str] = []
    for line in text[:GUESS_MAX_CHARS].split("\n"):
        if len(words) >= GUESS_WORDS:
            break
        found = WORD.findall(line.lower())
        if len(line) >= 2 * PROSE_MIN_WORDS - 1 and len(found) >= PROSE_MIN_WORDS:
            words += found
    return words


def test_word_runs_equal_the_classifier_regex_for_every_character() -> None:
    # A few hundred characters a text: a text's distinct characters are replaced one by one.
    for start in range(0, 0x110000, 256):
        text = "".join(f"a{chr(code)}B\n" for code in range(start, start + 256))
        assert _word_runs(text).split() == WORD.findall(text.lower())


@pytest.mark.parametrize(
    "text",
    [
        "ΟΔΟΣ ΣΤΑΣΙΣ Σ ΑΣ\nΣ\nlast ΣΣ",  # capital sigma: lowercased by its context, in each line
        "İSTANBUL İstanbul\u0130",  # lowercases to two characters, the second a combining mark
        "Ǆemal ǅ ǆ — “quoted” don’t_stop",
        "x\ud800y\udfffz",  # lone surrogates (a bad decode upstream) are no letters
    ],
)
def test_word_runs_on_characters_lower_treats_specially(text: str) -> None:
    assert _word_runs(text).split() == WORD.findall(text.lower())
    assert [line.split() for line in _word_runs(text).split("\n")] == [
        WORD.findall(line) for line in text.lower().split("\n")
    ]


LINE = st.one_of(
    st.sampled_from(["", "Home", "Über uns", "Read more ›", "ΣΟΦΙΑ ΣΑΣ", "İstanbul’s news"]),
    st.sampled_from(list(PROSE.values())),
    st.lists(
        st.sampled_from(["the", "of", "und", "der", "la", "que", "och", "ja", "x", "Σ", "—", "_"]),
        max_size=40,
    ).map(" ".join),
    st.text(max_size=80),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(LINE, max_size=60).map("\n".join))
def test_prose_words_equal_reading_line_by_line_with_the_regex(text: str) -> None:
    assert prose_words(text)[:GUESS_WORDS] == reference_prose_words(text)[:GUESS_WORDS]


def test_prose_words_stop_at_the_word_budget_and_the_character_budget() -> None:
    text = (PROSE["sv"] + "\n") * 200
    assert len(prose_words(text)) < GUESS_WORDS + 100  # read block by block, not the whole text
    assert prose_words(text)[:GUESS_WORDS] == reference_prose_words(text)[:GUESS_WORDS]
    late = "x\n" * (GUESS_MAX_CHARS // 2) + PROSE["fi"]
    assert prose_words(late) == [] and guess_language(late) is None
