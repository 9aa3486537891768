"""PII redaction: e-mail addresses, phone numbers and IP addresses replaced by typed placeholders.

`redact_pii(text)` returns the text with every recognised value replaced by its placeholder and one
`Redaction` per value: its type and where it was (offsets in the input) and where its placeholder is
(offsets in the output). A Redaction never holds the value, nor a hash of it: the output plus the
records must not let anyone recover what was there.

Placeholders: `[EMAIL]`, `[PHONE]`, `[IP]` (types `email`, `phone`, `ip`; IPv4 and IPv6 alike).

Recognised:

- e-mail: `local@domain.tld`, a local part of letters, digits and `._%+-'`, a dotted domain, a TLD of
  letters (or `xn--`);
- phone: international `+49 30 1234567`, `+44 20 7946 0958`, `+1 (555) 123-4567`, `+49 (0)30 …`,
  `+4930123456`, or with `00` (`0049 30 …`); national with a trunk zero `030/12345678`,
  `0171 1234567`, `06 12 34 56 78`, `(030) 1234567`; North American `(555) 123-4567`, `555-123-4567`,
  `555.123.4567`, `555 123 4567`;
- ip: IPv4 with four octets 0-255 without leading zeros; IPv6 full, compressed (`2001:db8::1`, `::1`)
  and IPv4-mapped, checked by `ipaddress`.

Deliberately not (the look-alikes):

- e-mail: `@handles`; `user@localhost` and other undotted hosts (not routable, so no one's address on
  the web); `logo@2x.png` (the TLD is a file extension); `pkg@1.2.3`. A fediverse handle
  `@jane@mastodon.social` is an address of a person and becomes `@[EMAIL]`;
- phone: dates (`03-12-2024`, `12.03.2024`), ISBNs, year ranges (`1990-2000`), version numbers, prices
  (`$555-123-4567`, `1,030 123 456`), times (`0800-1700`), coordinates (`+48.858844`), IBANs and card
  numbers, digit runs without `+` or separators (`0301234567`: an ID as often as a phone), and numbers
  right after "order", "invoice", "ISBN", "Bestellnummer", "version", … (see `_NOT_PII_BEFORE`);
- ip: versions (`1.2.3.4.5`, `v1.2.3.4`, "version 4.2.1.0"), `999.1.1.1`, `192.168.001.001`, times
  (`12:30:45`), MAC addresses, IPv6 without a digit (`dead::beef`, C++ `a::b`).

National numbers without a trunk zero or a `+` (Spanish `912 345 678`, Swedish without area code) are
not recognised: they cannot be told from grouped numbers (`912 345 678` is also 912 million).

Speed: one pass of one combined regex. It starts with a one-character class (`[0-9+(:@]`), so `re`
skips every other character in C; each branch then checks the character before it with a lookbehind.
An e-mail is found from its `@` and its local part read backwards, and an IPv6 address from its first
`:` and its first group read backwards, because a regex branch starting at any letter would make `re`
try every position of the text. Candidates are then checked in Python (octets, digit counts, dates,
`ipaddress`).
"""

from __future__ import annotations

import bisect
import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Literal

PiiType = Literal["email", "phone", "ip"]
PLACEHOLDERS: dict[str, str] = {"email": "[EMAIL]", "phone": "[PHONE]", "ip": "[IP]"}

_SEP = r"[ \u00a0.\-]"  # one separator inside a phone number: space, no-break space, dot, hyphen
_SEP_SLASH = r"[ \u00a0.\-/]"  # the same or a slash, between the groups of an international number
_PII = re.compile(
    rf"""
    [0-9+(:@]   # the first character of every candidate: lets `re` skip all other characters in C
    (?:
        # e-mail: the domain after the @ (the local part is read backwards in Python)
        (?<=@)(?P<email>(?:[^\W_](?:[\w-]{{0,61}}[^\W_])?\.)+(?:[^\W\d_]{{2,63}}|xn--[a-z0-9]{{2,59}}))
        (?![\w-])
    |   # IPv6 from its first colon (the group before it is read backwards in Python)
        (?<=:)(?P<ip6>(?:[0-9A-Fa-f]{{0,4}}:){{1,6}}(?:\d{{1,3}}(?:\.\d{{1,3}}){{3}}|[0-9A-Fa-f]{{1,4}})?)
        (?![\w:]|\.\d)
    |   # IPv4: four dotted numbers, not inside a longer dotted or word token (octets checked in Python)
        (?<![\w.]\d)(?<=\d)(?P<ip4>\d{{0,2}}(?:\.\d{{1,3}}){{3}})(?!\w|\.\d)
    |   # phones: none may follow a letter, digit, +, /, ., ",", -, #, @, _ or a currency sign, nor
        # a number and a space (the groups of an IBAN or a card number)
        (?<![\w+/.,\-#@$€£¥].)(?<!\d[ \u00a0].)
        (?:
            # international: +CC, an optional (0), an area code maybe in brackets, groups
            (?<=\+)(?P<intl>\d{{1,3}}(?:{_SEP}?\(0\))?{_SEP}?\(?\d{{1,5}}\)?(?:{_SEP_SLASH}?\d{{2,5}}){{1,4}})
        |   # area code in brackets: a trunk zero (030) or North American (555)
            (?<=\()(?P<paren>(?:0\d{{1,4}}|[2-9]\d{{2}})\){_SEP}?\d{{2,5}}(?:{_SEP}?\d{{2,5}}){{0,3}})
        |   # national with a trunk zero (or 00 and a country code): 030/12345678, 0171 1234567
            (?<=0)(?P<national>\d{{1,4}}(?:[ \u00a0/\-]|\ /\ )\d{{2,8}}(?:[ \u00a0\-]\d{{2,8}}){{0,4}})
        |   # North American 555-123-4567 with one separator throughout
            (?<=[2-9])(?P<nanp>\d{{2}}(?P<nanp_sep>[ \u00a0.\-])\d{{3}}(?P=nanp_sep)\d{{4}})
        )
        (?!\w|[.,/\-]\d)
    )
    """,
    re.VERBOSE,
)
# A number right after one of these words is a book, bank, product, version or section number; the
# words of the second group name a number only with "no", "Nr", "number", "nummer", ... after them
# ("Bestellnummer", "Order no."): "Kunden: 030 1234567" and "To order: 555-123-4567" are phones.
_NOT_PII_BEFORE = re.compile(
    r"(?:\b(?:isbn(?:-?1[03])?|issn|doi|iban|bic|sku|ean|gtin|ref|reference|patent|version|versi[oó]n|"
    r"versio|ver|build|release|firmware|section|chapter|kapitel|abschnitt|paragraph)"
    r"|\b(?:order|invoice|receipt|item|article|art|bestell|bestellung|rechnung|auftrag|kunden|artikel|"
    r"commande|facture|pedido|factura|tilaus|lasku|beställning|faktura|customer|account|konto|tracking|"
    r"sendung|serial|serien|model|modell)\.?s?[\s-]*(?:no|nr|num|number|nummer|numero|número|n[°º]|id)"
    r"|§)\W{0,3}$",
    re.IGNORECASE,
)
_CONTEXT_CHARS = 40  # how far back the words above are looked for
_DATE = re.compile(r"\d{1,4}([./\- ])\d{1,2}\1\d{2,4}")
# TLDs that are really file extensions: logo@2x.png, image@3x.webp
_FILE_EXTENSIONS = frozenset(
    {
        *("png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "bmp", "ico", "tif", "tiff", "pdf"),
        *("js", "mjs", "css", "html", "htm", "php", "json", "xml", "txt", "csv"),
        *("mp3", "mp4", "webm", "mov", "zip", "gz"),
    }
)
_LOCAL_PUNCT = frozenset("._%+-'")
_HEX = frozenset("0123456789abcdefABCDEF")


@dataclass(frozen=True, slots=True)
class Redaction:
    """One redacted value: its type and offsets, never the value itself."""

    type: PiiType
    start: int  # the placeholder's span in the redacted text
    end: int
    input_start: int  # the value's span in the input text
    input_end: int


def redact_pii(text: str) -> tuple[str, list[Redaction]]:
    """The text with e-mail addresses, phone numbers and IP addresses replaced by placeholders."""
    spans: list[tuple[int, int, PiiType]] = []  # (input start, input end, type), in text order
    for match in _PII.finditer(text):
        kind = match.lastgroup
        start, end = match.start(), match.end()
        if kind == "email":
            local = _local_part_start(text, start)
            if local is None or match.group("email").rsplit(".", 1)[1].lower() in _FILE_EXTENSIONS:
                continue
            # Whatever was found inside the local part (digits read as a phone) belongs to the address.
            while spans and spans[-1][1] > local:
                spans.pop()
            spans.append((local, end, "email"))
        elif kind == "ip6":
            first = _ip6_start(text, start, spans[-1][1] if spans else 0)
            if first is not None and _is_ip6(text[first:end]):
                spans.append((first, end, "ip"))
        elif _context_says_not_pii(text, start):
            continue
        elif kind == "ip4":
            if _is_ip4(text[start:end]):
                spans.append((start, end, "ip"))
        elif _is_phone(text[start:end], kind):
            spans.append((start, end, "phone"))
    return _apply(text, spans)


def may_hold_pii(texts: Iterable[str]) -> bool:
    """Whether `redact_pii` may find a value in any of the texts (False: it finds none in any of them).

    One search of the texts joined by "\\n" instead of one call per text: a "\\n" is no part of any
    value, and what the pattern checks around a candidate (the characters before and after it) treats a
    "\\n" as it treats the start or end of a text, so the joined texts hold a candidate exactly when
    one of them does."""
    return _PII.search("\n".join(texts)) is not None


def texts_with_candidates(texts: Sequence[str]) -> set[int]:
    """The indices of the texts in which `redact_pii` may find a value (in the others it finds none).

    One scan of the texts joined by "\\n", as in may_hold_pii: no candidate spans a "\\n", and the
    characters around a text's own candidates are judged as when the text is searched alone, so each
    candidate lies in the text that has it, and the texts left out need no search of their own."""
    joined = "\n".join(texts)
    ends = list(accumulate(len(text) + 1 for text in texts))  # where the text after each one starts
    return {bisect.bisect_right(ends, match.start()) for match in _PII.finditer(joined)}


def shift_offset(offset: int, redactions: Sequence[Redaction]) -> int:
    """Where an offset of the input text is in the redacted text (inside a value: its placeholder's start).

    For whatever holds offsets into the text before redaction (anchors, spans) and must follow it.
    """
    index = bisect.bisect_right([r.input_start for r in redactions], offset) - 1
    if index < 0:
        return offset
    last = redactions[index]
    if offset < last.input_end:
        return last.start
    return offset + last.end - last.input_end


def _apply(text: str, spans: list[tuple[int, int, PiiType]]) -> tuple[str, list[Redaction]]:
    """Replace the spans by their placeholders and record where each went."""
    if not spans:
        return text, []
    parts: list[str] = []
    redactions: list[Redaction] = []
    position = written = 0
    for start, end, kind in spans:
        parts.append(text[position:start])
        written += start - position
        placeholder = PLACEHOLDERS[kind]
        parts.append(placeholder)
        redactions.append(Redaction(kind, written, written + len(placeholder), start, end))
        written += len(placeholder)
        position = end
    parts.append(text[position:])
    return "".join(parts), redactions


def _local_part_start(text: str, at: int) -> int | None:
    """Where the local part of an address whose `@` is at `at` starts, or None if it has none."""
    start = at
    limit = max(0, at - 64)  # RFC 5321: a local part has at most 64 characters
    while start > limit and (text[start - 1].isalnum() or text[start - 1] in _LOCAL_PUNCT):
        start -= 1
    # Leading punctuation ('--jane@', '.jane@') is not part of the address.
    while start < at and not text[start].isalnum():
        start += 1
    if start == at or (start == limit and limit > 0 and text[limit - 1].isalnum()):
        return None  # no local part ('@handle'), or a run too long to be one
    return start


def _ip6_start(text: str, colon: int, floor: int) -> int | None:
    """Where an IPv6 address whose first colon is at `colon` starts, or None if it is inside a token."""
    start = colon
    while start > max(floor, colon - 4) and text[start - 1] in _HEX:
        start -= 1
    if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_:."):
        return None  # a longer word ('std::vector', 'abcdef::1') or a longer dotted or colon token
    return start


def _is_ip6(candidate: str) -> bool:
    """Whether a candidate is an IPv6 address with at least one digit (so not 'dead::beef' or 'a::b')."""
    if not any(c.isdigit() for c in candidate):
        return False
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return True


def _is_ip4(candidate: str) -> bool:
    """Whether four dotted numbers are an IPv4 address: each 0-255, without leading zeros."""
    return all(int(o) <= 255 and (o == "0" or not o.startswith("0")) for o in candidate.split("."))


def _is_phone(candidate: str, kind: str | None) -> bool:
    """Whether a phone-shaped candidate has the digits of a phone number and is not a date."""
    digits = sum(c.isdigit() for c in candidate)
    if kind == "intl":
        # A coordinate (+48.858844) has dots alone and two groups; +1.555.123.4567 has four.
        if not any(c in candidate for c in " \u00a0-/()") and candidate.count(".") in (1, 2):
            return False
        return 7 <= digits <= 16  # E.164: at most 15 digits, plus a bracketed trunk zero
    if kind == "national":
        if _DATE.fullmatch(candidate):
            return False
        subscriber = re.split(r"[ \u00a0/\-]+", candidate, maxsplit=1)[1]
        # '0800-1700' (opening hours) has a four-digit subscriber part; real ones have five or more.
        return 8 <= digits <= 14 and sum(c.isdigit() for c in subscriber) >= 5
    if kind == "paren":
        return 9 <= digits <= 13
    return kind == "nanp"


def _context_says_not_pii(text: str, start: int) -> bool:
    """Whether the words just before a number say it is an order, invoice, ISBN or version number."""
    before = text[max(0, start - _CONTEXT_CHARS) : start]
    return bool(_NOT_PII_BEFORE.search(before))
