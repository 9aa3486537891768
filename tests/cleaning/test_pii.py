"""PII redaction: each type, offsets in input and output, no values in the records, and look-alikes."""

from __future__ import annotations

import dataclasses
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.cleaning.curate import CleanDocument, redact_document
from pipeline.cleaning.document import ParsedDocument, RemovedSpan
from pipeline.cleaning.pii import (
    _PII,
    PLACEHOLDERS,
    Redaction,
    may_hold_pii,
    redact_pii,
    shift_offset,
    texts_with_candidates,
)

EMAILS = [
    "jane.doe@example.com",
    "o'brien@example.ie",
    "müller@beispiel.de",
    "x@mail.example.co.uk",
    "a.b+tag@ex-ample.org",
    "INFO@EXAMPLE.COM",
]
PHONES = [
    "+49 30 1234567",
    "+44 20 7946 0958",
    "+1 (555) 123-4567",
    "+49 (0)30 1234567",
    "+33 1 23 45 67 89",
    "+358 40 1234567",
    "+4930123456",
    "+1.555.123.4567",
    "0049 30 1234567",
    "030/12345678",
    "030 / 12345678",
    "0171 1234567",
    "06 12 34 56 78",
    "08-123 456 78",
    "020 7946 0958",
    "(030) 1234567",
    "(555) 123-4567",
    "555-123-4567",
    "555.123.4567",
    "555 123 4567",
]
IPS = [
    "192.168.0.1",
    "8.8.8.8",
    "255.255.255.255",
    "0.0.0.0",
    "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
    "2001:db8::1",
    "::1",
    "fe80::1ff:fe23:4567:890a",
    "::ffff:192.0.2.128",
]
# Text that only looks like PII, with why it is not.
LOOK_ALIKES = [
    "Posted 2024-03-12.",  # ISO date
    "Posted 12.03.2024.",  # European date
    "Posted 03/12/2024.",  # US date
    "Posted 03-12-2024.",  # dashed date, shaped like a national number
    "ISBN 978-3-16-148410-0",
    "ISBN 0-306-40615-2",
    "ISBN 0123 456789",  # an ISBN grouped like a phone number
    "the war of 1914–1918 and 1990-2000",  # year ranges
    "update to version 1.2.3 or v1.2.3.4",
    "Version: 4.2.1.0",  # four numbers that would be an address
    "build 10.0.19041.1",
    "the OID 1.2.3.4.5",
    "999.1.1.1 is no address",
    "192.168.001.001 has leading zeros",
    "Section 2.1.3.4 says so",
    "costs $1,234.56 or 1.234.567,00 € or 12 345,00 EUR",
    "between $555-123-4567",  # a price range
    "a population of 1,030 123 456",
    "at 12:30:45 on 2024-03-12T12:30:45Z",
    "open 0800-1700",  # opening hours
    "at 52.5200, 13.4050 and +48.858844, 2.294351",  # coordinates
    "Order no. 555-123-4567",
    "Bestellnummer: 0123 456789",
    "Rechnungsnummer 0123 456789",
    "Art.-Nr. 030 123456",
    "order #123456789",
    "ID 0301234567",  # digits without + or separators
    "card 4111 1111 1111 1111",
    "IBAN DE89 3704 0044 0532 0130 00",
    "(2019) 123 pages",
    "ping @handle and @jane_doe",
    "mail user@localhost or root@server",
    "logo@2x.png and icon@3x.webp",
    "npm i react@18.2.0",
    "std::vector and a::b and dead::beef",
    "MAC 00:1A:2B:3C:4D:5E",
    "Note: yes",
    "from 9 to 5, 10 to 20",
]


def assert_consistent(text: str, out: str, redactions: list[Redaction]) -> None:
    """Every placeholder is where its record says, and putting the values back gives the input."""
    rebuilt, position = [], 0
    for r in redactions:
        assert out[r.start : r.end] == PLACEHOLDERS[r.type]
        rebuilt += [out[position : r.start], text[r.input_start : r.input_end]]
        position = r.end
    rebuilt.append(out[position:])
    assert "".join(rebuilt) == text


@pytest.mark.parametrize(
    ("values", "kind"), [(EMAILS, "email"), (PHONES, "phone"), (IPS, "ip")], ids=["email", "phone", "ip"]
)
def test_each_type_is_replaced_by_its_placeholder(values: list[str], kind: str) -> None:
    for value in values:
        text = f"Contact: {value}, thanks."
        out, redactions = redact_pii(text)
        assert out == f"Contact: {PLACEHOLDERS[kind]}, thanks.", value
        assert [(r.type, r.input_start, r.input_end) for r in redactions] == [(kind, 9, 9 + len(value))]
        assert_consistent(text, out, redactions)


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_look_alikes_are_left_alone(text: str) -> None:
    assert redact_pii(text) == (text, [])


def test_offsets_in_output_and_input_with_several_values() -> None:
    text = "Mail jane@example.com or call +49 30 1234567 from 10.0.0.1.\nBye"
    out, redactions = redact_pii(text)
    assert out == "Mail [EMAIL] or call [PHONE] from [IP].\nBye"
    assert redactions == [
        Redaction("email", 5, 12, 5, 21),
        Redaction("phone", 21, 28, 30, 44),
        Redaction("ip", 34, 38, 50, 58),
    ]
    assert_consistent(text, out, redactions)


def test_records_never_hold_the_value() -> None:
    text = "jane.doe@example.com +44 20 7946 0958 2001:db8::1"
    _, redactions = redact_pii(text)
    assert [f.name for f in dataclasses.fields(Redaction)] == [
        "type",
        "start",
        "end",
        "input_start",
        "input_end",
    ]
    for r in redactions:
        shown = repr(r) + str(dataclasses.asdict(r))
        for secret in ("jane", "example", "7946", "0958", "db8"):
            assert secret not in shown


def test_placeholders_are_documented_and_redaction_is_idempotent() -> None:
    assert PLACEHOLDERS == {"email": "[EMAIL]", "phone": "[PHONE]", "ip": "[IP]"}
    out, _ = redact_pii("a@b.example x +49 30 1234567 y ::1")
    assert redact_pii(out) == (out, [])


def test_email_edges() -> None:
    assert redact_pii("mailto:jane@example.com")[0] == "mailto:[EMAIL]"
    assert redact_pii("(jane@example.com)")[0] == "([EMAIL])"
    assert redact_pii("--jane@example.com")[0] == "--[EMAIL]"
    assert redact_pii("write to jane@example.com.")[0] == "write to [EMAIL]."
    assert redact_pii("@jane@mastodon.social")[0] == "@[EMAIL]"  # a person's fediverse address
    # digits in the local part belong to the address, not to a phone number
    assert redact_pii("555-123-4567@example.com")[0] == "[EMAIL]"


def test_ip_edges() -> None:
    assert redact_pii("route 10.0.0.0/8 via fe80::1.")[0] == "route [IP]/8 via [IP]."
    assert redact_pii("host 192.168.1.1:8080")[0] == "host [IP]:8080"


def test_phone_edges() -> None:
    assert redact_pii("Tel. 030 1234567, Fax 030 7654321")[0] == "Tel. [PHONE], Fax [PHONE]"
    assert redact_pii("To order: 555-123-4567")[0] == "To order: [PHONE]"  # not an order number
    assert redact_pii("Kundenservice: 030 1234567")[0] == "Kundenservice: [PHONE]"
    assert redact_pii("tel:+4930123456")[0] == "tel:[PHONE]"


def test_shift_offset_moves_input_offsets_into_the_redacted_text() -> None:
    text = "Mail jane@example.com or call +49 30 1234567 now"
    out, redactions = redact_pii(text)
    assert out == "Mail [EMAIL] or call [PHONE] now"
    assert shift_offset(0, redactions) == 0
    assert shift_offset(5, redactions) == 5  # the value's start is the placeholder's start
    assert shift_offset(12, redactions) == 5  # inside the value
    assert shift_offset(text.index(" or"), redactions) == out.index(" or")
    assert shift_offset(text.index("now"), redactions) == out.index("now")
    assert shift_offset(len(text), redactions) == len(out)
    assert shift_offset(3, []) == 3


@given(st.text(alphabet="0123456789 +-./():@abcdefx\n,#$", max_size=120))
def test_any_text_redacts_consistently(text: str) -> None:
    out, redactions = redact_pii(text)
    assert_consistent(text, out, redactions)
    assert all(a.input_end <= b.input_start for a, b in pairwise(redactions))


PII_TEXT = st.lists(
    st.one_of(
        st.sampled_from([*EMAILS, *PHONES, "192.168.0.1", "::1", "2001:db8::1", "Order no. 030 1234567"]),
        st.text(alphabet=st.sampled_from("0123456789+(): @.-/x\n\u00a0"), max_size=20),
        st.text(max_size=20),
    ),
    max_size=6,
).map("".join)


@given(st.lists(PII_TEXT, max_size=6))
def test_one_search_of_joined_texts_tells_whether_any_holds_pii(texts: list[str]) -> None:
    """may_hold_pii is False exactly when no text has a candidate, so when none has a value."""
    assert may_hold_pii(texts) == any(_PII.search(text) for text in texts)
    if not may_hold_pii(texts):
        assert all(redact_pii(text) == (text, []) for text in texts)


@given(st.lists(PII_TEXT, max_size=6))
def test_one_scan_of_joined_texts_tells_which_may_hold_pii(texts: list[str]) -> None:
    """texts_with_candidates names exactly the texts with a candidate of their own."""
    holding = texts_with_candidates(texts)
    assert holding == {i for i, text in enumerate(texts) if _PII.search(text)}
    assert all(redact_pii(text) == (text, []) for i, text in enumerate(texts) if i not in holding)


def test_removed_spans_are_redacted_and_left_alone_without_values() -> None:
    doc = ParsedDocument("d", "d.txt", "0" * 64, 0, "text", None, "utf-8", "Body text.")
    spans = [
        RemovedSpan("contact", "footer", "Write to jane.doe@example.com", 0, 10, 1, 1),
        RemovedSpan("share", "social", "Share this page", 11, 26, 2, 2),
    ]
    cleaned, _ = redact_document(CleanDocument(doc, spans, 25, None))
    assert [s.text for s in cleaned.removed] == ["Write to [EMAIL]", "Share this page"]
    assert cleaned.removed[1] is spans[1]
    rest = spans[1:]
    plain, _ = redact_document(CleanDocument(doc, rest, 15, None))
    assert plain.removed == rest and plain.removed is not rest  # a list of its own, as when redacted
