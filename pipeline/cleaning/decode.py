"""Bytes to clean text: byte-order marks, UTF-8, UTF-16, a detected charset; mojibake and escape repair."""

from __future__ import annotations

import codecs
import html
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ftfy

# ftfy and charset-normalizer (~0.05 s to import) are imported where used: the Dagster process imports this
# module but never decodes a file; the engine's fork server imports them for its workers (datasets/warm.py).


class UndecodableError(ValueError):
    """The bytes are not text we can decode; the message is the reason recorded for the skipped file."""


@dataclass(frozen=True)
class Decoded:
    """Text decoded from bytes, the encoding used, and the repairs applied on the way."""

    text: str
    encoding: str
    repairs: list[str] = field(default_factory=list)


# Byte-order marks, longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Magic numbers of formats that are often renamed `.txt`/`.html` by scrapers; none is text.
BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "png image"),
    (b"\xff\xd8\xff", "jpeg image"),
    (b"GIF87a", "gif image"),
    (b"GIF89a", "gif image"),
    (b"%PDF-", "pdf document"),
    (b"PK\x03\x04", "zip archive"),
    (b"\x1f\x8b", "gzip archive"),
    (b"BZh", "bzip2 archive"),
    (b"\xfd7zXZ\x00", "xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "7z archive"),
    (b"\x7fELF", "elf executable"),
    (b"RIFF", "riff media"),
    (b"\x00\x00\x01\x00", "ico image"),
    (b"wOFF", "woff font"),
)


@lru_cache(maxsize=1)
def ftfy_config() -> ftfy.TextFixerConfig:
    """ftfy settings that repair encoding damage only: typography (curly quotes, dashes, full-width forms,
    ligatures, emoji) is the author's choice and stays as written; HTML entities are handled separately."""
    import ftfy

    return ftfy.TextFixerConfig(
        unescape_html=False,
        remove_terminal_escapes=True,
        fix_encoding=True,
        restore_byte_a0=True,
        replace_lossy_sequences=True,
        decode_inconsistent_utf8=True,
        fix_c1_controls=True,
        fix_latin_ligatures=False,
        fix_character_width=False,
        uncurl_quotes=False,
        fix_line_breaks=False,
        fix_surrogates=True,
        remove_control_chars=False,  # a control character may be intentional; binary is refused before this
        normalization="NFC",
        explain=False,
    )


# Share of C0 control characters (other than tab/newline/CR/FF) above which decoded "text" is really binary.
MAX_CONTROL_SHARE = 0.05


def sniff_binary(data: bytes) -> str | None:
    """Name the binary format the bytes start with, or None when they may be text."""
    for signature, name in BINARY_SIGNATURES:
        if data.startswith(signature):
            return name
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    """Guess UTF-16 without a BOM from NUL bytes in every other position (ASCII-heavy text)."""
    if len(data) < 4 or len(data) % 2:
        return None
    sample = data[:4096]
    pairs = len(sample) // 2
    odd_nuls = sample[1::2].count(0)
    even_nuls = sample[0::2].count(0)
    if odd_nuls > 0.3 * pairs and even_nuls < 0.05 * pairs:
        return "utf-16-le"
    if even_nuls > 0.3 * pairs and odd_nuls < 0.05 * pairs:
        return "utf-16-be"
    return None


_CONTROLS = {code: None for code in range(32) if chr(code) not in "\t\n\r\f"}
_CONTROL = re.compile("[" + "".join(map(chr, _CONTROLS)) + "]")
_CONTROL_BYTES = bytes(_CONTROLS)
# Characters of a text that _control_share reads.
CONTROL_SAMPLE = 65536


def _control_share(text: str) -> float:
    """Share of characters that are C0 controls no text file carries."""
    if not text:
        return 0.0
    sample = text[:CONTROL_SAMPLE]
    if _CONTROL.search(sample) is None:  # the usual case: one scan in C, ~15x faster than the translate
        return 0.0
    # Deleting the controls and comparing lengths counts them in C, not in a Python loop per character.
    return (len(sample) - len(sample.translate(_CONTROLS))) / len(sample)


def decode_bytes(data: bytes) -> Decoded:
    """Decode file bytes: BOM, strict UTF-8, UTF-16 without BOM, then a detected charset.

    Raises UndecodableError for empty, binary or undecodable input.
    """
    if not data:
        raise UndecodableError("empty file")
    if not data.strip(b" \t\r\n\x00\x0b\x0c"):
        raise UndecodableError("no text: only whitespace or NUL bytes")
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return _checked(data[len(bom) :].decode(encoding.removesuffix("-sig")), encoding)
            except UnicodeDecodeError as exc:
                raise UndecodableError(f"invalid {encoding} after its byte-order mark: {exc.reason}") from exc
    binary = sniff_binary(data)
    if binary:
        raise UndecodableError(f"binary file ({binary})")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        # UTF-8 writes a C0 control as that one byte, which no other character uses, and the sample's
        # characters take at most four bytes each: bytes without a control there decode to a sample
        # without one. Deleting bytes by table is ~5x cheaper than the regex scan of the text.
        head = data[: 4 * CONTROL_SAMPLE]
        if len(head.translate(None, _CONTROL_BYTES)) == len(head):
            return Decoded(text=text, encoding="utf-8")
        return _checked(text, "utf-8")
    utf16 = _utf16_without_bom(data)
    if utf16:
        try:
            return _checked(data.decode(utf16), utf16)
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:65536]:
        raise UndecodableError("binary file (NUL bytes)")
    import charset_normalizer

    best = charset_normalizer.from_bytes(data[:262144]).best()
    if best is None or best.encoding is None:
        raise UndecodableError("undetectable encoding")
    encoding = codecs.lookup(best.encoding).name
    return _checked(data.decode(encoding, errors="replace"), encoding)


def _checked(text: str, encoding: str) -> Decoded:
    """Reject decoded text that is mostly control characters (binary in disguise)."""
    if _control_share(text) > MAX_CONTROL_SHARE:
        raise UndecodableError(f"binary content (control characters after decoding as {encoding})")
    return Decoded(text=text, encoding=encoding)


def normalise_newlines(text: str) -> str:
    """CRLF and lone CR become LF, so that offsets and line numbers mean one thing everywhere."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


# UTF-8 read through a single-byte codec turns every multi-byte character into a lead-byte character
# (bytes C2-F4) followed by continuation-byte characters (bytes 80-BF), as that codec decodes them.
# Text without such a pair cannot be that kind of mojibake: the pre-guard in front of ftfy's
# thorough (and 400 times slower) badness test.
MOJIBAKE_CODECS = (
    "latin-1",
    "cp1252",
    "cp1250",
    "cp1251",
    "cp1253",
    "cp1254",
    "cp1257",
    "mac_roman",
    "cp437",
    "cp850",
    "cp866",
    "koi8_r",
    "iso8859_2",
)


def _byte_chars(low: int, high: int) -> str:
    """Every character that one of MOJIBAKE_CODECS decodes a byte in [low, high] to."""
    chars = {bytes([b]).decode(c, errors="ignore") for c in MOJIBAKE_CODECS for b in range(low, high + 1)}
    return "".join(sorted(ch for ch in chars if ch and not ch.isascii()))


# Besides such pairs: C1 controls (cp1252 text read as latin-1), "Ã"/"Â" before a space that lost its
# no-break byte ("voilÃ  le"), and a lead character before a replacement character ("SlovenÄ\ufffdina").
# Every kind starts with one of these characters ("Ã" and "Â" are lead characters too).
LEAD_CHARS, CONTINUATION_CHARS = _byte_chars(0xC2, 0xF4), _byte_chars(0x80, 0xBF)
HINT_START = "".join(sorted(set(LEAD_CHARS) | set(map(chr, range(0x80, 0xA0)))))
# Written as one character class and then the kinds (told apart by looking back at that character), not
# as three alternatives: a pattern that opens with a class lets the regex engine skip to the next
# candidate character in C, five times faster over the curly quotes and dashes of ordinary text.
MOJIBAKE_HINT = re.compile(
    f"[{re.escape(HINT_START)}]"
    "(?:(?<=[\x80-\x9f])"  # a C1 control
    f"|(?<=[{re.escape(LEAD_CHARS)}])[{re.escape(CONTINUATION_CHARS)}\ufffd]"  # a lead, a continuation
    "|(?<=[ÃÂ])[ \xa0])"  # "Ã"/"Â" before a space
)

# "Â" before a no-break space is what UTF-8 NBSP looks like through cp1252, but also how a romanised
# name may be written ("MISUTÂ AJIKKO"); alone, it is too weak a signal to rewrite text for.
AMBIGUOUS_NBSP = "Â\xa0"


def could_be_mojibake(text: str) -> bool:
    """Cheap guard: ASCII cannot be mojibake, and ftfy's own badness test spots the usual sequences."""
    if text.isascii() or not MOJIBAKE_HINT.search(text):
        return False
    if not is_bad(text):
        return False
    if AMBIGUOUS_NBSP not in text or text.count(AMBIGUOUS_NBSP) > 1:
        return True
    return is_bad(text.replace(AMBIGUOUS_NBSP, " "))


# ftfy's badness test (`ftfy.badness.is_bad`) is one regex of ~40 alternatives tried at every position of the
# text: about 0.4 ms per 1,000 characters, most of the guard's time on Cyrillic, Greek and accented text,
# where the hint above passes. Every alternative needs some character of a small set of rare ones (for
# `[a-zA-Z][Greek or Cyrillic letter][bad]`, a "bad" character), so the same regex, run only on the few
# characters around those, gives the same answer 10-25 times faster. The set and the windows are derived
# from ftfy's own pattern when first needed; a pattern this cannot analyse falls back to the full search.
# Operations whose match is the characters it consumes: "$", look-arounds and back-references, which would
# see past a window's end or start, are not among them ("^" is checked apart: it must mean the text's start).
_WINDOW_SAFE_OPS = frozenset(
    {"LITERAL", "NOT_LITERAL", "IN", "ANY", "BRANCH", "SUBPATTERN", "MAX_REPEAT", "MIN_REPEAT"}
)
# Letters of the alphabets much text is written in (Latin accented, Greek, Cyrillic): the worst anchors.
_COMMON_LETTERS = ((0xC0, 0x17F), (0x386, 0x3CE), (0x410, 0x44F))


def _class_chars(op: Any, arg: Any) -> frozenset[str] | None:
    """The characters one item of a parsed pattern matches: a literal's or a plain class's; else None."""
    sre = re._constants  # type: ignore[attr-defined]
    if op is sre.LITERAL:
        return frozenset(chr(arg))
    if op is not sre.IN:
        return None
    chars: set[str] = set()
    for item, value in arg:
        if item is sre.LITERAL:
            chars.add(chr(value))
        elif item is sre.RANGE:
            chars.update(map(chr, range(value[0], value[1] + 1)))
        else:  # a negated class or a category such as \\s: not a small set
            return None
    return frozenset(chars)


def _anchor_cost(chars: frozenset[str]) -> tuple[int, int, int]:
    """How often a class's characters are likely to occur in ordinary text: common letters, letters, size."""
    common = sum(any(low <= ord(ch) <= high for low, high in _COMMON_LETTERS) for ch in chars)
    return common, sum(ch.isalpha() for ch in chars), len(chars)


def _window_safe(items: Any) -> bool:
    """Whether a parsed pattern matches only what it consumes, "^" being the text's start."""
    sre = re._constants  # type: ignore[attr-defined]
    for op, arg in items:
        if op is sre.AT:
            if arg not in (sre.AT_BEGINNING, sre.AT_BEGINNING_STRING):
                return False
            continue
        if str(op) not in _WINDOW_SAFE_OPS:
            return False
        children = (
            arg[1]
            if op is sre.BRANCH
            else [arg[-1]]
            if op in (sre.SUBPATTERN, sre.MAX_REPEAT, sre.MIN_REPEAT)
            else []
        )
        if not all(_window_safe(child) for child in children):
            return False
    return True


@lru_cache(maxsize=1)
def badness_anchors() -> tuple[re.Pattern[str], re.Pattern[str] | None, int]:
    """ftfy's badness regex, a class of characters every match of it holds and its longest match; no class
    when the regex is not of a form whose matches can be found from such characters."""
    from ftfy.badness import BADNESS_RE

    try:
        anchors, width = _anchors_of(BADNESS_RE)
    except (AttributeError, IndexError, TypeError, ValueError):
        # The analysis reads CPython's own re._parser, which is no promise: another Python may lack it or
        # shape it otherwise. The full search is the same answer, slower.
        return BADNESS_RE, None, 0
    return BADNESS_RE, anchors, width


def _anchors_of(badness: re.Pattern[str]) -> tuple[re.Pattern[str] | None, int]:
    """A class of characters every match of `badness` holds (None if there is none) and its longest match."""
    sre = re._constants  # type: ignore[attr-defined]
    parsed = re._parser.parse(badness.pattern, badness.flags)  # type: ignore[attr-defined]
    width = parsed.getwidth()[1]
    if badness.flags & re.MULTILINE or width >= sre.MAXREPEAT or not _window_safe(parsed):
        return None, width
    items = list(parsed)
    branches = items[0][1][1] if len(items) == 1 and items[0][0] is sre.BRANCH else [items]
    anchors: set[str] = set()
    for branch in branches:
        # Characters every match of the branch consumes: an item of its top level (not inside a repeat).
        classes = [chars for op, arg in branch if (chars := _class_chars(op, arg))]
        rare: list[frozenset[str]] = [chars for chars in classes if not any(ch.isascii() for ch in chars)]
        if not rare:
            return None, width
        cheapest = min(rare, key=_anchor_cost)
        anchors |= cheapest
    return re.compile("[" + re.escape("".join(sorted(anchors))) + "]"), width


def is_bad(text: str) -> bool:
    """ftfy's `badness.is_bad(text)`, searched only around the characters every one of its matches has."""
    badness, anchors, width = badness_anchors()
    if anchors is None:
        return badness.search(text) is not None
    search = badness.search
    # A match holding the anchor at i lies inside [i - width + 1, i + width); overlapping windows are merged
    # and searched once, so no text is searched twice. `pos` keeps "^" for the text's real start.
    start = end = -1
    for match in anchors.finditer(text):
        i = match.start()
        if i - width + 1 > end:
            if end >= 0 and search(text, start, end):
                return True
            start = max(0, i - width + 1)
        end = i + width
    return end >= 0 and search(text, start, end) is not None


def repair_mojibake(text: str, *, guard: bool = True) -> tuple[str, bool]:
    """Repair mojibake with ftfy behind the cheap guard; the flag says whether anything changed."""
    if guard and not could_be_mojibake(text):
        return _nfc(text), False
    fixed = fix_text(text)
    return fixed, fixed != _nfc(text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def fix_text(text: str) -> str:
    """`ftfy.fix_text(text, config=ftfy_config())`, which fixes each line on its own, with the lines that
    ftfy would leave as they are passed over: about 30% faster on text that needs repairs."""
    import ftfy

    config = ftfy_config()
    # ftfy's segments: each line with its "\n", cut every max_decode_length characters from its start.
    fixed: list[str] = []
    start, length = 0, len(text)
    while start < length:
        end = text.find("\n", start) + 1 or length
        end = min(end, start + config.max_decode_length)
        segment = text[start:end]
        fixed.append(segment if _unchanged_by_ftfy(segment) else ftfy.fix_and_explain(segment, config).text)
        start = end
    return "".join(fixed)


def _unchanged_by_ftfy(segment: str) -> bool:
    """Whether ftfy_config()'s fixes leave a segment as it is: no mojibake by ftfy's badness test (which
    a C1 control is), no terminal escape, no surrogate, NFC already (its only other steps)."""
    if segment.isascii():
        return "\x1b" not in segment
    return (
        "\x1b" not in segment
        and not is_bad(segment)
        and _SURROGATE.search(segment) is None
        and unicodedata.is_normalized("NFC", segment)
    )


def _nfc(text: str) -> str:
    """NFC-normalise, skipping the copy when the text already is."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


# A literal backslash escape left by a scraper that serialised the text twice ("line one\nline two").
LITERAL_ESCAPE = re.compile(r"\\([nt])")
# The same with the backslash lost too: a sentence end glued to the next sentence by a bare "n"
# ("brand personas.nThese offerings"): lowercase word, full stop, "n", capitalised word.
LOST_NEWLINE = re.compile(r"(?<=[a-z]{2}[.!?])n(?=[A-Z][a-z])")
GLUED_N = re.compile(r"n[A-Z]")
# HTML entities in text that is not HTML (named, decimal, hex); decoded only when well-formed.
ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")


def repair_escapes(text: str, *, entities: bool = True) -> tuple[str, list[str]]:
    """Repair scraper escape artefacts where unambiguous; returns the text and the names of the repairs."""
    repairs: list[str] = []
    # Only where literal escapes outnumber real line breaks: code samples legitimately contain "\\n".
    if "\\" in text and len(LITERAL_ESCAPE.findall(text)) > text.count("\n"):
        text = LITERAL_ESCAPE.sub(lambda m: "\n" if m.group(1) == "n" else "\t", text)
        repairs.append("literal_escapes")
    # The look-behind regex is slow to run over a whole text; the glue it needs is rare and cheap to find
    # (the regex for "n" before a capital jumps from "n" to "n" in C, faster than the substring tests).
    if GLUED_N.search(text) and (".n" in text or "!n" in text or "?n" in text) and LOST_NEWLINE.search(text):
        text = LOST_NEWLINE.sub("\n", text)
        repairs.append("lost_newlines")
    if entities and "&" in text and ENTITY.search(text):
        unescaped = ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
        if unescaped != text:
            text = unescaped
            repairs.append("html_entities")
    return text, repairs
