"""Deduplication fingerprints: normalisation, exact keys, MinHash signatures and their stability."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.cleaning import dedup
from pipeline.cleaning.dedup import (
    EMPTY_VALUE,
    NUM_PERM,
    estimated_jaccard,
    exact_key,
    fingerprint,
    minhash_signature,
    normalise_for_dedup,
    shingle_hashes,
    shingle_jaccard,
)

REPO = Path(__file__).resolve().parents[2]
# Thirty-eight words in sentences of eight: 5-word shingles of random prose hardly ever repeat.
VOCABULARY = (
    "river harbour council budget school teacher station market bridge winter summer train library museum "
    "garden festival weather storm village mayor report hospital doctor nurse street bakery farmer harvest "
    "orchard ferry island lighthouse concert theatre painter gallery election vote"
)
WORDS = VOCABULARY.split()


def prose(seed: int, n_words: int) -> str:
    """A deterministic text of `n_words` words in sentences of eight."""
    rng = random.Random(seed)
    words = [rng.choice(WORDS) for _ in range(n_words)]
    return " ".join(" ".join(words[i : i + 8]).capitalize() + "." for i in range(0, n_words, 8))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Hello,\tWORLD!\n\n", "hello world"),
        ("Größe und Café", "grosse und cafe"),  # casefold: ß -> ss; accents dropped after NFKD
        ("naïve coöperation", "naive cooperation"),  # a mark inside a word does not split it
        ("“Quoted” — text…", "quoted text"),
        ("non\u00a0breaking\u2009spaces", "non breaking spaces"),
        ("ﬁne ①", "fine 1"),  # compatibility forms
        ("Price: 12.99 EUR", "price 12 99 eur"),  # digits are kept
        ("snake_case stays", "snake_case stays"),
        ("", ""),
        (" ... ", ""),
    ],
)
def test_normalise_for_dedup(text: str, expected: str) -> None:
    assert normalise_for_dedup(text) == expected


def reference_fold(text: str) -> bytes:
    """The fold spelt out: NFKD, casefold, combining marks dropped, other non-word characters to spaces."""
    folded = unicodedata.normalize("NFKD", text).casefold()
    kept = ("" if unicodedata.category(c) == "Mn" else c if re.fullmatch(r"\w", c) else " " for c in folded)
    return "".join(kept).encode("utf-8", "surrogatepass")


def test_the_fold_of_every_character_is_nfkd_casefold_and_the_character_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = [
        " ".join(f"A{chr(code)}b" for code in range(start, start + 64)) for start in range(0, 0x110000, 64)
    ]
    expected = [reference_fold(text) for text in texts]
    # Each path: a few replacements, casefold of the whole text first (0), every character replaced alone.
    for max_replaced in (dedup._MAX_REPLACED_CHARS, 0, 10**6):
        monkeypatch.setattr(dedup, "_MAX_REPLACED_CHARS", max_replaced)
        assert [dedup._folded(text) for text in texts] == expected
    # What a character is replaced by is never replaced again.
    assert all(
        dedup._FOLDS[c] == c for value in list(dedup._FOLDS.values()) for c in value if not c.isascii()
    )


def test_exact_key_ignores_whitespace_case_and_punctuation() -> None:
    text = prose(1, 80)
    variants = [
        text.upper(),
        text.replace(" ", "  \n "),
        text.replace(".", "!").replace(" ", "\u00a0", 10),
        f"“{text}”\n",
    ]
    assert {exact_key(v) for v in variants} == {exact_key(text)}
    assert exact_key(text + " extra") != exact_key(text)
    assert exact_key("Chapter 1") != exact_key("Chapter 2")


def test_exact_key_is_blake2b_of_the_normalised_text() -> None:
    digest = hashlib.blake2b(b"hello world", digest_size=8).digest()
    assert exact_key("Hello, World!") == int.from_bytes(digest, "little", signed=True)


def test_signature_shape_and_type() -> None:
    signature = minhash_signature(prose(2, 50))
    assert signature.dtype == np.uint32
    assert signature.shape == (NUM_PERM,)
    assert minhash_signature(prose(2, 50), num_perm=64).shape == (64,)
    # The first values do not depend on how many there are.
    assert (minhash_signature(prose(2, 50), num_perm=64) == signature[:64]).all()


def test_empty_and_short_texts() -> None:
    assert (minhash_signature("") == EMPTY_VALUE).all()
    assert (minhash_signature(" ,.; ") == EMPTY_VALUE).all()
    short = minhash_signature("three short words")
    assert not (short == EMPTY_VALUE).all()  # fewer words than a shingle: one shingle of them all
    assert estimated_jaccard(short, minhash_signature("Three, SHORT words!")) == 1.0


def test_shingle_key_does_not_depend_on_position() -> None:
    first = shingle_hashes("x a b c d e")
    second = shingle_hashes("a b c d e y")
    assert first[1] == second[0]
    assert len(set(shingle_hashes(prose(3, 200)).tolist())) > 150


def test_near_duplicate_above_threshold_and_hard_negative_below() -> None:
    text = prose(4, 240)
    words = text.split(" ")
    words[120] = "changed"
    near = " ".join(words) + " Share on Facebook."
    assert shingle_jaccard(text, near) >= 0.9
    assert estimated_jaccard(minhash_signature(text), minhash_signature(near)) >= 0.8
    # Same opening and closing template, different body: a hard negative.
    template = prose(5, 160)
    first, second = f"{template}\n{prose(6, 80)}", f"{template}\n{prose(7, 80)}"
    assert 0.4 < shingle_jaccard(first, second) < 0.6
    assert estimated_jaccard(minhash_signature(first), minhash_signature(second)) < 0.8


def test_estimate_tracks_exact_jaccard() -> None:
    base = prose(8, 400).split(" ")
    for seed, changed in enumerate((0, 4, 10, 25, 60)):
        rng = random.Random(seed)
        words = list(base)
        for index in rng.sample(range(len(words)), changed):
            words[index] = f"w{index}"
        edited = " ".join(words)
        exact = shingle_jaccard(" ".join(base), edited)
        estimate = estimated_jaccard(minhash_signature(" ".join(base)), minhash_signature(edited))
        sigma = max((exact * (1 - exact) / NUM_PERM) ** 0.5, 0.01)
        assert abs(estimate - exact) <= 4 * sigma, (changed, exact, estimate)


def test_fingerprint_matches_the_separate_functions() -> None:
    text = prose(9, 60)
    found = fingerprint(text)
    assert found.exact_key == exact_key(text)
    assert (found.signature == minhash_signature(text)).all()


# Normalised bytes hold no ASCII whitespace but spaces, which separate the words.
NO_WHITESPACE = bytes.maketrans(b" \t\n\r\x0b\x0c", b"xxxxxx")


def reference_word_hash(word: bytes) -> int:
    """The documented word hash spelt out: murmur3's fmix64 of sum((byte_k + 1) x P^k) mod 2^64."""
    mask = 2**64 - 1
    base = int(dedup._WORD_BASE)
    value = sum((byte + 1) * pow(base, k, 2**64) for k, byte in enumerate(word)) & mask
    value ^= value >> 33
    value = (value * 0xFF51AFD7ED558CCD) & mask
    value ^= value >> 33
    value = (value * 0xC4CEB9FE1A85EC53) & mask
    return value ^ (value >> 33)


@given(
    st.lists(st.binary(min_size=1, max_size=40).map(lambda w: w.translate(NO_WHITESPACE)), max_size=30),
    st.lists(st.integers(1, 3), min_size=31, max_size=31),
    st.booleans(),
)
@settings(max_examples=200, deadline=None)
def test_word_hashes_are_the_documented_hash_of_each_word(
    words: list[bytes], gaps: list[int], lead: bool
) -> None:
    data = b" " * lead + b"".join(word + b" " * gap for word, gap in zip(words, gaps, strict=False))
    assert dedup._word_hashes(data).tolist() == [reference_word_hash(word) for word in words]
    assert dedup._collapsed(data) == b" ".join(data.split())


def test_a_text_longer_than_the_kept_powers_hashes_its_words_the_same() -> None:
    data = b" ".join(bytes([97 + i % 26]) * (1 + i % 7) for i in range(20_000))
    assert len(data) > dedup._POWERS_KEPT
    assert dedup._word_hashes(data).tolist() == [reference_word_hash(word) for word in data.split()]
    assert dedup._word_hashes(b"caf\xc3\xa9 " + data)[1:].tolist() == dedup._word_hashes(data).tolist()


def test_word_hashes_of_near_identical_words_are_distinct_and_spread() -> None:
    """Words that differ in a byte or two (counters, ids) get distinct hashes whose top bits, the ones
    the shingle keys keep, are spread evenly: no structure of the polynomial survives the finaliser."""
    words = [f"w{i}" for i in range(100_000)] + [f"{i:06d}x" for i in range(100_000)]
    hashes = dedup._word_hashes(" ".join(words).encode())
    assert len(hashes) == len(words) == len(set(hashes.tolist()))
    counts = np.bincount((hashes >> np.uint64(56)).astype(np.int64), minlength=256)
    expected = len(words) / 256
    chi_square = float(((counts - expected) ** 2 / expected).sum())
    assert chi_square < 350  # 255 degrees of freedom: above 350 happens by chance w.p. ~1e-4


def test_fingerprints_are_pinned_to_the_scheme() -> None:
    """Values fixed by SIGNATURE_SCHEME: a change that fails this changes every fingerprint, and must
    change the scheme's name (and these values) with it."""
    assert dedup.SIGNATURE_SCHEME.startswith("webcurate-minhash-2/perm128/shingle5/")
    assert dedup._word_hashes("hello café".encode()).tolist() == [17557695262992104046, 16389667647791783296]
    found = fingerprint(prose(14, 60))
    assert found.signature[:6].tolist() == [132918460, 87180150, 3853350, 31933550, 232126659, 20199995]
    assert found.exact_key == 4779262419303661141


def test_fingerprints_equal_across_processes() -> None:
    texts = [prose(11, 70), "Größe und Café — “quoted”", "short"]
    script = (
        "import json, sys\n"
        "from pipeline.cleaning.dedup import fingerprint\n"
        "texts = json.loads(sys.stdin.read())\n"
        "found = [fingerprint(text) for text in reversed(texts)]\n"
        "print(json.dumps([[f.exact_key, f.signature.tolist()] for f in found]))\n"
    )
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script],
            input=json.dumps(texts),
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
            env=env,
        )
        outputs.append(json.loads(done.stdout)[::-1])
    here = [[f.exact_key, f.signature.tolist()] for f in map(fingerprint, texts)]
    assert outputs[0] == outputs[1] == here


def test_invalid_parameters() -> None:
    with pytest.raises(ValueError, match="num_perm"):
        minhash_signature("a b c", num_perm=0)
    with pytest.raises(ValueError, match="shingle"):
        minhash_signature("a b c", shingle=0)


@pytest.mark.parametrize("shingle", [1, 2, 5, 9])
@pytest.mark.parametrize("n_words", [1, 3, 5, 6, 40])
def test_shingle_keys_are_the_top_half_of_the_weighted_sum_of_word_hashes(shingle: int, n_words: int) -> None:
    """Each key is the top 32 bits of sum(hash(word) x multiplier of its position) mod 2^64, as documented
    (one key for all the words when there are fewer than a shingle)."""
    words = normalise_for_dedup(prose(n_words, n_words)).split()
    hashes = [reference_word_hash(word.encode()) for word in words]
    multipliers = [int(m) for m in dedup._POSITION_MULT]
    width = min(shingle, len(words))
    expected = [
        (sum(hashes[i + p] * multipliers[p] for p in range(width)) % 2**64) >> 32
        for i in range(len(words) - width + 1)
    ]
    keys = shingle_hashes(prose(n_words, n_words), shingle)
    assert keys.dtype == np.uint32
    assert keys.tolist() == expected


def test_signature_is_the_minimum_of_each_permutation() -> None:
    """Value k of the signature is min((a_k x key + b_k) mod 2^32) over the shingle keys."""
    text = prose(13, 50)
    keys = [int(k) for k in shingle_hashes(text)]
    a = [int(x) for x in dedup._PERM_A[:NUM_PERM]]
    b = [int(x) for x in dedup._PERM_B[:NUM_PERM]]
    expected = [min((a[k] * key + b[k]) % 2**32 for key in keys) for k in range(NUM_PERM)]
    assert minhash_signature(text).tolist() == expected
