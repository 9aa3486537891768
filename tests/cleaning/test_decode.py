"""Bytes to text: encodings, binary detection, mojibake and escape repair."""

from __future__ import annotations

import codecs

import pytest

from pipeline.cleaning.decode import (
    UndecodableError,
    could_be_mojibake,
    decode_bytes,
    normalise_newlines,
    repair_escapes,
    repair_mojibake,
)

GERMAN = "Größere Übersicht: „Anti-Bürokratie-Postfach“ – 100 Milliarden €."


def test_utf8_is_decoded_as_utf8() -> None:
    decoded = decode_bytes(GERMAN.encode("utf-8"))
    assert (decoded.text, decoded.encoding) == (GERMAN, "utf-8")


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF8 + GERMAN.encode("utf-8"), "utf-8-sig"),
        (codecs.BOM_UTF16_LE + GERMAN.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + GERMAN.encode("utf-16-be"), "utf-16-be"),
        (codecs.BOM_UTF32_LE + GERMAN.encode("utf-32-le"), "utf-32-le"),
    ],
)
def test_byte_order_marks_choose_the_encoding(data: bytes, encoding: str) -> None:
    decoded = decode_bytes(data)
    assert decoded.encoding == encoding
    assert decoded.text == GERMAN


def test_utf16_without_bom_is_recognised() -> None:
    text = "Amazon plant im Jahr 2025 Investitionen in Höhe von 100 Milliarden US-Dollar."
    decoded = decode_bytes(text.encode("utf-16-le"))
    assert (decoded.text, decoded.encoding) == (text, "utf-16-le")


def test_legacy_single_byte_text_is_detected() -> None:
    text = (
        "Im kürzlich veröffentlichten jährlichen Aktionärsbrief betonte Amazons CEO die erheblichen "
        "Investitionen des Unternehmens im Bereich der Künstlichen Intelligenz. Größere Rechenzentren "
        "und die Modernisierung von Netzwerkausrüstung sind geplant, schreibt er weiter."
    )
    decoded = decode_bytes(text.encode("cp1252"))
    # cp1250 and cp1252 agree on every character here, so either is a right answer.
    assert decoded.text == text
    assert decoded.encoding.startswith(("cp125", "latin", "iso8859"))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"\x00\x00\x00\x00", "no text"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "png image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "pdf document"),
        (b"PK\x03\x04" + b"\x14\x00" * 20, "zip archive"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 16, "gzip archive"),
        (b"abc\x00\x01\x02\x03\xff\xfe\x00\x00garbage\x00" * 20, "binary"),
    ],
)
def test_empty_and_binary_input_is_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(UndecodableError, match=reason):
        decode_bytes(data)


def test_newlines_are_normalised() -> None:
    assert normalise_newlines("a\r\nb\rc\n") == "a\nb\nc\n"


def test_mojibake_is_repaired() -> None:
    broken = "Amazon’s AI flywheel – Größe".encode().decode("cp1252")
    assert broken != "Amazon’s AI flywheel – Größe"
    fixed, changed = repair_mojibake(broken)
    assert (fixed, changed) == ("Amazon’s AI flywheel – Größe", True)


@pytest.mark.parametrize(
    "clean",
    [
        "“Curly quotes” and ‘single’ ones — dashes – stay.",
        "Full-width ＡＢＣ and ligature ﬁ and emoji 🌟💻✉️ stay as written.",
        "Plain ASCII cannot be mojibake.",
        "Café, naïve, façade, Ærø, Straße.",
    ],
)
def test_clean_text_is_left_as_written(clean: str) -> None:
    fixed, changed = repair_mojibake(clean)
    assert (fixed, changed) == (clean, False)


def test_the_guard_skips_ascii() -> None:
    assert not could_be_mojibake("nothing to see here")
    assert could_be_mojibake("AmazonÃ¢â‚¬â„¢s")


def test_lost_newline_of_sample_001_is_restored() -> None:
    text, repairs = repair_escapes("brand personas.nThese offerings allowed AWS customers")
    assert text == "brand personas.\nThese offerings allowed AWS customers"
    assert repairs == ["lost_newlines"]


def test_literal_escapes_are_repaired_only_where_they_outnumber_line_breaks() -> None:
    text, repairs = repair_escapes("First line.\\nSecond line.\\n\\nThird\\tcell.")
    assert text == "First line.\nSecond line.\n\nThird\tcell."
    assert repairs == ["literal_escapes"]
    code = "Use print('a\\n') in Python.\nIt prints a line.\nThen another.\n"
    assert repair_escapes(code) == (code, [])


def test_entities_are_decoded_in_text_only_when_asked() -> None:
    assert repair_escapes("Tom &amp; Jerry &#8211; &quot;classic&quot;") == (
        'Tom & Jerry – "classic"',
        ["html_entities"],
    )
    assert repair_escapes("Tom &amp; Jerry", entities=False) == ("Tom &amp; Jerry", [])
    assert repair_escapes("R&D and AT&T stay") == ("R&D and AT&T stay", [])


# Excerpts of ../shared/dev-data/mojibake (python-ftfy tests/test-cases, Apache-2.0): clean strings
# that look like mojibake and must stay as written, and broken ones that must be repaired.
@pytest.mark.parametrize(
    "clean",
    [
        "MISUTÂ\xa0AJIKKO",  # ftfy-known-failures-009: a manga title with a no-break space
        "These control characters \x1a are apparently intentional ",  # ftfy-synthetic-011
    ],
)
def test_lookalike_clean_strings_stay_unchanged(clean: str) -> None:
    assert repair_mojibake(clean) == (clean, False)


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ("He's Justin\xe2\x9d\xa4", "He's Justin\u2764"),  # ftfy-in-the-wild-000
        (
            "It was named\xc2 \xe2\u20ac\u017escars\xc2\xb4 stones\xe2\u20ac\u015b after",  # in-the-wild-025
            "It was named\xa0\u201escars\xb4 stones\u201c after",
        ),
    ],
)
def test_wild_mojibake_is_repaired(broken: str, expected: str) -> None:
    assert repair_mojibake(broken) == (expected, True)
