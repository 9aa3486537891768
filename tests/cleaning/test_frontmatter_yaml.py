"""YAML front matter: the libyaml fast path reads exactly what the bounded pure-Python loader reads."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml

from pipeline.cleaning.formats.frontmatter import (
    MAX_YAML_ALIASES,
    FrontMatterError,
    _BoundedLoader,
    _fast_yaml,
    split_front_matter,
)
from tests.conftest import SEEDS

# Front matter as static-site generators and note tools write it: dates, timestamps, lists, nested
# maps, quoted and folded strings, comments, YAML 1.1 booleans and numbers.
INLINE = [
    'title: "AI & ML Pillars"\ndate: 2024-03-24\ntags: [ai, amazon]',
    'layout: post\ntitle:  "Welcome to Jekyll!"\ndate:   2015-11-17 16:16:01 -0600\n'
    "categories: jekyll update\npermalink: /blog/:year/:month/",
    "title: My Post\nauthor:\n  name: Jane Roe\n  email: jane@example.com\ntags:\n  - machine learning\n"
    "  - \"deep learning\"\n  - 'AI: the future'\ndraft: false\nweight: 10\nlastmod: 2020-09-01T14:00:00Z",
    "title: Über uns – Fragen?\ndescription: >\n  Was ist KI und\n  wozu dient sie?\n\n  Zweiter Absatz.\n"
    "image: /img/a.png # header image\nextra: {toc: yes, math: off, version: 1.10, ratio: .5, big: 0x1F}",
    "title: Andy Jassy\nsummary: |\n  line one\n  line two\nempty:\nnone: ~\nlist: []\nmap: {}",
]


def _bounded(text: str) -> Any:
    """What the bounded pure-Python loader reads from `text`."""
    return yaml.load(text, Loader=_BoundedLoader)


def _seed_yaml_front_matter() -> list[str]:
    """The YAML front matter of every seed that has one."""
    found = []
    for path in sorted(SEEDS.iterdir()):
        first, _, rest = path.read_text(encoding="utf-8").partition("\n")
        if first.strip() == "---":
            lines = rest.split("\n")
            end = next(i for i, line in enumerate(lines) if line.strip() in ("---", "..."))
            found.append("\n".join(lines[:end]))
    return found


def test_seeds_have_yaml_front_matter() -> None:
    # Guards the next test against passing on nothing.
    assert any("videoId" in matter for matter in _seed_yaml_front_matter())


@pytest.mark.parametrize("matter", _seed_yaml_front_matter() + INLINE)
def test_fast_path_reads_the_same_fields_as_the_bounded_loader(matter: str) -> None:
    done, value = _fast_yaml(matter)
    assert done, "real front matter without aliases should take the libyaml path"
    assert value == _bounded(matter)
    assert [type(v) for v in value.values()] == [type(v) for v in _bounded(matter).values()]


def test_fast_path_keeps_dates_timestamps_and_lists() -> None:
    split = split_front_matter(INLINE[2].join(["---\n", "\n---\nBody.\n"]))
    assert split.fields["lastmod"] == dt.datetime(2020, 9, 1, 14, 0, tzinfo=dt.UTC)
    assert split.fields["tags"] == ["machine learning", "deep learning", "AI: the future"]
    assert split.fields["author"] == {"name": "Jane Roe", "email": "jane@example.com"}
    assert split.body == "Body.\n"


def test_front_matter_with_aliases_takes_the_bounded_loader() -> None:
    few = "base: &base [ai, aws]\ntags: *base\nmore: [*base, *base]"
    assert _fast_yaml(few) == (False, None)
    assert split_front_matter(f"---\n{few}\n---\nBody").fields == {
        "base": ["ai", "aws"],
        "tags": ["ai", "aws"],
        "more": [["ai", "aws"], ["ai", "aws"]],
    }
    # Only the bounded loader counts aliases: one over the bound, without any nesting, is refused.
    many = "x: &x 1\ny: [" + ", ".join(["*x"] * (MAX_YAML_ALIASES + 1)) + "]"
    with pytest.raises(FrontMatterError, match="aliases"):
        split_front_matter(f"---\n{many}\n---\nBody")


@pytest.mark.parametrize(
    "matter",
    [
        "title: AI\tML\ndate: 2024-03-02",  # a tab: an error for the pure-Python loader only
        "title: x\ntags: [ai?, amazon]",  # "?" in a flow list ends the plain scalar for it
        "title: x\ndate: |#2024",  # a comment glued to a block scalar header
        "title: x\nnote: !",  # an empty tag: None for one loader, "" for the other
        "x: \x85\ufeffy",  # a byte-order mark after the start
    ],
)
def test_texts_the_loaders_read_differently_keep_the_bounded_reading(matter: str) -> None:
    assert _fast_yaml(matter) == (False, None)
    try:
        expected: Any = _bounded(matter)
    except yaml.YAMLError:
        with pytest.raises(FrontMatterError, match="invalid YAML"):
            split_front_matter(f"---\n{matter}\n---\nBody")
        return
    assert split_front_matter(f"---\n{matter}\n---\nBody").fields == (expected or {})


def test_deeply_nested_front_matter_never_reaches_libyaml() -> None:
    # libyaml nests by C recursion: tens of thousands of levels crash the process instead of raising.
    deep = "a: " + "[" * 50_000 + "]" * 50_000
    assert _fast_yaml(deep) == (False, None)
    shallow = "a: " + "[" * 20 + "]" * 20
    assert _fast_yaml(shallow) == (True, _bounded(shallow))


def test_invalid_yaml_keeps_the_bounded_loaders_message() -> None:
    # libyaml words this "did not find expected ',' or ']'": failures are re-read by the bounded loader.
    with pytest.raises(
        FrontMatterError,
        match=r"^invalid YAML front matter at line 2: expected ',' or '\]', but got '<stream end>'$",
    ):
        split_front_matter("---\ntitle: [unclosed\n---\nbody\n")


@pytest.mark.parametrize(
    "matter",
    [
        "a: " + "[" * 1000 + "]" * 1000,
        "a: " + "{b: " * 1000 + "1" + "}" * 1000,
        "\n".join(" " * level + f"k{level}:" for level in range(1000)) + " leaf",
    ],
    ids=["flow-sequences", "flow-mappings", "block-mappings"],
)
def test_front_matter_nested_a_thousand_deep_is_refused_not_a_recursion_error(matter: str) -> None:
    # The bounded loader's composer recursed per level and raised RecursionError past ~300 levels.
    with pytest.raises(FrontMatterError, match=r"^YAML front matter nested deeper than 150 levels$"):
        split_front_matter(f"---\n{matter}\n---\nBody")


def test_nesting_up_to_the_bound_still_loads_on_the_bounded_loader() -> None:
    matter = "x: &x 1\ny: *x\na: " + "[" * 140 + "]" * 140  # the alias sends it to the bounded loader
    assert _fast_yaml(matter) == (False, None)
    fields = split_front_matter(f"---\n{matter}\n---\nBody").fields
    assert fields["y"] == 1 and fields["a"] == _bounded("a: " + "[" * 140 + "]" * 140)["a"]
