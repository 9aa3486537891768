"""The stop-word vote that gives clean_document its language hint for the boilerplate classifier."""

from __future__ import annotations

import pytest

from pipeline.cleaning.boilerplate import guess_language, remove_boilerplate
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
