"""The fitted boilerplate model and the stages around it: features, trees, comment thread, main region.

Quality floors are asserted on small fixed excerpts of real pages (as trafilatura's own tests do), never
timings. The excerpts are cut from ../shared/dev-data (named by page id) where the data may be fitted on,
and written by hand otherwise.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from pipeline.cleaning.boilerplate import (
    BoilerplateSettings,
    guess_language,
    remove_boilerplate,
    remove_boilerplate_batch,
)
from pipeline.cleaning.boilerplate import region as region_stage
from pipeline.cleaning.boilerplate.comments import (
    is_comment_form,
    is_comment_header,
    is_comment_marker,
    is_forum_member_line,
)
from pipeline.cleaning.boilerplate.features import (
    FEATURE_NAMES,
    RULE_NONE,
    LineBatch,
    ShapeCache,
    line_features,
    line_shapes,
)
from pipeline.cleaning.boilerplate.model import (
    ALL_TREES_MAX_ROWS,
    MODEL_FILE,
    TreeModel,
    load_model,
    model_from_json,
)
from pipeline.cleaning.boilerplate.region import (
    COMMENTS,
    KEEP,
    MODEL,
    TITLE_REACH,
    RegionSettings,
    comment_thread_start,
    decide_lines,
    main_region,
)

REPO = Path(__file__).resolve().parents[2]
DEV_DATA = REPO.parent / "shared" / "dev-data"

ARTICLE = [
    "The harbour authority opened the new ferry terminal on Friday, two years after the old one was "
    "damaged by a storm that flooded most of the waterfront.",
    "The building has room for twice as many passengers, and the ferries to the islands will leave every "
    "half hour in the summer instead of every hour.",
    "Local shops near the pier said that they expect more visitors this year, although the works on the "
    "road to the terminal will not be finished before the autumn.",
    "The council paid for a third of the cost, and the rest came from the national transport fund and "
    "from a loan that the harbour will repay from its fees.",
]
MENU = ["Home", "News", "Sport", "Weather", "Travel", "Culture", "Opinion", "Podcasts", "Contact"]
THREAD = [
    "3 Comments",
    "Anna says:",
    "October 28, 2012 at 1:41 pm",
    "What a great day for the island, we have waited for this terminal for far too long now.",
    "Reply",
    "Ben says:",
    "October 28, 2012 at 5:41 pm",
    "I hope the summer timetable stays the same next year as well, it makes a real difference for us.",
    "Reply",
]


def kept_lines(text: str, **kwargs: object) -> list[str]:
    """The non-blank lines that survive boilerplate removal."""
    return [line for line in remove_boilerplate(text, **kwargs).text.split("\n") if line.strip()]  # type: ignore[arg-type]


# --- the model file ---------------------------------------------------------------------------------------


def test_shipped_model_matches_the_features_this_code_computes() -> None:
    """The model names exactly the features features.py computes, in order, and its trees are complete."""
    model = load_model()
    assert model.features == FEATURE_NAMES
    assert model.feature.shape == (model.threshold.shape[0], 2**model.depth - 1)
    assert model.leaf.shape == (model.feature.shape[0], 2**model.depth)
    assert int(model.feature.max()) < len(FEATURE_NAMES)


def test_tree_walk_follows_thresholds() -> None:
    """A hand-built depth-1 model: a row goes left when its value is <= the threshold."""
    data = {
        "features": ["a", "b"],
        "depth": 1,
        "base": 0.0,
        "trees": [{"feature": [1], "threshold": [0.5], "leaf": [-2.0, 3.0]}],
    }
    model = model_from_json(data, "")
    x = np.array([[9.0, 0.5], [9.0, 0.6]], dtype=np.float32)
    assert model.log_odds(x).tolist() == [-2.0, 3.0]
    assert model.predict(x)[0] < 0.5 < model.predict(x)[1]


@pytest.mark.skipif(
    not (DEV_DATA / "text-dumps").is_dir(), reason="../shared/dev-data is not beside the checkout"
)
def test_shipped_model_is_what_the_training_script_rebuilds(tmp_path: Path) -> None:
    """bench/train_boilerplate.py rebuilds the shipped model file byte for byte from the dev data."""
    out = tmp_path / "model.json"
    subprocess.run(
        [sys.executable, "-m", "bench.train_boilerplate", "--out", str(out)],
        cwd=REPO,
        check=True,
        timeout=600,
    )
    assert out.read_bytes() == MODEL_FILE.read_bytes()


def test_model_card_states_what_the_model_was_fitted_on() -> None:
    """The data card beside the model names its training sets and leaves out the measuring-only set."""
    card = MODEL_FILE.with_name("boilerplate_model.md").read_text(encoding="utf-8")
    for fitted in ("readability", "cleanportaleval", "line-labels"):
        assert fitted in card
    assert "never fitted on" in card.lower() and "dragnet" in card
    fitted = json.loads(MODEL_FILE.read_text(encoding="utf-8"))["fitted"]
    assert str(fitted["lines"]) in card.replace(",", "")


# --- features ------------------------------------------------------------------------------------------


def test_features_of_a_batch_equal_those_of_each_document_alone() -> None:
    """Context features never cross documents: a batch gives each document the rows it gets alone."""
    docs = [ARTICLE[:2] + MENU, MENU[:3] + ARTICLE, THREAD]
    codes = [np.full(len(d), RULE_NONE, dtype=np.int8) for d in docs]
    together = line_features(LineBatch.of(docs), np.concatenate(codes))
    apart = np.vstack([line_features(LineBatch.of([d]), c) for d, c in zip(docs, codes, strict=True)])
    assert together.shape == (sum(map(len, docs)), len(FEATURE_NAMES))
    assert np.array_equal(together, apart)


def test_cached_line_shapes_give_the_same_features() -> None:
    """A ShapeCache that met the lines in another batch, in another order and more than once, gives the
    features computing every line afresh gives."""
    docs = [ARTICLE[:2] + MENU, MENU[:3] + ARTICLE, THREAD]
    flat = [line for d in docs for line in d]
    codes = np.full(len(flat), RULE_NONE, dtype=np.int8)
    cache = ShapeCache()
    cache.of(list(reversed(MENU + THREAD)))  # an earlier pass met some of them
    cached = line_features(LineBatch.of(docs), codes, cache.of(flat))
    assert np.array_equal(cached, line_features(LineBatch.of(docs), codes))
    assert np.array_equal(cache.of(flat), line_shapes(pa.array(flat)))


def test_features_describe_lines_and_their_neighbourhood() -> None:
    """A sentence has words, stop words and an end; a menu item sits in a run of short lines."""
    lines = [ARTICLE[0], *MENU[:4], ARTICLE[1]]
    x = line_features(LineBatch.of([lines]), np.zeros(len(lines), dtype=np.int8))
    col = {name: x[:, i] for i, name in enumerate(FEATURE_NAMES)}
    assert col["terminal"].tolist() == [1, 0, 0, 0, 0, 1]
    assert col["n_words"][0] > 20 and col["n_words"][1] == 1
    assert col["stop_share"][0] > 0.2 and col["stop_share"][2] == 0
    assert np.expm1(col["short_run"][1:5]).round().tolist() == [4, 4, 4, 4]
    assert col["rel_chars"].max() == pytest.approx(1.0)
    assert col["position"][0] == 0 and col["position"][-1] == pytest.approx(1.0)


# --- comments and region ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "header", "form", "marker"),
    [
        ("12 Comments", True, False, False),
        ("Reader Comments (3)", True, False, False),
        ("38 Responses to “Why Focus Matters”", True, False, False),
        ("57 kommenttia:", True, False, False),
        ("Leave a Reply", True, True, False),
        ("Kommentar schreiben", True, True, False),
        # A form's line that counts the comments under it heads the thread (a form alone may head none).
        ("Post a Comment 241 Comments and 16 Replies", True, False, False),
        ("Add a Comment See all 18 Comments", True, False, False),
        ("Hungry says:", False, False, True),
        ("by PantherTrain on Aug 9, 2012 10:39 AM EDT up reply actions", False, False, True),
        ("Matt Jaycox | November 9, 2012 12:13 AM | Reply", False, False, True),
        (
            "The mayor says: the budget holds, and the bridges will be repaired before the winter.",
            False,
            False,
            False,
        ),
        ("Comments on the plan were mixed, and the council will vote again next week.", False, False, False),
    ],
)
def test_comment_lines_are_recognised(line: str, header: bool, form: bool, marker: bool) -> None:
    """Headers, forms and markers of comment threads; article lines mentioning comments are none."""
    assert (is_comment_header(line), is_comment_form(line), is_comment_marker(line)) == (header, form, marker)


@pytest.mark.parametrize(
    ("line", "member"),
    [
        ("Joined: 28 Nov 2003", True),
        ("| |Joined: Betje Aug 2002", True),
        ("Join Date: Mar 2008", True),
        ("Registriert seit: 12.03.2009", True),
        ("Mitglied seit: 2009", True),
        ("Inscrit le : 17/10/2012", True),
        ("Medlem sedan: 2011", True),
        ("Joined the council in 2003 and led the harbour committee for ten years.", False),
        ("Registered users can comment on every article.", False),
    ],
)
def test_forum_member_lines_are_recognised(line: str, member: bool) -> None:
    """A forum post's member box line names when the poster joined; prose about joining does not."""
    assert is_forum_member_line(line) == member


def test_thread_starts_at_its_header_only_after_the_article() -> None:
    """A header before any article text is a link in the byline; after it, the thread starts there."""
    score = np.array([0.9, 0.9, 0.9, 0.9, 0.8, 0.8])
    chars = np.full(6, 200.0)
    header = np.array([1, 0, 0, 1, 0, 0])
    marker = np.zeros(6)
    assert comment_thread_start(score, chars, header, marker, 0.5) == 3
    # A comment form with as much article after it as before is no thread.
    assert comment_thread_start(score, chars, header, marker, 0.5, form=lambda i: True) is None


def test_a_forum_thread_has_no_comment_thread_in_it() -> None:
    """Member boxes over the posts from the first one on make a forum, whose posts are its content: the
    markers of replies start no thread. Member boxes only under an article are its comment system's."""
    score = np.full(12, 0.9)
    chars = np.array([30, 300] * 6, dtype=float)  # a post's member box, then its text
    header = np.zeros(12)
    marker = np.array([0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0])  # "X wrote:" quotes in the replies
    boxes = np.array([1, 0] * 6)
    assert comment_thread_start(score, chars, header, marker, 0.5) == 4
    assert comment_thread_start(score, chars, header, marker, 0.5, members=boxes) is None
    under_article = np.array([0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0])
    assert comment_thread_start(score, chars, header, marker, 0.5, members=under_article) == 4
    # Two member boxes are not a forum yet.
    assert comment_thread_start(score, chars, header, marker, 0.5, members=np.eye(1, 12, 0)[0]) == 4


def test_main_region_is_the_best_stretch_and_a_comparable_second_one() -> None:
    """The region covers the confident stretch; a short confident line far away is not part of it."""
    score = np.array([0.2, 0.9, 0.8, 0.9, 0.1, 0.1, 0.1, 0.1, 0.7, 0.1])
    chars = np.array([20, 300, 200, 300, 10, 10, 10, 10, 40, 10], dtype=float)
    assert np.nonzero(main_region(score, chars, 0.5))[0].tolist() == [1, 2, 3]
    # A short menu inside the article is bridged (its lines are then judged one by one) ...
    score = np.array([0.9, 0.9, 0.1, 0.1, 0.1, 0.9, 0.9])
    chars = np.array([300, 300, 10, 10, 10, 300, 300], dtype=float)
    assert main_region(score, chars, 0.5).all()
    # ... and an article that a long block of chrome cuts in two is one region of two stretches.
    score = np.array([0.9, 0.9, *[0.1] * 12, 0.9, 0.9])
    chars = np.array([300, 300, *[30] * 12, 300, 300], dtype=float)
    assert np.nonzero(main_region(score, chars, 0.5))[0].tolist() == [0, 1, 14, 15]


def test_the_region_pays_to_cross_a_wall_of_end_furniture() -> None:
    """Teasers scored above the threshold under a short article join its region, unless a wall (a line of
    end furniture a rule removed, such as a share bar) stands between; a long article goes on across one."""
    score = np.array([0.95, 0.95, 0.7, 0.7, 0.7, 0.7])
    chars = np.array([400, 400, 60, 60, 60, 60], dtype=float)
    assert main_region(score, chars, 0.5).all()
    walls = np.array([0, 0, 1, 0, 0, 0], dtype=float)
    assert np.nonzero(main_region(score, chars, 0.5, walls))[0].tolist() == [0, 1]
    # A share line between paragraphs: the two after it gain more than crossing costs.
    score = np.full(5, 0.95)
    chars = np.full(5, 400.0)
    walls = np.array([0, 0, 1, 0, 0], dtype=float)
    assert main_region(score, chars, 0.5, walls).all()
    # A wall before the first line costs nothing: a stretch may start there.
    assert main_region(score, chars, 0.5, np.array([3, 0, 0, 0, 0], dtype=float)).all()


def test_decisions_keep_the_region_and_drop_the_thread() -> None:
    """Inside the region a subheading is kept at a lower score; the thread goes as comments."""
    score = np.array([0.9, 0.35, 0.9, 0.9, 0.9, 0.9])
    chars = np.array([300, 20, 300, 300, 10, 200], dtype=float)
    header = np.array([0, 0, 0, 0, 1, 0])
    decision = decide_lines(score, chars, header, np.zeros(6), RegionSettings())
    assert decision.tolist() == [KEEP, KEEP, KEEP, KEEP, COMMENTS, COMMENTS]
    kept = decide_lines(score, chars, header, np.zeros(6), RegionSettings(keep_comments=True))
    assert kept.tolist() == [KEEP] * 6
    strict = decide_lines(
        score, chars, header, np.zeros(6), RegionSettings(threshold=0.95, keep_comments=True)
    )
    assert MODEL in strict.tolist()


def test_a_headline_above_the_region_is_kept_and_one_far_above_is_not() -> None:
    """A line repeating the page title within TITLE_REACH lines above the article is kept as its
    headline, whatever its score; the same line far above the article (a menu link) is not."""
    score = np.array([0.1, 0.1, 0.2, 0.1, 0.1, 0.9, 0.9, 0.9])
    chars = np.array([40, 10, 50, 20, 10, 300, 300, 300], dtype=float)
    title = np.array([0, 0, 1, 0, 0, 0, 0, 0], dtype=float)
    plain = decide_lines(score, chars, np.zeros(8), np.zeros(8), RegionSettings())
    assert plain[2] != KEEP
    decision = decide_lines(score, chars, np.zeros(8), np.zeros(8), RegionSettings(), title=title)
    assert decision.tolist() == [*plain[:2], KEEP, *plain[3:]]
    far = np.concatenate([np.full(TITLE_REACH + 3, 0.1), [0.9, 0.9]])
    far_title = np.zeros(len(far))
    far_title[0] = 1
    decision = decide_lines(
        far,
        np.full(len(far), 200.0),
        np.zeros(len(far)),
        np.zeros(len(far)),
        RegionSettings(),
        title=far_title,
    )
    assert decision[0] != KEEP


# --- the whole step -------------------------------------------------------------------------------------


def test_the_headline_under_the_menus_stays_with_its_article() -> None:
    """A dump opens with the page's <title>; the headline under the menus repeats it and is kept (the
    model alone scores such a short line as chrome), the title line and the menus are not."""
    headline = "New ferry terminal opens on the harbour"
    text = "\n".join([f"{headline} | Harbour News", *MENU, headline, "Share", *ARTICLE, "Privacy Policy"])
    assert kept_lines(text, language="en") == [headline, *ARTICLE]


def test_article_with_menu_and_comment_thread() -> None:
    """Menus go, the article stays, the thread goes as `comments` (or stays when kept)."""
    text = "\n".join([*MENU, *ARTICLE, *THREAD, "© 2024 Harbour News", "Privacy Policy"])
    assert kept_lines(text, language="en") == ARTICLE
    result = remove_boilerplate(text, language="en")
    rules = {s.rule for s in result.removed}
    assert "comments" in rules
    assert all(
        s.score is not None for s in result.removed if s.rule in ("model", "comments", "outside_main_region")
    )
    kept = remove_boilerplate(text, language="en", settings=BoilerplateSettings(keep_comments=True))
    assert "comments" not in {s.rule for s in kept.removed}  # the model still judges each line
    assert set(ARTICLE) <= set(kept.text.split("\n")) and THREAD[3] in kept.text


# A phpBB thread: each post is its member box, its date line, a quote of the post before, and its text.
WIKI = "The new wiki is finally online, and the developers have moved most of the old articles over to it."
MOVE = "If you find a page that did not survive the move, please add it to the list on the project page."
GUIDE = "I added the encryption guide to the list, because its tables were lost and the examples broke."
TAKE = "Thanks, I will take that one, since I wrote most of the original version of the guide years ago."
NAMES = "Great, and please keep the old section names, because many posts on this forum link straight there."
FORUM_POSTS = [
    ("astaecker", "28 Apr 2003", "Sat Oct 08, 2011 3:01 am", None, [WIKI, MOVE]),
    ("tclover", "10 Apr 2011", "Sat Oct 08, 2011 4:12 am", "astaecker", [MOVE, GUIDE]),
    ("Kollin", "25 Feb 2006", "Sat Oct 08, 2011 5:59 pm", "tclover", [GUIDE, TAKE]),
    ("Hypnos", "18 Jul 2002", "Sun Oct 09, 2011 10:23 am", "Kollin", [TAKE, NAMES]),
]


def test_a_forum_thread_loses_no_post_as_a_comment() -> None:
    """A forum thread whose replies quote each other ("tclover wrote:") is no article with comments: none
    of its lines goes as `comments`. An article whose comment system shows member boxes still loses its
    thread."""
    forum: list[str] = []
    for user, joined, when, quoted, body in FORUM_POSTS:
        forum += [f"{user} Guru", f"Joined: {joined}", "Posts: 516", f"Posted: {when} Post subject: the wiki"]
        forum += [f"{quoted} wrote:"] if quoted else []
        forum += [*body, "Reply with quote"]
    text = "\n".join([*MENU, *forum, "Powered by phpBB"])
    assert "comments" not in {s.rule for s in remove_boilerplate(text, language="en").removed}
    thread = [
        "3 Comments",
        *("Anna says:", "Joined: 12 Mar 2009"),
        "What a great day for the island, we have waited for this terminal for far too long now.",
        *("Reply", "Ben says:", "Joined: 02 May 2011"),
        "I hope the summer timetable stays the same next year as well, it makes a real difference.",
        *("Reply", "Cleo says:", "Joined: 20 Jan 2008"),
        "My grandparents took the old ferry every week, and they would have loved the new building.",
        "Reply",
    ]
    result = remove_boilerplate("\n".join([*ARTICLE, *thread]), language="en")
    assert "comments" in {s.rule for s in result.removed}
    assert [line for line in result.text.split("\n") if line] == ARTICLE


def test_a_form_that_counts_its_comments_heads_the_thread_under_it() -> None:
    """A form's line alone ("Post a Comment") heads a thread only when little article text follows; one
    that counts the comments ("Post a Comment 4 Comments and 1 Reply") heads it, long as the thread is (as
    on a blog whose 241 comments read like prose, their name lines holding no year)."""
    comments = [
        "Anna On Thursday, November 1 at 2:57 pm",
        "What a great day for the island, we have waited for this new terminal for far too long now.",
        "Ben On Thursday, November 1 at 3:05 pm",
        "I hope the summer timetable stays the same next year as well, it makes a real difference for us.",
        "Cleo On Thursday, November 1 at 3:08 pm",
        "My grandparents took the old ferry every week, and they would have loved to see the new building.",
        "Dan On Thursday, November 1 at 3:10 pm",
        "The road works are a nuisance, but the pier looks wonderful now and the cafe is a very nice touch.",
    ]
    for header in ("Post a Comment 4 Comments and 1 Reply", "4 Comments"):
        result = remove_boilerplate("\n".join([*ARTICLE, header, *comments]), language="en")
        assert [line for line in result.text.split("\n") if line] == ARTICLE, header
        assert "comments" in {s.rule for s in result.removed}


def test_teasers_under_the_share_bar_stay_outside_the_article(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a real news page (Heise, a Readability test page; tests/cleaning/data/README.md) the teasers under
    the article, headlines with a summary the model scores as content, are removed: the share and related
    lines the rules removed are walls the main region does not cross. Without walls it reaches across."""
    path = Path(__file__).with_name("data") / "readability_train_heise.jsonl"
    page = json.loads(path.read_text(encoding="utf-8"))

    def kept_noise_and_content() -> tuple[int, int]:
        """How many boilerplate and content lines of the page the cleaning keeps."""
        result = remove_boilerplate("\n".join(page["lines"]), language="de")
        gone = {i for s in result.removed for i in range(s.line_start - 1, s.line_end)}
        kept = [label for i, label in enumerate(page["labels"]) if i not in gone and page["lines"][i].strip()]
        return kept.count(0), kept.count(1)

    noise, content = kept_noise_and_content()
    summary = (
        "Apple hat mit den Betriebssystem-Updates vom Mittwoch ein Bündel an Security-Fixes mitgeliefert."
    )
    assert not any(line.startswith(summary) for line in kept_lines("\n".join(page["lines"]), language="de"))
    monkeypatch.setattr(region_stage, "WALL_COST", 0.0)
    noise_without, content_without = kept_noise_and_content()
    assert content == content_without and noise + 20 <= noise_without


def test_threshold_trades_recall_for_precision() -> None:
    """A higher threshold keeps no more lines than a lower one."""
    text = "\n".join([*MENU[:3], ARTICLE[0], "Related: Ferry fares", ARTICLE[1], "Share this", *MENU[3:]])
    counts = [len(kept_lines(text, settings=BoilerplateSettings(threshold=t))) for t in (0.2, 0.5, 0.8)]
    assert counts == sorted(counts, reverse=True)
    with pytest.raises(ValueError, match="threshold"):
        BoilerplateSettings(threshold=0.0)


def test_batch_equals_one_document_at_a_time() -> None:
    """remove_boilerplate_batch gives every document what remove_boilerplate gives it alone."""
    texts = [
        "\n".join([*MENU, *ARTICLE]),
        "\n".join([*ARTICLE, *THREAD]),
        "\n".join(ARTICLE[:1]),
        "",
        "\n\n".join([*ARTICLE[2:], *MENU[:2]]),
    ]
    batch = remove_boilerplate_batch(texts, languages=[guess_language(t) for t in texts])
    alone = [remove_boilerplate(t, language=guess_language(t)) for t in texts]
    assert batch == alone


def test_cleaning_twice_removes_nothing_more() -> None:
    """The passes run until nothing more goes, so a second cleaning of the output removes nothing."""
    text = "\n".join([*MENU, *ARTICLE, *THREAD, "Privacy Policy"])
    first = remove_boilerplate(text, language="en")
    second = remove_boilerplate(first.text, language="en")
    assert second.removed == [] and second.text == first.text


def test_quality_floor_on_real_pages_never_fitted_on() -> None:
    """On ten Readability dev pages (never fitted on; tests/cleaning/data/README.md), content-line F1 is far
    above keep-all and C4's line rule."""
    path = Path(__file__).with_name("data") / "readability_dev_excerpt.jsonl"
    pages = [json.loads(line) for line in path.open(encoding="utf-8")]
    texts = ["\n".join(r["lines"]) for r in pages]
    results = remove_boilerplate_batch(texts, languages=[guess_language(t) for t in texts])
    ours, c4, everything = [0, 0, 0], [0, 0, 0], [0, 0, 0]  # true positives, false positives, misses
    for page, result in zip(pages, results, strict=True):
        kept = [True] * len(page["lines"])
        for span in result.removed:
            for i in range(span.line_start - 1, span.line_end):
                kept[i] = False
        for line, keep, label in zip(page["lines"], kept, page["labels"], strict=True):
            c4_keep = len(line.split()) >= 5 and line.rstrip()[-1:] in '.!?"'
            for counts, k in ((ours, keep), (c4, c4_keep), (everything, True)):
                counts[0] += k and label
                counts[1] += k and not label
                counts[2] += (not k) and label

    def f1(counts: list[int]) -> float:
        """Content-line F1 from the counts."""
        return 2 * counts[0] / (2 * counts[0] + counts[1] + counts[2])

    # Readability's gold leaves out headlines and bylines, which a dump's reader keeps: F1 here is lower
    # than on the other sets (0.67 now, 0.64 with the page-level prose share as a feature, 0.61 at the
    # model of this test's writing; C4 0.48, keep-all 0.45).
    assert f1(ours) >= 0.65 and f1(ours) >= f1(c4) + 0.08 and f1(ours) >= f1(everything) + 0.12, (
        f1(ours),
        f1(c4),
        f1(everything),
    )


def test_both_tree_walks_agree() -> None:
    """Few rows walk all trees at once, many one tree at a time: the log-odds are the same."""
    model = load_model()
    rng = np.random.default_rng(7)
    x = (rng.random((ALL_TREES_MAX_ROWS + 1, len(model.features))) * 4).astype(np.float32)
    many = model.log_odds(x)
    few = np.concatenate([model.log_odds(x[:ALL_TREES_MAX_ROWS]), model.log_odds(x[ALL_TREES_MAX_ROWS:])])
    assert np.allclose(many, few, rtol=0, atol=1e-9)


def plain_log_odds(model: TreeModel, row: np.ndarray) -> float:
    """One row's log-odds: each tree walked from its root (node k's children 2k + 1 and 2k + 2), the
    leaves added to the base in tree order, as the many-rows walk adds them."""
    total = model.base
    inner = 2**model.depth - 1
    for t in range(model.feature.shape[0]):
        node = 0
        for _ in range(model.depth):
            go_right = float(row[model.feature[t, node]]) > model.threshold[t, node]
            node = 2 * node + 1 + int(go_right)
        total += model.leaf[t, node - inner]
    return total


def test_many_rows_score_exactly_as_each_row_alone() -> None:
    """Above ALL_TREES_MAX_ROWS rows the trees are walked one at a time over all rows: the scores are
    bit for bit those of the plain walk (same comparisons, same order of summation)."""
    model = load_model()
    rng = np.random.default_rng(11)
    x = (rng.random((ALL_TREES_MAX_ROWS + 50, len(model.features))) * 4).astype(np.float32)
    x[:, 0] = 0.0  # some rows sit exactly on round values
    walked = model.log_odds(x)
    assert walked.tolist() == [plain_log_odds(model, row) for row in x]
    # A column-major matrix (as line_features returns) scores the same.
    assert np.array_equal(model.log_odds(np.asfortranarray(x)), walked)
