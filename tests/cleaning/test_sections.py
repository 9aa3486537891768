"""Section segmentation: gold headings on the seeds, heuristics on plain text, hints, anchors, invariants."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.cleaning.document import Anchor, Heading, Section
from pipeline.cleaning.sections import segment_sections
from tests.cleaning.helpers import parse_seed
from tests.conftest import SEEDS, load_gold, normalise_ws

GOLD = load_gold()


def seed_text(name: str) -> str:
    """The raw text of a seed file whose name starts with `name`."""
    (path,) = SEEDS.glob(f"{name}*")
    return path.read_text(encoding="utf-8")


def assert_tiles(text: str, sections: Sequence[Section]) -> None:
    """The offset and coverage invariants every segmentation must keep."""
    assert sections, "every document yields at least one section"
    assert sections[0].char_start == 0
    assert sections[-1].char_end == len(text)
    for i, section in enumerate(sections):
        assert section.section_index == i
        assert section.char_start <= section.char_end
        assert text[section.char_start : section.char_end] == section.text
        if i:
            assert section.char_start == sections[i - 1].char_end
        if section.heading is None:
            assert i == 0 and section.level == 0 and section.parent_index is None
        else:
            assert section.level >= 1 and section.heading.strip() == section.heading and section.heading
        if section.parent_index is not None:
            parent = sections[section.parent_index]
            assert section.parent_index < i and parent.heading is not None and parent.level < section.level


def assert_in_order(expected: Sequence[str], actual: Sequence[str]) -> None:
    """Every expected heading appears among `actual`, in the same order (others may come between)."""
    position = 0
    for heading in expected:
        assert heading in actual[position:], f"{heading!r} missing (or out of order) in {actual}"
        position = actual.index(heading, position) + 1


def headings_of(sections: Sequence[Section]) -> list[str]:
    """The headings of the sections, lead excluded."""
    return [s.heading for s in sections if s.heading is not None]


def by_heading(sections: Sequence[Section], heading: str) -> Section:
    """The first section with this heading."""
    return next(s for s in sections if s.heading == heading)


# --- gold, on the real parser's output -------------------------------------------------------------------


@pytest.mark.parametrize("entry", GOLD, ids=[e["file"] for e in GOLD])
def test_gold_headings_on_parsed_seeds(entry: dict[str, Any]) -> None:
    """The gold headings (and should_headings) appear in order, with their levels, on parsed seeds."""
    parsed = parse_seed(entry["file"])
    sections = segment_sections(parsed.text, parsed.headings, parsed.anchors)
    assert_tiles(parsed.text, sections)
    found = headings_of(sections)
    assert_in_order(entry["headings"], found)
    assert_in_order(entry.get("should_headings", []), found)
    for heading, level in entry.get("heading_levels", {}).items():
        assert by_heading(sections, heading).level == level
    # No heading keeps Markdown markers or a trailing colon.
    assert not [h for h in found if h.startswith("#") or "**" in h or h.endswith(":")]


def test_parsed_002_start_times_and_parents() -> None:
    """Anchors give each section the seconds of its first anchor; ### sections hang under the ## before."""
    parsed = parse_seed("002_7b0ba32dec95328d.txt")
    sections = segment_sections(parsed.text, parsed.headings, parsed.anchors)
    assert [(s.heading, s.level, s.parent_index, s.start_time) for s in sections] == [
        (None, 0, None, 6),
        ("Amazon's ML Offerings", 2, None, 20),
        ("Strategic Approach to Machine Learning", 2, None, None),
        ("Data Gravity as a Key Advantage", 3, 2, 59),
        # The first anchor by position, not the smallest time: the speaker went back to 00:00:53.
        ("Comparison of Amazons ML capabilities with Googles", 3, 2, 53),
    ]
    gravity = by_heading(sections, "Data Gravity as a Key Advantage")
    assert "Running ML near the data is paramount" in gravity.text


def test_parsed_003_outline_levels() -> None:
    """003: 'AI/ML Services:' is level 1, '1. Core Services' level 2 under it, its items are its body."""
    parsed = parse_seed("003_901500bd3f397282.txt")
    sections = segment_sections(parsed.text, parsed.headings, parsed.anchors)
    services = by_heading(sections, "AI/ML Services")
    core = by_heading(sections, "Core Services")
    assert (services.level, services.parent_index) == (1, None)
    assert (core.level, core.parent_index) == (2, services.section_index)
    assert core.text.startswith("1. Core Services\n")
    assert "   - SageMaker\n" in core.text and "   - Lex\n" in core.text
    assert "SageMaker" not in headings_of(sections)
    # The intro sentence that ends with a colon is long: it stays in the lead.
    assert sections[0].heading is None and "technical focus:" in sections[0].text
    levels = {s.heading: s.level for s in sections if s.heading in ("Machine Learning", "Governance")}
    assert levels == {"Machine Learning": 1, "Governance": 2}


# --- heuristics on plain text, without the parser ------------------------------------------------------


def test_plain_000_titles_found_and_promo_lines_left() -> None:
    """000 as raw text: the three section titles are headings; promo lines followed by no prose are not."""
    text = seed_text("000_")
    sections = segment_sections(text)
    assert_tiles(text, sections)
    found = headings_of(sections)
    assert_in_order(["AI & ML Pillars", "All That Jazz", "Challenges Ahead"], found)
    promos = [
        "Download our Mobile App",
        "Sign up for The Deep Learning Podcast",
        "3 Ways to Join our Community",
    ]
    for promo in promos:
        assert promo not in found
    # The title line ends with "?" and the lead starts at 0 with it.
    assert sections[0].heading is None and sections[0].text.startswith("How Andy Jassy")
    pillars = by_heading(sections, "AI & ML Pillars")
    assert pillars.text.startswith("AI & ML Pillars\n\nWith AWS, Jassy has made big bets")
    assert (pillars.level, pillars.parent_index) == (1, None)


def test_plain_003_after_header_lines() -> None:
    """003 with its Source:/Date:/Category:/Title: lines cut, as the parser hands it over."""
    text = seed_text("003_").split("\n", 4)[4].lstrip("\n")
    sections = segment_sections(text)
    assert_tiles(text, sections)
    entry = next(e for e in GOLD if e["file"].startswith("003_"))
    assert_in_order(entry["headings"], headings_of(sections))
    assert_in_order(entry["should_headings"], headings_of(sections))
    # Every numbered group of the outline sits one level below its label.
    for section in sections[1:]:
        if section.text.startswith(tuple(f"{n}. " for n in range(1, 10))):
            assert section.level == 2 and sections[section.parent_index or 0].level == 1


def test_plain_004_german_label_is_a_heading_and_caption_is_not() -> None:
    """'Wichtigste Punkte:' is a level-1 heading; the lone 'Chip Technologie (3)' link is not."""
    text = seed_text("004_")
    sections = segment_sections(text)
    assert_tiles(text, sections)
    assert headings_of(sections) == ["Wichtigste Punkte"]
    points = by_heading(sections, "Wichtigste Punkte")
    assert points.level == 1 and points.text.startswith("Wichtigste Punkte:\n\n🌟 Amazon plant")


def test_heuristics_find_markdown_headings_of_001_without_hints() -> None:
    """Without its hints the 001 body still yields its headings; bold lead-ins and colon lines do not."""
    parsed = parse_seed("001_ca23b936812034eb.txt")
    sections = segment_sections(parsed.text)
    assert_tiles(parsed.text, sections)
    found = headings_of(sections)
    assert_in_order(next(e for e in GOLD if e["file"].startswith("001_"))["headings"], found)
    assert not [h for h in found if h.startswith(("1/", "2/", "3/"))]
    assert "Amazon’s AI flywheel was built on 5 key principles" not in found


def test_bold_lead_in_paragraph_is_not_a_heading() -> None:
    """`**1/ Generate bold ideas** - Since …` stripped of markup is a long line of prose, not a heading."""
    text = (
        "Amazon’s AI flywheel was built on key principles.\n\n"
        "1/ Generate bold ideas - Since the early days, Amazon’s recommendations engine, shipping schedules "
        "and warehouse fulfillment robots have been infused with AI.\n\n"
        "Some of the resulting ideas involved entirely new businesses and products like the Echo speaker.\n"
    )
    sections = segment_sections(text)
    assert [(s.heading, s.char_start, s.char_end) for s in sections] == [(None, 0, len(text))]


# --- hints -----------------------------------------------------------------------------------------------


def prepare_002_by_hand() -> tuple[str, list[Heading], list[Anchor]]:
    """002 turned into body text, heading hints and anchors without the parser (a minimal Markdown pass)."""
    body = seed_text("002_").split("---", 2)[2]
    anchor = re.compile(r'\s*<a class="yt-timestamp" data-t="(\d+):(\d+):(\d+)">\[[^\]]*\]</a>')
    text_parts: list[str] = []
    hints: list[Heading] = []
    anchors: list[Anchor] = []
    length = 0
    for line in body.strip("\n").split("\n"):
        if line.startswith("From:"):
            continue
        line = re.sub(r"\[\[[^\]|]*\|\s*([^\]]+?)\s*\]\]", r"\1", line).replace("*   ", "- ")
        if heading := re.match(r"^(#{2,3}) (.+)$", line):
            line = heading.group(2)
            hints.append(Heading(line, len(heading.group(1))))
        pos = 0
        for match in anchor.finditer(line):
            text_parts.append(line[pos : match.start()])
            length += match.start() - pos
            h, m, s = (int(g) for g in match.groups())
            anchors.append(Anchor(length, h * 3600 + m * 60 + s))
            pos = match.end()
        rest = line[pos:] + "\n"
        text_parts.append(rest)
        length += len(rest)
    return "".join(text_parts), hints, anchors


def test_hand_prepared_002_headings_levels_times() -> None:
    """Hints built by hand from the ## / ### lines give the gold headings, levels and start times."""
    text, hints, anchors = prepare_002_by_hand()
    sections = segment_sections(text, hints, anchors)
    assert_tiles(text, sections)
    entry = next(e for e in GOLD if e["file"].startswith("002_"))
    assert headings_of(sections) == entry["headings"]
    assert {s.heading: s.level for s in sections if s.heading} == entry["heading_levels"]
    assert [s.start_time for s in sections] == [6, 20, None, 59, 53]
    assert "databases ." not in normalise_ws(text)


def test_hints_in_order_missing_ones_skipped_repeated_text_matched_forward() -> None:
    """A hint cut from the text is skipped; a repeated heading text matches the next occurrence."""
    text = "Intro line.\n\nSetup\n\nFirst setup.\n\nUsage\n\nUse it.\n\nSetup\n\nSecond setup.\n"
    hints = [
        Heading("Setup", 2),
        Heading("Gone by boilerplate removal", 2),
        Heading("Usage", 2),
        Heading("Setup", 3),
    ]
    sections = segment_sections(text, hints)
    assert_tiles(text, sections)
    assert [(s.heading, s.level, s.parent_index) for s in sections] == [
        (None, 0, None),
        ("Setup", 2, None),
        ("Usage", 2, None),
        ("Setup", 3, 2),
    ]
    assert sections[3].text == "Setup\n\nSecond setup.\n"


def test_hints_win_over_heuristics_and_fall_back_when_none_match() -> None:
    """With matching hints only they make headings; with no hint in the text the heuristic runs."""
    text = "Overview\n\nThis paragraph explains the overview of the whole system in plenty of words.\n"
    assert headings_of(segment_sections(text, [Heading("This is not in the text", 1)])) == ["Overview"]
    text2 = text + "\nDetails\n\nAnother paragraph that explains the details of the system in many words.\n"
    assert headings_of(segment_sections(text2, [Heading("Details", 2)])) == ["Details"]


def test_anchor_at_section_start_and_at_end_of_text() -> None:
    """An anchor at a section's first character belongs to it; one at len(text) to the last section."""
    text = "Alpha\n\nSome text about alpha that is long enough.\n\nBeta\n\nMore text about beta here.\n"
    beta = text.index("Beta")
    sections = segment_sections(
        text,
        [Heading("Alpha", 1), Heading("Beta", 1)],
        [Anchor(len(text), 99), Anchor(beta, 42), Anchor(-5, 1), Anchor(10**6, 2)],
    )
    assert [s.start_time for s in sections] == [None, 42]
    only_end = segment_sections(text, [Heading("Alpha", 1), Heading("Beta", 1)], [Anchor(len(text), 99)])
    assert [s.start_time for s in only_end] == [None, 99]


# --- edge cases ------------------------------------------------------------------------------------------


def test_empty_and_blank_texts_give_one_section() -> None:
    """Empty text: one empty lead 0..0; whitespace-only text: one lead covering it."""
    assert segment_sections("") == [Section(0, None, 0, None, 0, 0, "")]
    blank = " \n\n\t\n"
    assert segment_sections(blank) == [Section(0, None, 0, None, 0, len(blank), blank)]


def test_whitespace_lead_is_absorbed_by_first_heading() -> None:
    """Blank lines before the first heading belong to its section, so that sections start at 0."""
    text = "\n\nSummary\n\nThis is the summary paragraph of the report, long enough to be prose.\n"
    sections = segment_sections(text)
    assert [(s.heading, s.char_start, s.char_end) for s in sections] == [("Summary", 0, len(text))]


def test_setext_and_crlf() -> None:
    """A setext underline makes a heading (= level 1, - level 2); CRLF line ends keep offsets right."""
    text = "Intro paragraph.\r\n\r\nResults\r\n=======\r\n\r\nThe results were good, we measured twice.\r\n"
    sections = segment_sections(text)
    assert_tiles(text, sections)
    assert [(s.heading, s.level) for s in sections] == [(None, 0), ("Results", 1)]
    assert sections[1].text.startswith("Results\r\n=======")
    text2 = "Methods\n-------\n\nWe used a ruler and a pencil to measure the table carefully.\n"
    assert [(s.heading, s.level) for s in segment_sections(text2)] == [("Methods", 2)]


def test_lines_that_are_not_titles() -> None:
    """Sentences, dates, URLs, lowercase starts and lines before non-prose stay body text."""
    prose = "\n\nThis is a paragraph of ordinary prose with enough words to count as one.\n\n"
    for line in (
        "This ends with a period.",
        "24th Mar, 2023 | Webinar",
        "https://example.com/page",
        "by Vijayalakshmi Anandan",
        "Chip Technologie (3)",
        "- a list item",
        "@Selkkaus",
        "Kaikki sydämellisesti tervetuloa! 🙂",
        "“Quoted words here”",
    ):
        assert headings_of(segment_sections("Lead." + prose + line + prose)) == [], line
    assert headings_of(segment_sections("Lead." + prose + "Download our App\n\nNext Title\n")) == []
    # A line whose next block goes on in lower case is the start of a wrapped sentence.
    tail = "bigger or slower, or even both at once.\n"
    wrapped = "Lead." + prose + "The configuration usually makes the kernel\n\n" + tail
    assert headings_of(segment_sections(wrapped)) == []


def test_run_of_title_like_lines_is_not_a_heading_chain() -> None:
    """Consecutive short lines (names, links) do not head each other; only the last one before prose can."""
    names = [
        "Xavier Gravelaine – 5 sélections (Guadeloupe)",
        "Bernard Lama – 44 sélections (Guyane)",
        "Marius Trésor – 65 sélections (Guadeloupe)",
    ]
    text = "\n\n".join(names) + "\n\nThese players were born overseas and chose to play for France.\n"
    assert headings_of(segment_sections(text)) == [names[-1]]


# --- properties ------------------------------------------------------------------------------------------

WORD = st.text(alphabet=st.characters(categories=("Lu", "Ll", "Nd")), min_size=1, max_size=9)
TITLE = st.lists(WORD, min_size=1, max_size=6).map(lambda ws: " ".join(w.capitalize() for w in ws))
LINE = st.one_of(
    TITLE,
    TITLE.map(lambda t: t + ":"),
    st.tuples(st.integers(1, 12), TITLE).map(lambda p: f"{p[0]}. {p[1]}"),
    WORD.map(lambda w: f"   - {w}"),
    WORD.map(lambda w: f"- {w}"),
    st.lists(WORD, min_size=8, max_size=30).map(lambda ws: " ".join(ws) + "."),
    st.sampled_from(["", " ", "\t", "===", "---", "\r", "#", "1.", ":", "( 3 )"]),
    st.text(max_size=40),
)
DOC = st.lists(LINE, max_size=40).map("\n".join) | st.text(max_size=300)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=DOC, data=st.data())
def test_property_sections_tile_the_text(text: str, data: st.DataObject) -> None:
    """For any text, hints and anchors: sections tile the text in order and nothing raises."""
    lines = [line for line in text.split("\n") if line.strip()]
    hint_texts = data.draw(st.lists(st.sampled_from(lines) if lines else TITLE, max_size=5) | st.just([]))
    hints = [Heading(t, data.draw(st.integers(-1, 7))) for t in hint_texts]
    anchors = data.draw(
        st.lists(st.builds(Anchor, st.integers(-3, len(text) + 3), st.integers(0, 9999)), max_size=6)
    )
    sections = segment_sections(text, hints, anchors)
    assert_tiles(text, sections)
    for section in sections:
        inside = [
            a.seconds
            for a in sorted(anchors, key=lambda a: a.offset)
            if section.char_start <= a.offset < section.char_end
            or (section is sections[-1] and a.offset == len(text))
        ]
        assert section.start_time == (inside[0] if inside else None)
        if section.heading is not None and section.char_start > 0:
            # A heading section starts at the start of a line.
            assert text[section.char_start - 1] == "\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=DOC
    | st.lists(st.sampled_from(["a b", " ", "\u00a0", "\u2028", "\r", "\n", "x\ty"]), max_size=30).map(
        "".join
    )
)
def test_property_section_words_add_up_to_the_text_words(text: str) -> None:
    """Sections start after a line break, so no word spans two: their word counts add up to the text's."""
    assert sum(s.n_words for s in segment_sections(text)) == len(text.split())


@pytest.mark.parametrize(
    ("line", "heading"),
    [
        ("Wichtigste Punkte" + " " * 90 + ":", "Wichtigste Punkte"),  # a label is measured without its colon
        ("1." + " " * 90 + "Core Services", "Core Services"),  # an outline item without its number
        ("Final Thoughts " + "x" * 80, None),  # too long for a title
    ],
)
def test_long_lines_are_headings_only_when_their_title_is_short(line: str, heading: str | None) -> None:
    body = "This paragraph reads like prose, with enough words to count as the block under a title."
    sub = "   - SageMaker\n   - Bedrock" if line.startswith("1.") else body
    text = f"Intro line.\n\n{line}\n{sub}" if line.startswith("1.") else f"Intro line.\n\n{line}\n\n{sub}"
    assert [s.heading for s in segment_sections(text) if s.heading] == ([heading] if heading else [])
