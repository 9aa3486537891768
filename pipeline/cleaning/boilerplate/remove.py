"""Boilerplate removal as a pipeline of evidence, over a batch of documents at once.

1. The named rules and structural signals (classify.py) label lines; a certain rule's label (a
   newsletter box, an event listing, an image credit, an author bio, the user's own rules, a line the
   corpus repeats) removes the line whatever else is said of it.
2. Every other non-blank line gets features (features.py, computed for the whole batch in one go, the
   rules' uncertain labels among them) and the fitted model's probability of being content (model.py).
3. The document-level stage (region.py) drops the comment thread and what lies outside the article's
   main region, and lines the model scores below the threshold.
4. Each removed line becomes part of a `RemovedSpan` naming what decided: the rule, or `model`,
   `outside_main_region` or `comments` with the model's score.

Steps 1-3 repeat on the kept text until they remove nothing (at most MAX_PASSES times), so the result
is exactly what a second cleaning of it would keep: cleaning is idempotent. Most documents need two
passes, the second on their article lines only.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.cleaning.boilerplate.classify import (
    CleanResult,
    Label,
    author_of,
    row_labels,
    rule_labels,
    tidy,
)
from pipeline.cleaning.boilerplate.comments import is_comment_form, is_comment_header, is_forum_member_line
from pipeline.cleaning.boilerplate.features import (
    FEATURE_NAMES,
    PROSE_WORDS,
    RULE_LINK_LIST,
    RULE_NAMED,
    RULE_NONE,
    RULE_OTHER,
    RULE_REPEATED,
    RULE_TAIL,
    SHAPE_INDEX,
    LineBatch,
    ShapeCache,
    line_features,
)
from pipeline.cleaning.boilerplate.model import DEFAULT_THRESHOLD, TreeModel, load_model
from pipeline.cleaning.boilerplate.region import COMMENTS as IN_THREAD
from pipeline.cleaning.boilerplate.region import KEEP, MODEL, OUTSIDE, RegionSettings, decide_lines
from pipeline.cleaning.boilerplate.rules import (
    APP,
    COMMENTS,
    COMMUNITY,
    COOKIE,
    CORPUS,
    LEGAL,
    NAVIGATION,
    RELATED,
    SHARE,
    STRUCTURE,
    RuleSet,
)
from pipeline.cleaning.document import RemovedSpan

MAX_PASSES = 4  # passes over the kept text until nothing more is removed
PROSE_MIN_STOP = 0.1  # a sentence is prose when at least this share of its words are function words
PROSE_MIN_CJK = 30  # a Chinese or Japanese line is prose with this many characters and a full-width end
MODEL_GROUP = "model"  # the group of the model's and the region stage's removals
_DECIDED = {
    MODEL: Label("model", MODEL_GROUP),
    OUTSIDE: Label("outside_main_region", MODEL_GROUP),
    IN_THREAD: Label("comments", COMMENTS),  # the thread joins the comment prompts' group
}
_STRUCTURE_CODES = {"link_list": RULE_LINK_LIST, "boilerplate_tail": RULE_TAIL}
# The groups of end furniture, which stand around an article rather than inside its text: a line a certain
# rule of theirs removed is a wall the main region pays to cross (region.WALL_COST). Not bylines and
# datelines (between a headline and its text: as walls, text-dumps dev lost 0.013), image credits, inline
# ads or newsletter boxes. An "Also read" line inside an article (group related) is a wall that the
# article's text after it pays to cross.
WALL_GROUPS = frozenset({SHARE, NAVIGATION, RELATED, LEGAL, COOKIE, COMMENTS, COMMUNITY, APP})
_COLUMN = {name: i for i, name in enumerate(FEATURE_NAMES)}


@dataclass(frozen=True)
class BoilerplateSettings:
    """How the model decides: its threshold (higher removes more), and whether comment threads stay;
    `model` False leaves only the certain rules (an HTML body, whose blocks html_blocks.py decided)."""

    threshold: float = DEFAULT_THRESHOLD
    keep_comments: bool = False
    model: bool = True

    def __post_init__(self) -> None:
        """Refuse a threshold outside (0, 1]."""
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"boilerplate threshold must be above 0 and at most 1, not {self.threshold}")


@dataclass
class _Doc:
    """One document in the passes: its input lines, the labels so far, the kept lines' view."""

    lines: list[str]
    labels: list[Label | None]
    scores: list[float | None]
    view: list[int]  # the current text's lines as input line indices (-1: a tidied blank)
    language: str | None
    repeated_lines: frozenset[str]
    repeated_hashes: Collection[int]
    done: bool = False


def rule_code(label: Label | None) -> int:
    """The feature code of an uncertain label (what the rules said, as evidence for the model)."""
    if label is None:
        return RULE_NONE
    if label.group == CORPUS:
        return RULE_REPEATED
    code = _STRUCTURE_CODES.get(label.rule)
    if code is not None:
        return code
    return RULE_OTHER if label.group == STRUCTURE else RULE_NAMED


@dataclass(frozen=True)
class Evidence:
    """What the rules say of a body: its lines, their labels, the non-blank lines the model decides (not
    certain ones), and which lines are items of an authored outline."""

    lines: list[str]
    labels: list[Label | None]
    open_lines: list[int]
    outline: list[bool]


def document_evidence(
    text: str,
    *,
    language: str | None = None,
    rules: RuleSet | None = None,
    repeated_lines: frozenset[str] = frozenset(),
    repeated_hashes: Collection[int] = frozenset(),
) -> Evidence:
    """The rules' evidence on a body (see Evidence)."""
    lines, labels, outline = rule_labels(
        text, language=language, rules=rules, repeated_lines=repeated_lines, repeated_hashes=repeated_hashes
    )
    open_lines = [
        i
        for i, (line, lab) in enumerate(zip(lines, labels, strict=True))
        if line.strip() and not (lab and lab.certain)
    ]
    return Evidence(lines, labels, open_lines, outline)


def remove_boilerplate(
    text: str,
    *,
    language: str | None = None,
    rules: RuleSet | None = None,
    repeated_lines: frozenset[str] = frozenset(),
    repeated_hashes: Collection[int] = frozenset(),
    settings: BoilerplateSettings | None = None,
) -> CleanResult:
    """Remove boilerplate lines from one body (see `remove_boilerplate_batch`)."""
    return remove_boilerplate_batch(
        [text],
        languages=[language],
        rules=rules,
        repeated_lines=[repeated_lines],
        repeated_hashes=[repeated_hashes],
        settings=settings,
    )[0]


def remove_boilerplate_batch(
    texts: Sequence[str],
    *,
    languages: Sequence[str | None] | None = None,
    rules: RuleSet | None = None,
    repeated_lines: Sequence[frozenset[str]] | None = None,
    repeated_hashes: Sequence[Collection[int]] | None = None,
    settings: BoilerplateSettings | None = None,
    model: TreeModel | None = None,
) -> list[CleanResult]:
    """Remove boilerplate from a batch of bodies; the model scores every document's lines in one go.

    `repeated_lines` / `repeated_hashes` give each document the corpus's repeated lines (normalised, or
    as their `line_hash`); `languages` each document's language hint.
    """
    settings = settings or BoilerplateSettings()
    model = model or load_model()
    region = RegionSettings(settings.threshold, settings.keep_comments)
    n = len(texts)
    docs = []
    for k, text in enumerate(texts):
        lines = text.split("\n")
        docs.append(
            _Doc(
                lines,
                [None] * len(lines),
                [None] * len(lines),
                list(range(len(lines))),
                languages[k] if languages else None,
                repeated_lines[k] if repeated_lines else frozenset(),
                repeated_hashes[k] if repeated_hashes else frozenset(),
            )
        )
    shapes = ShapeCache()  # a line's own features, computed in the first pass that meets it
    for _ in range(MAX_PASSES):
        active = [d for d in docs if not d.done]
        if not active:
            break
        _run_pass(active, rules, model, region, shapes, settings.model)
    for d in docs:
        _drop_rows(d)
    return [_result(texts[k], docs[k]) for k in range(n)]


def _run_pass(
    docs: list[_Doc],
    rules: RuleSet | None,
    model: TreeModel,
    region: RegionSettings,
    shapes: ShapeCache,
    use_model: bool = True,
) -> None:
    """One pass over the documents' current texts: rules, features and scores, then decisions (the
    certain rules' alone without `use_model`)."""
    evidence = [
        document_evidence(
            "\n".join(d.lines[i] if i >= 0 else "" for i in d.view),
            language=d.language,
            rules=rules,
            repeated_lines=d.repeated_lines,
            repeated_hashes=d.repeated_hashes,
        )
        for d in docs
    ]
    open_lines = [[e.lines[i] for i in e.open_lines] if use_model else [] for e in evidence]
    batch = LineBatch.of(open_lines)
    codes = np.fromiter(
        (rule_code(e.labels[i]) for e in evidence for i in (e.open_lines if use_model else ())), dtype=np.int8
    )
    shaped = shapes.of([line for lines in open_lines for line in lines])
    features = line_features(batch, codes, shaped)
    scores = model.predict(features) if len(features) else np.zeros(0)
    chars = np.expm1(features[:, _COLUMN["log_chars"]].astype(np.float64))
    header = features[:, _COLUMN["comment_header"]].copy()
    marker = features[:, _COLUMN["comment_marker"]]
    cjk_prose = (shaped[:, SHAPE_INDEX["cjk_chars"]] >= PROSE_MIN_CJK) & (
        shaped[:, SHAPE_INDEX["cjk_terminal"]] > 0
    )
    # In a language without a stop-word list (Korean, Russian, Hindi, ...) no document has a function word
    # to count: there a sentence needs only its words and its end.
    stop_share = features[:, _COLUMN["stop_share"]]
    counted = np.bincount(batch.doc, weights=stop_share > 0, minlength=len(docs)) > 0
    prose = cjk_prose | (
        (features[:, _COLUMN["n_words"]] >= PROSE_WORDS)
        & ((features[:, _COLUMN["terminal"]] > 0) | (features[:, _COLUMN["colon_end"]] > 0))
        & ((stop_share >= PROSE_MIN_STOP) | ~counted[batch.doc])
    )
    for k, (d, e) in enumerate(zip(docs, evidence, strict=True)):
        lo, hi = int(batch.starts[k]), int(batch.starts[k + 1])
        certain = [pos for pos, lab in enumerate(e.labels) if lab is not None and lab.certain]
        if not use_model:
            decision = np.full(len(e.open_lines), KEEP)
        else:
            forms = _carry_headers(e, certain, header[lo:hi])
            # Most documents have no authored outline: then nothing is protected.
            protected = np.array([e.outline[i] for i in e.open_lines], dtype=bool) if any(e.outline) else None
            own_headers = np.nonzero(header[lo:hi])[0].tolist()
            forms.update(j for j in own_headers if is_comment_form(e.lines[e.open_lines[j]]))
            members = None
            if header[lo:hi].any() or marker[lo:hi].any():  # a thread could start: is this a forum?
                members = np.fromiter(
                    (is_forum_member_line(e.lines[i]) for i in e.open_lines), dtype=bool, count=hi - lo
                )
            decision = decide_lines(
                scores[lo:hi],
                chars[lo:hi],
                header[lo:hi],
                marker[lo:hi],
                region,
                protected,
                prose[lo:hi],
                forms.__contains__,
                codes[lo:hi] != RULE_NONE,
                features[lo:hi, _COLUMN["title_match"]],
                _walls(e, certain),
                members,
            )
        for pos in certain:
            d.labels[d.view[pos]] = e.labels[pos]
        # Python ints and floats: reading numpy scalars one at a time costs more than the lists.
        decided = np.flatnonzero(decision != KEEP).tolist()
        kinds, doc_scores = decision.tolist(), scores[lo:hi].tolist()
        for j in decided:
            # Where an uncertain rule said so too, the rule names the removal (with the model's score).
            i = e.open_lines[j]
            rule = e.labels[i]
            d.labels[d.view[i]] = rule if kinds[j] == MODEL and rule else _DECIDED[kinds[j]]
            d.scores[d.view[i]] = doc_scores[j]
        if not certain and not decided:
            d.done = True
        else:
            d.view = tidy([i for i in d.view if i < 0 or d.labels[i] is None], d.lines)


def _drop_rows(d: _Doc) -> None:
    """Label the rows of copies and of bare numbers among the lines the passes kept (row_labels), until
    none is left: a row removed can bring two runs of copies together ("Top", "1", "2", "3", "Top")."""
    while True:
        kept = [i for i in d.view if i >= 0]  # the view's other entries are tidied blanks
        found = row_labels([d.lines[i] for i in kept])
        if not found:
            return
        for k, label in found:
            d.labels[kept[k]] = label
        d.view = tidy([i for i in d.view if i < 0 or d.labels[i] is None], d.lines)


def _walls(e: Evidence, certain: list[int]) -> np.ndarray | None:
    """For each line the model decides, how many lines of end furniture (WALL_GROUPS) a certain rule
    removed since the one before it; None when there are none."""
    walls = [i for i in certain if (label := e.labels[i]) is not None and label.group in WALL_GROUPS]
    if not walls:
        return None
    # The open line each wall line stands before: walls after the last open line stand before nothing.
    after = np.searchsorted(np.asarray(e.open_lines), walls)
    return np.bincount(after, minlength=len(e.open_lines) + 1)[: len(e.open_lines)].astype(np.float64)


def _carry_headers(e: Evidence, certain: list[int], header: np.ndarray) -> set[int]:
    """Pass a comment-thread header that a certain rule removed ("270 Comments", "Leave a Reply") on to
    the next line the model decides, so that the thread is still found below it; the positions (among
    the open lines) that carry a comment form's header. `certain` lists the lines a certain rule removed."""
    forms: set[int] = set()
    if not e.open_lines:
        return forms
    for i in certain:
        if is_comment_header(e.lines[i]):
            j = bisect.bisect_right(e.open_lines, i)
            if j < len(e.open_lines) and header[j] == 0:
                header[j] = 1.0
                if is_comment_form(e.lines[i]):
                    forms.add(j)
    return forms


def _result(text: str, d: _Doc) -> CleanResult:
    """The clean text, removed spans and author of a document whose passes are over."""
    out = "\n".join(d.lines[i] if i >= 0 else "" for i in tidy(d.view, d.lines))
    removed = spans_of(text, d.lines, d.labels, d.scores)
    return CleanResult(text=out, removed=removed, author=author_of(d.lines, d.labels))


def spans_of(
    text: str, lines: list[str], labels: list[Label | None], scores: list[float | None]
) -> list[RemovedSpan]:
    """Merge adjacent lines removed by the same rule into RemovedSpans with offsets into `text`; a span's
    score is the highest content probability among its lines (None for rule removals)."""
    spans: list[RemovedSpan] = []
    offsets: list[int] = []
    pos = 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    i = 0
    n = len(lines)
    while i < n:
        lab = labels[i]
        if lab is None:
            i += 1
            continue
        j = i
        while j + 1 < n:
            nxt = labels[j + 1]
            if nxt is None or (nxt.rule, nxt.group) != (lab.rule, lab.group):
                break
            j += 1
        start, end = offsets[i], offsets[j] + len(lines[j])
        found = [s for s in scores[i : j + 1] if s is not None]
        score = round(max(found), 4) if found else None
        spans.append(RemovedSpan(lab.rule, lab.group, text[start:end], start, end, i + 1, j + 1, score))
        i = j + 1
    return spans
