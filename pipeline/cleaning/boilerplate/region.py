"""The document-level stage over the model's line scores: the comment thread and the main region.

A line score says how much a line looks like article text on its own and among its neighbours, but the
share of article per page runs from 5% to 80%, so one global threshold keeps too much on chrome-heavy
pages and too little on clean ones. Two document-level facts correct it:

1. **The comment thread.** Readers' comments read like article prose. A thread opens with a header
   ("12 Comments", "Leave a Reply") or a cluster of comment markers ("Jane says:", "Reply") once the
   article has been read (THREAD_MIN_CONTENT_CHARS of confident article text before it); from there to
   the end the page is comments and the forms, archives and footers under them.
2. **The main region.** An article is one contiguous stretch of the page (title, byline, body). The
   stretch is the one maximising the sum of (score - threshold) weighted by the square root of each
   line's length (a maximum-scoring segment, as in body-text extraction): long confident lines pull it
   wide, runs of short chrome lines end it. Inside it a line is kept down to a lower score (a short
   line between paragraphs is a subheading, not a menu); outside it only a very confident line is.
   The lines a certain rule removed as end furniture (share buttons, menus, related links, legal
   lines) are walls: the stretch pays WALL_COST for each to reach across it, so the teasers and link
   lists under a short article's share bar stay outside, while an article that goes on at length past
   a share line inside it still pays its way across.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pipeline.cleaning.boilerplate.comments import (
    FORM_MAX_AFTER,
    FORUM_MIN_POSTS,
    MARKER_CLUSTER,
    THREAD_MIN_CONTENT_CHARS,
)

KEEP = 0
MODEL = 1  # the line's own score is below the threshold
OUTSIDE = 2  # outside the main region and not confident enough to stand alone
COMMENTS = 3  # in the comment thread

INSIDE_MARGIN = 0.2  # inside the region a line is kept down to threshold - this
OUTSIDE_MIN = 0.9  # outside it only lines at least this confident are kept
WEIGHT_POWER = 0.5  # a line weighs (its length) ** this in the region's sum
PROSE_PULL = 0.1
MAX_STRETCHES = 3  # the main region is at most this many stretches ...
SECOND_STRETCH_SHARE = 0.5  # ... each scoring at least this share of the best one
TITLE_REACH = 6  # a headline is kept this many lines above the region (byline, date, buttons between)
# What the region pays to reach across one line of end furniture: about what one strong paragraph gains
# (a 400-character line scored 0.95 adds 20 x 0.45 = 9). Higher costs trade line-labels recall for
# dragnet precision (the data card's "Walls of end furniture").
WALL_COST = 10.0


@dataclass(frozen=True)
class RegionSettings:
    """How the stage decides: the model threshold, and whether comment threads stay."""

    threshold: float = 0.5
    keep_comments: bool = False


def comment_thread_start(
    score: np.ndarray,
    chars: np.ndarray,
    header: np.ndarray,
    marker: np.ndarray,
    threshold: float,
    form: Callable[[int], bool] = lambda i: False,
    members: np.ndarray | None = None,
) -> int | None:
    """The line where a comment thread starts, or None: a header, or a marker with another close under
    it, after at least THREAD_MIN_CONTENT_CHARS (or half) of the document's confident article text. A
    header that is a comment `form` opens it only when little article text follows (FORM_MAX_AFTER).
    A forum thread has none: its `members` lines (a post's member box) are FORUM_MIN_POSTS or more, the
    first before that much article text."""
    candidates = np.flatnonzero((header > 0) | (marker > 0))
    if len(candidates) == 0:  # most documents: no header nor marker
        return None
    content = np.where(score >= threshold, chars, 0.0)
    total = float(content.sum())
    if total <= 0:
        return None
    read = np.cumsum(content)
    need = min(THREAD_MIN_CONTENT_CHARS, 0.5 * total)
    if members is not None:
        boxes = np.flatnonzero(members)
        if len(boxes) >= FORUM_MIN_POSTS and read[boxes[0]] < need:
            return None
    for i in candidates[read[candidates] >= need]:
        before = read[i] - content[i]  # a carried header sits on the first line after it
        if header[i] > 0 and form(int(i)) and total - before > FORM_MAX_AFTER * before:
            continue
        if header[i] > 0 or marker[i + 1 : i + 1 + MARKER_CLUSTER].any():
            return int(i)
    return None


def _best_stretch(gain: list[float], cost: list[float] | None = None) -> tuple[float, int, int]:
    """(sum, first, last) of the maximum-sum contiguous stretch (Kadane); (0, 0, -1) when none is positive.
    `cost[i]` is what a stretch pays to reach from line i - 1 to line i (one may start at line i free)."""
    best, first, last = 0.0, 0, -1
    running, start = 0.0, 0
    for i, value in enumerate(gain):
        if cost is not None:
            running -= cost[i]
        if running <= 0.0:
            running, start = value, i
        else:
            running += value
        if running > best:
            best, first, last = running, start, i
    return best, first, last


def main_region(
    score: np.ndarray, chars: np.ndarray, threshold: float, walls: np.ndarray | None = None
) -> np.ndarray:
    """Which lines are in the main region: the maximum-scoring contiguous stretch, and any other stretch
    scoring at least SECOND_STRETCH_SHARE of it (an article that a menu or an ad cuts in two). `walls[i]`
    counts the lines of end furniture removed between line i - 1 and line i (WALL_COST each to cross)."""
    gain = (np.power(chars, WEIGHT_POWER) * (score - threshold)).tolist()
    cost = (WALL_COST * walls).tolist() if walls is not None and walls.any() else None
    inside = np.zeros(len(score), dtype=bool)
    top = 0.0
    for _ in range(MAX_STRETCHES):
        total, first, last = _best_stretch(gain, cost)
        if last < 0 or total < SECOND_STRETCH_SHARE * top:
            break
        top = max(top, total)
        inside[first : last + 1] = True
        gain[first : last + 1] = [-math.inf] * (last + 1 - first)  # the next stretch cannot overlap it
    return inside


def decide_lines(
    score: np.ndarray,
    chars: np.ndarray,
    header: np.ndarray,
    marker: np.ndarray,
    settings: RegionSettings,
    protected: np.ndarray | None = None,
    prose: np.ndarray | None = None,
    form: Callable[[int], bool] = lambda i: False,
    flagged: np.ndarray | None = None,
    title: np.ndarray | None = None,
    walls: np.ndarray | None = None,
    members: np.ndarray | None = None,
) -> np.ndarray:
    """KEEP, MODEL, OUTSIDE or COMMENTS for each line of one document from its scores.

    `protected` lines (an authored outline) are kept and count as certain content for the region;
    `prose` lines (sentences with function words) are kept inside the main region whatever their score:
    the model judges a line by web pages' habits, and a plain document's own prose is not chrome. Lines a
    rule `flagged` (a link list) get no lower bar inside the region than outside. A `title` line (one
    repeating the page's title: the headline) within TITLE_REACH lines above the region, or inside it, is
    kept: an article is its headline and byline followed by its text. `walls` counts the lines of end
    furniture removed before each line, which the region crosses at WALL_COST each (main_region).
    `members` flags a forum post's member box lines (comment_thread_start).
    """
    threshold = settings.threshold
    if protected is not None and protected.any():
        score = np.where(protected, 1.0, score)
    # A sentence pulls the region towards it (it counts as at least PROSE_PULL above the threshold), so
    # that the prose of a short plain document is one region; a teaser among chrome stays outside.
    pull = score if prose is None else np.where(prose, np.maximum(score, threshold + PROSE_PULL), score)
    thread = comment_thread_start(score, chars, header, marker, threshold, form, members)
    end = len(score) if thread is None else thread
    inside = np.zeros(len(score), dtype=bool)
    inside[:end] = main_region(pull[:end], chars[:end], threshold, None if walls is None else walls[:end])
    if thread is not None and settings.keep_comments:
        inside[thread:] = True  # kept comments are a region of their own, judged as the article is
    # Inside the region a line is kept from the threshold, down to a lower bar unless a rule flagged it, and
    # a sentence whatever its score; outside it, only from OUTSIDE_MIN. A line not kept is the model's
    # removal below the threshold, and the region's above it.
    kept_inside = score >= threshold
    lenient = score >= max(threshold - INSIDE_MARGIN, 0.0)
    kept_inside |= lenient if flagged is None else lenient & ~flagged
    if prose is not None:
        kept_inside |= prose
    keep = np.where(inside, kept_inside, score >= max(OUTSIDE_MIN, threshold))
    decision = np.where(keep, KEEP, np.where(score >= threshold, OUTSIDE, MODEL))
    if title is not None and inside.any():
        # A headline within TITLE_REACH lines above the region, or inside it.
        start = int(np.argmax(inside))
        headline = title > 0
        headline[: max(start - TITLE_REACH, 0)] = False
        headline[start + 1 :] &= inside[start + 1 :]
        decision[headline] = KEEP
    if thread is not None and not settings.keep_comments:
        decision[thread:] = COMMENTS
    return decision
