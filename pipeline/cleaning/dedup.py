"""Document fingerprints for deduplication: an exact key of the normalised text and a MinHash signature
of its word shingles. Both are computed once per document, in the per-document worker step, so that the
corpus-level step (`pipeline.datasets.dedup`) only compares integers.

Normalisation (`normalise_for_dedup`) folds what a re-scrape or a re-post changes without changing the
content: Unicode compatibility forms and accents (NFKD, combining marks dropped), case (casefold),
punctuation and symbols (to spaces) and whitespace (collapsed). Digits are kept: two pages that differ
only in a number are near duplicates, not exact ones.

Near duplicates are estimated by MinHash (Broder 1997) over word 5-grams of the normalised text. Every
value is stable across processes, platforms and numpy versions, for one Unicode database (see
SIGNATURE_SCHEME): blake2b and fixed-width arithmetic only, since Python's `hash()` is salted per
process and numpy's random streams are not promised stable. The steps:

1. every word's 64-bit hash is computed for all the words of a text at once, in numpy over the
   normalised UTF-8 bytes: its polynomial sum((byte_k + 1) x P^k) mod 2^64 in the byte position k
   within the word, P a fixed odd constant, through the murmur3 64-bit finaliser so that its top bits
   depend on all of them (fixed-width integer arithmetic, the same on every platform). A blake2b per word
   through a per-process cache (scheme 1) cost ~0.1 ms a page, ~0.05 even when warm: a Python call per
   word. A polynomial mod 2^64 has collisions only for constructed strings (Thue-Morse ones of 2^11+
   bytes), not words;
2. each shingle's 32-bit key is the top half of a linear combination, mod 2^64, of its words' hashes
   with a random odd multiplier per position in the shingle: one hash per shingle, its text never
   built (blake2b per shingle would cost ~0.4 us x ~400 shingles a page);
3. `num_perm` permutations x -> (a*x + b) mod 2^32 (a odd, so each is a bijection of the 32-bit keys)
   are applied to all keys at once as one (shingles x num_perm) uint32 array whose column minima are the
   signature. A linear permutation is not min-wise independent for adversarial keys, but the keys are
   the output of a strong hash, and for such high-entropy input simple families behave like truly
   random ones (Mitzenmacher & Vadhan 2008); tests check the estimate against the exact Jaccard. The
   same in 64-bit arithmetic (multiply-shift) measured ~1.6x slower with the same error.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from dataclasses import dataclass

import numpy as np

NUM_PERM = 128  # MinHash values a document: estimate std sqrt(J(1-J)/128) ~ 0.035 at J=0.8; 512 bytes
SHINGLE = 5  # words a shingle: a changed 20-word sentence changes ~24 shingles of a 400-word page
# Changes whenever a change here changes fingerprints: fingerprints of two schemes must not be compared.
# The Unicode database version is part of it: it decides which characters are letters, marks or
# punctuation, and it changes with the Python version.
SIGNATURE_SCHEME = f"webcurate-minhash-2/perm{NUM_PERM}/shingle{SHINGLE}/unicode{unicodedata.unidata_version}"
EMPTY_VALUE = np.iinfo(np.uint32).max  # every value of the signature of a text without words

_CHUNK = 2048  # shingles per block of the permutation array: at most 2048 x num_perm x 4 bytes at once
_MAX_NUM_PERM = 1024
_MAX_SHINGLE = 64
_POWERS_KEPT = 1 << 16  # powers of the word polynomial kept (1 MB): a longer text computes its own


def _constants(name: str, count: int) -> np.ndarray:
    """`count` odd pseudo-random uint64 constants derived from blake2b of `name` (stable everywhere)."""
    stream = b"".join(
        hashlib.blake2b(f"webcurate-dedup/{name}/{block}".encode(), digest_size=64).digest()
        for block in range((count * 8 + 63) // 64)
    )
    return np.frombuffer(stream[: count * 8], dtype="<u8").astype(np.uint64) | np.uint64(1)


_POSITION_MULT = _constants("position", _MAX_SHINGLE)
_PERMUTATIONS = _constants("permutation", _MAX_NUM_PERM)
_PERM_A = (_PERMUTATIONS >> np.uint64(32)).astype(np.uint32) | np.uint32(1)
_PERM_B = (_PERMUTATIONS & np.uint64(0xFFFFFFFF)).astype(np.uint32)
_WORD_BASE = _constants("word-polynomial", 1)[0]
_FMIX_1, _FMIX_2 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53)  # murmur3's fmix64
_SPACE = ord(" ")
# Each byte's term of the word polynomial: the byte plus one (so that a zero byte still counts); a space,
# which separates words, none.
_BYTE_TERMS = np.array([0 if code == _SPACE else code + 1 for code in range(256)], dtype=np.uint64)

_ASCII_BYTES = bytes(range(0x80))
# UTF-8 bytes: ASCII word characters lowercased (casefold is lower() in ASCII), other ASCII bytes to space,
# bytes of non-ASCII characters kept (those are dealt with beforehand, one distinct character at a time).
_ASCII_TABLE = bytes(
    code if code >= 0x80 else ord(chr(code).lower()) if re.fullmatch(rb"\w", bytes([code])) else ord(" ")
    for code in range(256)
)


def _char_action(char: str) -> str:
    """What a character of casefolded NFKD text becomes: nothing for a combining mark (an accent after
    NFKD), itself for a word character (ASCII lowercased, as _ASCII_TABLE has it), a space otherwise."""
    if char.isascii():
        return chr(_ASCII_TABLE[ord(char)])
    if unicodedata.category(char) == "Mn":
        return ""
    return char if re.fullmatch(r"\w", char) else " "


class _CharFolds(dict[str, str]):
    """What each non-ASCII character of NFKD text becomes, decided on first sight: its casefold, each
    character of that through _char_action. Casefolding is one character at a time, without context, so
    folding the distinct characters is folding the text (tests check every character)."""

    def __missing__(self, char: str) -> str:
        """Decide a character once."""
        value = "".join(map(_char_action, char.casefold()))
        self[char] = value
        return value


def _powers(base: np.uint64, count: int) -> np.ndarray:
    """base^k mod 2^64 for k < count."""
    powers = np.full(count, base, dtype=np.uint64)
    powers[0] = 1
    return np.cumprod(powers, dtype=np.uint64)  # uint64 products wrap mod 2^64


# The powers of the word polynomial's base and of its inverse mod 2^64 (the base is odd), by byte offset
# in the text: a word's terms are summed at the offsets of the text, then shifted to its own by the
# inverse power of its start. Kept for texts up to _POWERS_KEPT bytes; a longer one gets its own.
_POWERS = _powers(_WORD_BASE, _POWERS_KEPT)
_INVERSE_POWERS = _powers(np.uint64(pow(int(_WORD_BASE), -1, 2**64)), _POWERS_KEPT)


def _fmix64(values: np.ndarray) -> np.ndarray:
    """murmur3's 64-bit finaliser, in place: a bijection whose every output bit depends on every input bit."""
    values ^= values >> np.uint64(33)
    values *= _FMIX_1
    values ^= values >> np.uint64(33)
    values *= _FMIX_2
    values ^= values >> np.uint64(33)
    return values


def _word_hashes(data: bytes) -> np.ndarray:
    """The uint64 hash of each word of normalised bytes (words separated by spaces), in order."""
    codes = np.frombuffer(data, dtype=np.uint8)
    is_word = codes != _SPACE
    starts = np.flatnonzero(is_word[1:] > is_word[:-1]) + 1  # a word byte after a space
    if codes.size and is_word[0]:
        starts = np.concatenate(([0], starts))
    if starts.size == 0:
        return np.empty(0, dtype=np.uint64)
    if codes.size <= _POWERS_KEPT:
        powers, inverse_powers = _POWERS, _INVERSE_POWERS
    else:
        powers = _powers(_WORD_BASE, codes.size)
        inverse_powers = _powers(_INVERSE_POWERS[1], codes.size)
    # take() rather than [] indexing: the same gather without the indexing machinery (~10% of this).
    terms = _BYTE_TERMS.take(codes)
    terms *= powers[: codes.size]
    # A word's sum runs to the next word's start: the spaces between add their zero terms.
    sums = np.add.reduceat(terms, starts)
    sums *= inverse_powers.take(starts)
    return _fmix64(sums)


_FOLDS = _CharFolds()
# Distinct characters a text replaces one by one, a pass over its bytes each; beyond this many (the
# capitals of a Greek or Cyrillic page) one casefold of the whole text first leaves fewer to replace.
_MAX_REPLACED_CHARS = 8


def _words(text: str) -> list[bytes]:
    """The UTF-8 words of the normalised text."""
    return _folded(text).split()


def _replacements(data: bytes) -> list[tuple[str, str]]:
    """The distinct non-ASCII characters of UTF-8 text that the fold changes, with what each becomes."""
    chars = set(data.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass"))
    return [(char, value) for char in chars if (value := _FOLDS[char]) != char]


def _folded(text: str) -> bytes:
    """The normalised text in UTF-8 before its whitespace is collapsed: words separated by runs of spaces.

    A str.translate or regex pass over a page with any non-ASCII character runs at Python speed per
    character. Here every pass is a C loop over the bytes: the page's few distinct non-ASCII characters
    are found by deleting the ASCII bytes, each is replaced where needed (UTF-8 is self-synchronising,
    so an encoded character only matches at character boundaries, and what replaces one is never
    replaced again), and ASCII bytes are mapped by one bytes.translate. Casefolding goes with them: the
    ASCII table lowercases, and a page's non-ASCII capitals are few (NFKD makes "É" an "E" and a mark)."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_TABLE)  # NFKD changes nothing in ASCII
    decomposed = unicodedata.normalize("NFKD", text)  # NFKD first: "℃" decomposes to "°C"
    data = decomposed.encode("utf-8", "surrogatepass")
    replacements = _replacements(data)
    if len(replacements) > _MAX_REPLACED_CHARS:
        data = decomposed.casefold().encode("utf-8", "surrogatepass")
        replacements = _replacements(data)
    for char, value in replacements:
        data = data.replace(char.encode("utf-8", "surrogatepass"), value.encode("utf-8", "surrogatepass"))
    return data.translate(_ASCII_TABLE)


def normalise_for_dedup(text: str) -> str:
    """NFKD, casefolded, accents dropped, non-word characters to spaces, whitespace collapsed to one space."""
    return b" ".join(_words(text)).decode("utf-8")


def _key_of(normalised: bytes) -> int:
    """Signed 64-bit blake2b of the normalised text (Arrow int64; 100k documents collide w.p. ~3e-10)."""
    digest = hashlib.blake2b(normalised, digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def _collapsed(folded: bytes) -> bytes:
    """`b" ".join(folded.split())` (the normalised text) without a bytes object per word."""
    codes = np.frombuffer(folded, dtype=np.uint8)
    is_word = codes != _SPACE
    keep = is_word.copy()
    keep[1:] |= is_word[:-1]  # a word's byte, or the first space after a word
    return bytes(codes[keep].tobytes()).rstrip(b" ")


def exact_key(text: str) -> int:
    """The exact-duplicate key of a text: a signed 64-bit hash of its normalised form."""
    return _key_of(_collapsed(_folded(text)))


def _shingle_keys(hashes: np.ndarray, shingle: int) -> np.ndarray:
    """One uint32 key per `shingle`-gram of the word hashes (one for all the words when there are fewer)."""
    if not 1 <= shingle <= _MAX_SHINGLE:
        raise ValueError(f"shingle must be 1..{_MAX_SHINGLE} words, got {shingle}")
    if not hashes.size:
        return np.empty(0, dtype=np.uint32)
    # Each shingle's sum of its words' hashes times their positions' multipliers, as one correlation of
    # the hashes with the multipliers (its integer dot products wrap mod 2^64, as the sums are defined).
    combined = np.correlate(hashes, _POSITION_MULT[: min(shingle, hashes.size)], "valid")
    # The word hashes are uniform, so the top half of their odd-weighted sum already is.
    return (combined >> np.uint64(32)).astype(np.uint32)


def shingle_hashes(text: str, shingle: int = SHINGLE) -> np.ndarray:
    """The uint32 key of every word `shingle`-gram of a text's normalised form (one if it is shorter)."""
    return _shingle_keys(_word_hashes(_folded(text)), shingle)


# The permutation values of a chunk are written into one array kept per thread: a fresh ~350 KB array per
# page is memory the allocator maps and the kernel zeroes each time (measured ~20% of the signature's CPU
# in the curate step).
_BUFFERS = threading.local()


def _values_buffer(size: int) -> np.ndarray:
    """A uint32 array of at least `size` values, reused by this thread's calls."""
    buffer: np.ndarray | None = getattr(_BUFFERS, "values", None)
    if buffer is None or buffer.size < size:
        buffer = _BUFFERS.values = np.empty(size, dtype=np.uint32)
    return buffer


def minhash_from_hashes(keys: np.ndarray, num_perm: int = NUM_PERM) -> np.ndarray:
    """The MinHash signature (uint32, `num_perm` values) of a set given as uint32 keys.

    An empty set gets EMPTY_VALUE everywhere (the corpus step leaves such documents out of near
    duplicates: they are all exact duplicates of each other)."""
    if not 1 <= num_perm <= _MAX_NUM_PERM:
        raise ValueError(f"num_perm must be 1..{_MAX_NUM_PERM}, got {num_perm}")
    a, b = _PERM_A[:num_perm], _PERM_B[:num_perm, None]
    keys = keys.astype(np.uint32, copy=False)
    if keys.size == 0:
        return np.full(num_perm, EMPTY_VALUE, dtype=np.uint32)
    # (num_perm x shingles): each permutation's values are contiguous, so each minimum is one
    # contiguous reduction (measured ~15% faster than the transposed layout). A page is one chunk, so
    # the minima of its only chunk are the signature: few numpy calls, each one's overhead counts.
    buffer = _values_buffer(num_perm * min(keys.size, _CHUNK))
    best: np.ndarray | None = None
    for start in range(0, keys.size, _CHUNK):
        chunk = keys[start : start + _CHUNK]
        values = buffer[: num_perm * chunk.size].reshape(num_perm, chunk.size)
        # The outer product by einsum: np.multiply broadcasting a column of multipliers runs a scalar
        # loop per row, einsum's loop is ~1.6x faster here (same uint32 products, wrapping mod 2^32).
        np.einsum("p,k->pk", a, chunk, out=values)
        values += b
        low = values.min(axis=1)
        best = low if best is None else np.minimum(best, low, out=best)
    assert best is not None
    return best


def minhash_signature(text: str, *, num_perm: int = NUM_PERM, shingle: int = SHINGLE) -> np.ndarray:
    """The MinHash signature (uint32, `num_perm` values) of the word shingles of a text's normalised form."""
    return minhash_from_hashes(shingle_hashes(text, shingle), num_perm)


@dataclass(frozen=True)
class Fingerprint:
    """What deduplication needs of one document: its exact key and its MinHash signature."""

    exact_key: int
    signature: np.ndarray  # uint32, num_perm values


def fingerprint(text: str, *, num_perm: int = NUM_PERM, shingle: int = SHINGLE) -> Fingerprint:
    """Exact key and MinHash signature of a text, normalising it once (what the worker step calls)."""
    folded = _folded(text)
    keys = _shingle_keys(_word_hashes(folded), shingle)
    return Fingerprint(_key_of(_collapsed(folded)), minhash_from_hashes(keys, num_perm))


def estimated_jaccard(first: np.ndarray, second: np.ndarray) -> float:
    """The Jaccard similarity of two shingle sets estimated from their signatures (share of equal values)."""
    if first.shape != second.shape:
        raise ValueError(f"signatures of different lengths: {first.shape} and {second.shape}")
    return float(np.mean(first == second))


def shingle_jaccard(first: str, second: str, shingle: int = SHINGLE) -> float:
    """The exact Jaccard similarity of two texts' shingle-key sets (for tests and evaluations)."""
    a = set(shingle_hashes(first, shingle).tolist())
    b = set(shingle_hashes(second, shingle).tolist())
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)
