"""What the intermediate stages say about a run, as numbers for plots and warnings for checks (pure).

The plotted numbers (`plotted`) are plain ints and floats: documents, computed, reused, skipped, the
share of characters each rule group removed, each language's share of the documents. The warnings
(`skip_rate`, `removal_rate`, `language_mix`) compare a run with fixed limits or with the same stage's
previous run, which its parts recorded (StageStats.previous).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipeline.datasets.stages.core import StageStats

MAX_SKIP_RATE = 0.05  # more than 5% of the files skipped (unreadable, binary, empty, timed out …)
MAX_REMOVAL_RATE = 0.8  # boilerplate removal took more than 80% of the characters
MAX_REMOVAL_CHANGE = 0.5  # the removed share moved by more than half of itself since the last run…
MIN_REMOVAL_DELTA = 0.05  # …and by at least five points
MAX_LANGUAGE_TVD = 0.1  # the documents' language mix moved this far (total variation distance)


@dataclass(frozen=True)
class Finding:
    """One check's outcome: whether it passed, what it measured, and why."""

    passed: bool
    value: float
    limit: float
    message: str
    metadata: dict[str, Any] = field(default_factory=dict)


def documents(stats: StageStats) -> int:
    """Documents the stage kept (not skipped)."""
    return stats.rows - len(stats.skipped)


def shares(counts: dict[str, int]) -> dict[str, float]:
    """Each key's share of the total, rounded for metadata (empty for no counts)."""
    total = sum(counts.values())
    return {key: round(n / total, 6) for key, n in sorted(counts.items())} if total else {}


def plotted(stats: StageStats) -> dict[str, int | float]:
    """The numbers every per-document stage reports: documents, computed, reused, skipped, skip rate."""
    return {
        "documents": documents(stats),
        "computed": stats.cache.computed,
        "reused_from_cache": stats.cache.reused,
        "skipped": len(stats.skipped),
        "skip_rate": round(len(stats.skipped) / stats.rows, 6) if stats.rows else 0.0,
    }


def removed_shares(stats: StageStats) -> dict[str, float]:
    """The share of the characters before cleaning that each rule group removed (curate's totals)."""
    before = stats.totals["n_chars"] + stats.totals["removed_chars"]
    groups = {
        name.split(":", 1)[1]: n for name, n in stats.totals.items() if name.startswith("removed_chars:")
    }
    return {group: round(n / before, 6) for group, n in sorted(groups.items())} if before else {}


def removal_rate(stats: StageStats) -> float:
    """The share of the characters before cleaning that boilerplate removal took."""
    before = stats.totals["n_chars"] + stats.totals["removed_chars"]
    return stats.totals["removed_chars"] / before if before else 0.0


def check_skip_rate(stats: StageStats) -> Finding:
    """Warn when more than MAX_SKIP_RATE of the files were skipped."""
    rate = len(stats.skipped) / stats.rows if stats.rows else 0.0
    reasons: dict[str, int] = {}
    for entry in stats.skipped:
        reason = entry["reason"].split(":", 1)[0]
        reasons[reason] = reasons.get(reason, 0) + 1
    message = (
        f"{len(stats.skipped):,} of {stats.rows:,} files skipped ({rate:.1%}; limit {MAX_SKIP_RATE:.0%})"
    )
    return Finding(rate <= MAX_SKIP_RATE, round(rate, 6), MAX_SKIP_RATE, message, {"by_reason": reasons})


def check_removal_rate(stats: StageStats) -> Finding:
    """Warn when removal took more than MAX_REMOVAL_RATE of the text, or moved far since the last run."""
    rate = removal_rate(stats)
    previous = removal_rate(stats.previous) if stats.previous is not None else None
    jumped = (
        previous is not None
        and abs(rate - previous) >= MIN_REMOVAL_DELTA
        and (previous == 0 or abs(rate / previous - 1) > MAX_REMOVAL_CHANGE)
    )
    message = f"removed {rate:.1%} of the characters"
    if previous is not None:
        message += f" (previous run {previous:.1%})"
    metadata = {"previous": round(previous, 6) if previous is not None else "none"}
    return Finding(
        rate <= MAX_REMOVAL_RATE and not jumped, round(rate, 6), MAX_REMOVAL_RATE, message, metadata
    )


def check_language_mix(stats: StageStats) -> Finding:
    """Warn when the documents' language mix moved more than MAX_LANGUAGE_TVD since the last run."""
    now = shares(stats.tally_of("language"))
    if stats.previous is None:
        return Finding(True, 0.0, MAX_LANGUAGE_TVD, "no previous run to compare with", {"languages": now})
    before = shares(stats.previous.tally_of("language"))
    distance = 0.5 * sum(abs(now.get(k, 0.0) - before.get(k, 0.0)) for k in set(now) | set(before))
    message = f"language mix moved {distance:.3f} (total variation distance; limit {MAX_LANGUAGE_TVD})"
    metadata = {"languages": now, "previous_languages": before}
    return Finding(distance <= MAX_LANGUAGE_TVD, round(distance, 6), MAX_LANGUAGE_TVD, message, metadata)
