"""Corpus-level deduplication over per-document fingerprints (`pipeline.cleaning.dedup`): exact
duplicates by the key of the normalised text, near duplicates by MinHash with LSH banding, across the
whole corpus and against the documents kept by the previous version.

Input: record batches with `doc_id`, the order columns (by default `source_path`), `dedup_key` (int64)
and `minhash` (list or fixed-size list of uint32); rows with a null key or signature, or a non-null
`skip_reason`, are left out. Optionally the previous version's kept documents as batches of `doc_id`,
`dedup_key`, `minhash`. Output: one row per duplicate (DECISIONS_SCHEMA): the document, the kept
document it duplicates, the rule and the similarity. Documents without a row are kept.

Which document is kept is decided by a fixed order, so the same corpus always gives the same decisions
whatever the order of its rows, and a new version keeps what the previous one kept (unless two of
those have become duplicates of each other):
1. a document the previous version kept: first one in this input, then one only in the previous version;
2. among near duplicates, the document with the most verified near-duplicate neighbours (see below);
3. the smallest order key (`source_path`), then the smallest `doc_id`.

Near duplicates: the signatures are cut into `bands` bands of `rows` values; documents whose values agree
on a whole band become candidates (numpy: each band hashed to a 64-bit key, the keys that share a hash
bucket sorted, equal runs paired in source order, so the pairs depend on the documents alone and not
on what the previous version kept), and a candidate pair is kept when its estimated Jaccard similarity
(the share of equal signature values) reaches the threshold. The verified pairs form clusters (their
connected components; no union-find is needed, the pass below reaches a cluster through its pairs).
A cluster is not merged transitively: in a chain A~B, B~C with A and C below the threshold, making A the kept
document of C would name as "near duplicate" two texts that are not. Instead each cluster is covered
greedily: the first document in the order above is kept, its direct neighbours become its duplicates,
and the next document not yet covered is kept, and so on. So every dropped document is within the
threshold of the document named in its `duplicate_of`; the neighbour count in the order keeps the
chain's middle document B (one kept, two dropped) rather than A and C (two kept). Exact duplicates
are folded first: one representative per exact key takes part in the near-duplicate step, and its
copies follow it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.cleaning.dedup import EMPTY_VALUE

DEFAULT_THRESHOLD = 0.8  # Jaccard similarity of the shingle sets from which two documents are near duplicates
EXACT_RULE = "exact_duplicate"
NEAR_RULE = "near_duplicate"
# A pair exactly at the threshold must become a candidate at least this often (see lsh_params).
CANDIDATE_RECALL = 0.995

# The per-document fingerprint columns the curate stage writes (pipeline.cleaning.dedup.fingerprint).
FINGERPRINT_FIELDS = [
    pa.field("dedup_key", pa.int64()),
    pa.field("minhash", pa.list_(pa.uint32())),
]
DECISIONS_SCHEMA = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("duplicate_of", pa.string(), nullable=False),  # the kept document
        pa.field("rule", pa.string(), nullable=False),  # EXACT_RULE or NEAR_RULE
        pa.field("similarity", pa.float64(), nullable=False),  # 1.0, or the estimated Jaccard similarity
        # False when the kept document is only in the previous version, not among this input's rows.
        pa.field("canonical_in_input", pa.bool_(), nullable=False),
    ]
)

_WINDOW = 16  # in a run of equal band keys: all pairs of runs up to 17, else each with its next 16
_VERIFY_CHUNK = 8192  # candidate pairs compared at once: 2 x 8192 x num_perm x 4 bytes
_PREVIOUS, _PREVIOUS_ONLY, _NEW = 0, 1, 2  # tiers of the keep order
_NO_SIGNATURES = np.empty((0, 0), dtype=np.uint32)  # what a dropped reference to signatures is set to
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
# Odd multipliers combining a band's values into one key (collisions only add candidates to verify).
_BAND_MULT = (np.arange(1, 2 * 1024, 2, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)) | np.uint64(1)


def lsh_params(threshold: float, num_perm: int, target: float = CANDIDATE_RECALL) -> tuple[int, int]:
    """(bands, rows per band): the most rows (fewest spurious candidates) with which a pair of Jaccard
    similarity `threshold` becomes a candidate with probability 1 - (1 - t^rows)^bands >= `target`.

    At the defaults (0.8, 128 values) this is 21 bands of 6 rows (126 values), and a pair becomes a
    candidate with probability 0.28 at J=0.5, 0.63 at J=0.6, 0.93 at J=0.7, 0.998 at J=0.8, 0.99995 at
    J=0.85 and 1 - 1e-7 at J=0.9: the S-curve sits below the threshold, trading extra candidates (cheap
    to verify from the signatures) for recall; 16 bands of 8 rows would miss 5% of pairs at J=0.8."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    best = (num_perm, 1)
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if 1.0 - (1.0 - threshold**rows) ** bands >= target:
            best = (bands, rows)
    return best


@dataclass
class DedupStats:
    """What a deduplication did: documents seen, duplicates found, the LSH work."""

    documents: int = 0
    ignored: int = 0  # rows without a fingerprint (skipped documents)
    previous_only: int = 0  # previous version's kept documents not in this input
    exact: int = 0
    near: int = 0
    candidate_pairs: int = 0
    verified_pairs: int = 0
    bands: int = 0
    rows: int = 0
    seconds: float = 0.0


@dataclass
class Dedup:
    """The decisions (one row per duplicate, DECISIONS_SCHEMA) and the counts."""

    decisions: pa.Table
    stats: DedupStats = field(default_factory=DedupStats)


@dataclass
class _Fingerprints:
    """Fingerprints read from batches: ids, order columns, exact keys and signatures (n x num_perm)."""

    doc_ids: pa.Array
    order: list[pa.Array]
    keys: np.ndarray
    signatures: np.ndarray
    ignored: int


def _signatures(column: pa.Array) -> np.ndarray:
    """A (rows x num_perm) uint32 array from a list or fixed-size list column without nulls."""
    if len(column) == 0:
        return np.empty((0, 0), dtype=np.uint32)
    lengths = pc.list_value_length(column).to_numpy(zero_copy_only=False)
    width = int(lengths[0])
    if width == 0 or (lengths != width).any():
        raise ValueError(f"minhash signatures must all have the same non-zero length; found {set(lengths)}")
    values: np.ndarray = pc.list_flatten(column).to_numpy(zero_copy_only=False)
    return values.astype(np.uint32, copy=False).reshape(-1, width)


def _read(batches: Iterable[pa.RecordBatch], order_by: Sequence[str]) -> _Fingerprints:
    """The fingerprints of the usable rows of `batches` (not skipped, with a key and a signature)."""
    ids: list[pa.Array] = []
    order: list[list[pa.Array]] = [[] for _ in order_by]
    keys: list[np.ndarray] = []
    signatures: list[np.ndarray] = []
    ignored = 0
    for batch in batches:
        usable = pc.and_(pc.is_valid(batch.column("dedup_key")), pc.is_valid(batch.column("minhash")))
        if "skip_reason" in batch.schema.names:
            usable = pc.and_(usable, pc.is_null(batch.column("skip_reason")))
        # Filtered only when some row is not usable: copying a batch (signatures and all) that keeps
        # every row cost more than the rest of the reading.
        rows = batch if usable.true_count == batch.num_rows else batch.filter(usable)
        ignored += batch.num_rows - rows.num_rows
        if not rows.num_rows:
            continue
        ids.append(rows.column("doc_id").cast(pa.string()))
        for column, name in zip(order, order_by, strict=True):
            column.append(rows.column(name))
        keys.append(rows.column("dedup_key").to_numpy(zero_copy_only=False).astype(np.int64, copy=False))
        signatures.append(_signatures(rows.column("minhash")))
    widths = {s.shape[1] for s in signatures}
    if len(widths) > 1:
        raise ValueError(f"minhash signatures of different lengths: {sorted(widths)}")
    width = widths.pop() if widths else 0
    return _Fingerprints(
        pa.concat_arrays(ids) if ids else pa.array([], pa.string()),
        [pa.concat_arrays(c) if c else pa.array([], pa.string()) for c in order],
        np.concatenate(keys) if keys else np.empty(0, dtype=np.int64),
        np.concatenate(signatures) if signatures else np.empty((0, width), dtype=np.uint32),
        ignored,
    )


def _mix(values: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser, elementwise on uint64 (in place)."""
    values ^= values >> np.uint64(30)
    values *= _MIX1
    values ^= values >> np.uint64(27)
    values *= _MIX2
    values ^= values >> np.uint64(31)
    return values


def _band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(bands x n) uint64: each band's `rows` values of every signature combined into one mixed key."""
    n = signatures.shape[0]
    values = signatures[:, : bands * rows].astype(np.uint64).reshape(n, bands, rows)
    keys = values[:, :, 0] * _BAND_MULT[0]
    for offset in range(1, rows):
        keys += values[:, :, offset] * _BAND_MULT[offset]
    keys = np.ascontiguousarray(keys.T)  # a band's keys contiguous, for the sorts
    return _mix(keys)


def _shared_keys(keys: np.ndarray) -> np.ndarray:
    """Row indices (ascending) whose key may occur twice: those whose hash bucket holds more than one.

    Why: most keys are unique and sorting all of them was the most expensive step; a key that occurs
    twice always shares its bucket, so sorting only these rows finds every run of equal keys."""
    buckets = 1 << max(4, (8 * keys.size - 1).bit_length())  # about one row in nine collides
    bucket = (keys & np.uint64(buckets - 1)).astype(np.intp)
    return np.flatnonzero(np.bincount(bucket, minlength=buckets)[bucket] > 1)


def candidate_pairs(signatures: np.ndarray, bands: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j, row indices) of signatures equal on at least one band, each pair once, by (i, j).

    In a run of equal band keys (in row order) the first row is paired with every other row of the run
    (so a large cluster's rows all meet one common row, however large the run), besides each row with its
    next _WINDOW rows. The pairs depend on the rows and their order only: find_duplicates passes them
    in source order, which does not change with what a previous version kept."""
    n = signatures.shape[0]
    if bands * rows > signatures.shape[1]:
        raise ValueError(f"{bands} bands x {rows} rows exceed the {signatures.shape[1]} signature values")
    # All bands' runs side by side: each band's rows that may share a key, stable-sorted by key.
    ordered: list[np.ndarray] = []
    members: list[np.ndarray] = []
    for key in _band_keys(signatures, bands, rows):
        shared = _shared_keys(key)
        place = shared[np.argsort(key[shared], kind="stable")]
        ordered.append(key[place])
        members.append(place)
    if not members or not sum(m.size for m in members):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    keys = np.concatenate(ordered)
    row = np.concatenate(members).astype(np.int64)
    starts_run = np.ones(keys.size, dtype=bool)
    starts_run[1:] = keys[1:] != keys[:-1]
    band_ends = np.cumsum([m.size for m in members])
    starts_run[band_ends[band_ends < keys.size]] = True  # a run never spans two bands
    positions = np.arange(keys.size)
    run_start = np.maximum.accumulate(np.where(starts_run, positions, 0))
    run_end = np.append(np.flatnonzero(starts_run)[1:], keys.size)[np.cumsum(starts_run) - 1]
    # Each row with its next rows of the run, up to _WINDOW of them (all pairs of a run up to 17 rows).
    ahead = np.minimum(run_end - positions - 1, _WINDOW)
    low = np.repeat(positions, ahead)
    high = low + np.arange(low.size) - np.repeat(np.cumsum(ahead) - ahead, ahead) + 1
    # The run's first row with the rows beyond the window (the others are among the pairs above).
    far = np.flatnonzero(positions - run_start > _WINDOW)
    low = np.concatenate((row[low], row[run_start[far]]))
    high = np.concatenate((row[high], row[far]))
    codes = np.minimum(low, high) * n + np.maximum(low, high)
    codes.sort()
    first_of_code = np.ones(codes.size, dtype=bool)
    first_of_code[1:] = codes[1:] != codes[:-1]
    unique = codes[first_of_code]
    return unique // n, unique % n


def agreements(signatures: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """How many signature values each pair (first[i], second[i]) shares, in chunks of bounded memory."""
    counts = np.empty(first.size, dtype=np.int32)
    for start in range(0, first.size, _VERIFY_CHUNK):
        stop = start + _VERIFY_CHUNK
        same = signatures[first[start:stop]] == signatures[second[start:stop]]
        counts[start:stop] = np.count_nonzero(same, axis=1)
    return counts


def _cover(
    n: int, first: np.ndarray, second: np.ndarray, similarity: np.ndarray, tiers: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For every node, the kept node it duplicates (-1: none) and their similarity, covering each cluster
    of verified pairs greedily in keep order (by tier, then more neighbours first, then index)."""
    kept_by = np.full(n, -1, dtype=np.int64)
    kept_similarity = np.zeros(n, dtype=np.float64)
    if first.size == 0:
        return kept_by, kept_similarity
    source = np.concatenate((first, second))
    target = np.concatenate((second, first))
    weight = np.concatenate((similarity, similarity))
    by_source = np.argsort(source, kind="stable")
    source, target, weight = source[by_source], target[by_source], weight[by_source]
    degree = np.bincount(source, minlength=n)
    bounds = np.concatenate(([0], np.cumsum(degree))).tolist()
    nodes = np.flatnonzero(degree)
    visit = nodes[np.lexsort((nodes, -degree[nodes], tiers[nodes]))].tolist()
    targets, weights = target.tolist(), weight.tolist()
    covered = np.zeros(n, dtype=bool)
    for node in visit:
        if covered[node]:
            continue
        covered[node] = True  # kept
        for edge in range(bounds[node], bounds[node + 1]):
            neighbour = targets[edge]
            if not covered[neighbour]:
                covered[neighbour] = True
                kept_by[neighbour] = node
                kept_similarity[neighbour] = weights[edge]
    return kept_by, kept_similarity


@dataclass
class _Nodes:
    """The documents to decide on in keep order (a node's index is its place): this input's documents
    and the previous version's kept documents that are not among them."""

    doc_ids: pa.Array
    tiers: np.ndarray
    source_rank: np.ndarray  # each node's place in source order (the order columns, then doc_id)
    keys: np.ndarray
    signatures: np.ndarray


def _nodes(
    current: _Fingerprints, earlier: _Fingerprints, kept_before: pa.Array, stats: DedupStats
) -> _Nodes:
    """This input's and the previous-only documents in keep order: by tier, then source order (order
    columns, then doc_id). `kept_before` names more previous documents among this input's."""
    if earlier.signatures.size and earlier.signatures.shape[1] != current.signatures.shape[1]:
        raise ValueError(
            f"the previous version's signatures have {earlier.signatures.shape[1]} values and these "
            f"{current.signatures.shape[1]}: made by another scheme, they cannot be compared"
        )
    previous_ids = pa.concat_arrays([earlier.doc_ids, kept_before.cast(pa.string())])
    was_kept = pc.is_in(current.doc_ids, value_set=previous_ids).to_numpy(zero_copy_only=False)
    only_before = pc.invert(pc.is_in(earlier.doc_ids, value_set=current.doc_ids))
    mask = only_before.to_numpy(zero_copy_only=False)
    extra = stats.previous_only = int(mask.sum())
    tiers = np.concatenate((np.where(was_kept, _PREVIOUS, _NEW), np.full(extra, _PREVIOUS_ONLY)))
    doc_ids = pa.concat_arrays([current.doc_ids, earlier.doc_ids.filter(only_before)])
    keys = np.concatenate((current.keys, earlier.keys[mask]))
    signatures = current.signatures
    if extra:
        signatures = np.concatenate((signatures, earlier.signatures[mask]))
    # Only `signatures` refers to them from here, so reordering them frees the unordered copy.
    current.signatures = earlier.signatures = _NO_SIGNATURES
    ranking = pa.table(
        {
            **{
                f"order_{i}": pa.concat_arrays([c, pa.nulls(extra, c.type)])
                for i, c in enumerate(current.order)
            },
            "doc_id": doc_ids,
        }
    )
    sort_keys = [(name, "ascending") for name in ranking.column_names]
    in_source_order = pc.sort_indices(ranking, sort_keys=sort_keys).to_numpy()  # nulls (previous-only) last
    source_rank = np.argsort(tiers[in_source_order], kind="stable")  # source places, by tier: keep order
    place = in_source_order[source_rank]
    return _Nodes(doc_ids.take(pa.array(place)), tiers[place], source_rank, keys[place], signatures[place])


def _representatives(keys: np.ndarray) -> np.ndarray:
    """For each node, the first node (in keep order) with its exact key."""
    n = keys.size
    by_key = np.argsort(keys, kind="stable")
    starts = np.concatenate(([True], keys[by_key][1:] != keys[by_key][:-1]))
    representative = np.empty(n, dtype=np.int64)
    representative[by_key] = by_key[np.maximum.accumulate(np.where(starts, np.arange(n), 0))]
    return representative


def _near(
    nodes: _Nodes, candidates: np.ndarray, threshold: float, stats: DedupStats
) -> tuple[np.ndarray, np.ndarray]:
    """For each node, the kept node it is a near duplicate of (-1: none) and their estimated similarity,
    among the `candidates` (exact-key representatives with at least one shingle)."""
    width = nodes.signatures.shape[1]
    stats.bands, stats.rows = lsh_params(threshold, width)
    # Pairs are found in source order, not keep order, so that they depend on the documents alone and
    # not on which ones the previous version kept (see candidate_pairs and stages.dedup._equivalent).
    candidates = candidates[np.argsort(nodes.source_rank[candidates])]
    signatures = nodes.signatures
    nodes.signatures = _NO_SIGNATURES  # freed once the candidates' rows are copied out
    if candidates.size != signatures.shape[0] or (candidates[1:] < candidates[:-1]).any():
        signatures = signatures[candidates]
    first, second = candidate_pairs(signatures, stats.bands, stats.rows)
    stats.candidate_pairs = int(first.size)
    shared = agreements(signatures, first, second)
    verified = shared >= math.ceil(threshold * width - 1e-9)
    stats.verified_pairs = int(verified.sum())
    return _cover(
        len(nodes.doc_ids),
        candidates[first[verified]],
        candidates[second[verified]],
        shared[verified] / width,
        nodes.tiers,
    )


def find_duplicates(
    batches: Iterable[pa.RecordBatch],
    previous: Iterable[pa.RecordBatch] = (),
    *,
    kept_before: pa.Array | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    order_by: Sequence[str] = ("source_path",),
) -> Dedup:
    """Exact and near duplicates among the documents of `batches` and against `previous` (the previous
    version's kept documents): one decision row per duplicate, naming the kept document.

    A previous document that is also in `batches` needs no fingerprints of its own: `kept_before` names
    such documents by doc_id, and they are kept first as if `previous` held them.

    Memory: the signatures of all documents (n x num_perm x 4 bytes, 51 MB for 100k documents at 128
    values) and, at the peak, a second copy of them (while they are put in keep order)."""
    started = time.perf_counter()
    current = _read(batches, order_by)
    stats = DedupStats(documents=len(current.doc_ids), ignored=current.ignored)
    if not stats.documents:
        stats.seconds = time.perf_counter() - started
        return Dedup(DECISIONS_SCHEMA.empty_table(), stats)
    kept_ids = kept_before if kept_before is not None else pa.array([], pa.string())
    nodes = _nodes(current, _read(previous, ()), kept_ids, stats)
    representative = _representatives(nodes.keys)
    is_representative = representative == np.arange(len(nodes.doc_ids))
    empty = (nodes.signatures == EMPTY_VALUE).all(axis=1)
    kept_by, kept_similarity = _near(nodes, np.flatnonzero(is_representative & ~empty), threshold, stats)

    # A node whose representative is covered by a kept node is its near duplicate (and so are the
    # representative's exact copies); any other node that is not a representative is an exact duplicate.
    near_target = kept_by[representative]
    is_near = near_target >= 0
    is_exact = ~is_representative & ~is_near
    in_input = nodes.tiers != _PREVIOUS_ONLY
    chosen = np.flatnonzero(in_input & (is_near | is_exact))
    duplicate_of = np.where(is_near, near_target, representative)[chosen]
    similarity = np.where(is_near, kept_similarity[representative], 1.0)[chosen]
    decisions = pa.table(
        [
            nodes.doc_ids.take(pa.array(chosen)),
            nodes.doc_ids.take(pa.array(duplicate_of)),
            pa.array(np.where(is_near[chosen], NEAR_RULE, EXACT_RULE).tolist(), pa.string()),
            pa.array(similarity, pa.float64()),
            pa.array(in_input[duplicate_of]),
        ],
        schema=DECISIONS_SCHEMA,
    )
    stats.exact = int((is_exact & in_input).sum())
    stats.near = int((is_near & in_input).sum())
    stats.seconds = time.perf_counter() - started
    return Dedup(decisions, stats)
