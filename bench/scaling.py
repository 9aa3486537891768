"""How one document's cost grows with its size: a step that is quadratic somewhere shows at once.

Each input shape (prose, menus, comment threads; Markdown lists, headings, tables and links; HTML
articles, a paragraph of inline markup, link lists, nesting and tables) is built from real lines of
`../shared/dev-data` (content lines as the text, noise lines as menu items, link texts and cells) at
`--units` and at `--factor` times as many units, and run through the parse and curate steps as a run
runs a document (`parse_step`, then `curate_step`, in this process). Prints CPU seconds per step at both
sizes (the best of `--repeat` runs; for the HTML shapes also plain `trafilatura.extract`'s, the parse
step's peer), MB/s at the larger one and the growth of the total: a linear step grows by about the factor,
a quadratic one by its square; growth above 1.5 times the factor is flagged when the larger run took
0.5 s or more (shorter ones are noisy). About a minute and a half with the defaults.

    .venv/bin/python -m bench.scaling [--units 1000] [--factor 4] [--repeat 2] [--shapes html_inline,md_list]
"""

from __future__ import annotations

import argparse
import html
import json
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.boilerplate_data import load_pages, require_dev_data
from bench.common import print_table, probed
from pipeline.cleaning.ingest import DEFAULT_MAX_BYTES
from pipeline.datasets.steps import CurateConfig, SeedsConfig, curate_input, curate_step, parse_step, raw_row

SUPER_LINEAR = 1.5  # growth above this many times the size factor is flagged ...
MIN_FLAG_S = 0.5  # ... when the larger document took this long (shorter runs are noisy)


class Lines:
    """Real lines to build documents from, drawn in a fixed order: long content lines and short noise."""

    def __init__(self, content: list[str], noise: list[str], seed: int = 7) -> None:
        """Lines to draw from (each list non-empty)."""
        self.content, self.noise = content, noise
        self.rng = random.Random(seed)

    @classmethod
    def from_dev_data(cls) -> Lines:
        """Content lines of 80-400 characters and noise lines of 3-40 from every labelled page."""
        pages = load_pages()
        labelled = [
            (line.strip(), label) for p in pages for line, label in zip(p.lines, p.labels, strict=True)
        ]
        content = [line for line, label in labelled if label and 80 <= len(line) <= 400]
        noise = [line for line, label in labelled if not label and 3 <= len(line) <= 40 and "|" not in line]
        return cls(content, noise)

    def prose(self) -> str:
        """A content line."""
        return self.rng.choice(self.content)

    def item(self) -> str:
        """A noise line: a menu item, a link text, a cell."""
        return self.rng.choice(self.noise)


def _html(body: str) -> str:
    """A page around a body."""
    return f"<!DOCTYPE html><html><head><title>A page</title></head><body>{body}</body></html>"


def _md(body: str) -> str:
    """A Markdown document around a body: a heading and a link, two kinds of Markdown markup, so that it is
    read as Markdown whatever the body holds (formats.looks_like_markdown)."""
    return f"# A document\n\nFrom [the index](https://example.org/).\n\n{body}\n"


def _e(text: str) -> str:
    """A line as HTML text."""
    return html.escape(text, quote=False)


# name -> (file suffix, builder of a document of n units)
SHAPES: dict[str, tuple[str, Callable[[Lines, int], str]]] = {
    "text_prose": (".txt", lambda t, n: "\n\n".join(t.prose() for _ in range(n))),
    "text_menu": (".txt", lambda t, n: t.prose() + "\n" + "\n".join(t.item() for _ in range(5 * n))),
    "text_comments": (
        ".txt",
        lambda t, n: (
            t.prose()
            + "\n\n12 Comments\n"
            + "\n".join(f"{t.item()} says:\n{t.prose()}\nReply" for _ in range(n))
        ),
    ),
    "md_list": (
        ".md",
        lambda t, n: _md("\n".join("  " * (i % 4) + f"- {t.prose()}" for i in range(n))),
    ),
    "md_headings": (
        ".md",
        lambda t, n: _md("\n\n".join(f"{'#' * (1 + i % 4)} {t.item()}\n\n{t.prose()}" for i in range(n))),
    ),
    "md_table": (
        ".md",
        lambda t, n: _md(
            "| a | b | c |\n|---|---|---|\n"
            + "\n".join(f"| {t.item()} | {t.prose()} | {i} |" for i in range(n))
        ),
    ),
    "md_links": (
        ".md",
        lambda t, n: _md(
            "\n".join(
                " ".join(f"[{t.item()}](https://example.org/{i}/{k})" for k in range(5)) for i in range(n)
            )
        ),
    ),
    "html_article": (
        ".html",
        lambda t, n: _html("<article>" + "".join(f"<p>{_e(t.prose())}</p>" for _ in range(n)) + "</article>"),
    ),
    "html_inline": (
        ".html",
        lambda t, n: _html(
            "<p>"
            + " ".join(f"<b>{_e(t.item())}</b> {_e(t.prose())} <i>{_e(t.item())}</i>" for _ in range(n))
            + "</p>"
        ),
    ),
    "html_links": (
        ".html",
        lambda t, n: _html(
            "<ul>"
            + "".join(f"<li><a href='/{i}'>{_e(t.item())}</a></li>" for i in range(5 * n))
            + f"</ul><p>{_e(t.prose())}</p>"
        ),
    ),
    "html_nested": (
        ".html",
        lambda t, n: _html(
            "".join(f"<div><div><section><p>{_e(t.prose())}</p></section></div></div>" for _ in range(n))
        ),
    ),
    "html_table": (
        ".html",
        lambda t, n: _html(
            "<table>"
            + "".join(
                "<tr>" + "".join(f"<td>{_e(t.item())}</td>" for _ in range(10)) + "</tr>" for _ in range(n)
            )
            + "</table>"
        ),
    ),
}


def run_document(path: Path, repeat: int = 1) -> tuple[float, float]:
    """CPU seconds of the parse and curate steps on one file, as a run gives it to them (each the best of
    `repeat` runs)."""
    runs = [_run_once(path) for _ in range(repeat)]
    return min(parse for parse, _ in runs), min(curate for _, curate in runs)


def _run_once(path: Path) -> tuple[float, float]:
    """CPU seconds of the parse and curate steps on one file, once."""
    raw = raw_row(path.read_bytes(), path.name)
    started = time.process_time()
    parsed = parse_step(SeedsConfig(str(path.parent), DEFAULT_MAX_BYTES), raw)
    parse_s = time.process_time() - started
    if parsed.get("skip_reason") is not None:
        return parse_s, 0.0
    row = curate_input(parsed)
    started = time.process_time()
    curate_step(CurateConfig(), row)
    return parse_s, time.process_time() - started


def is_super_linear(growth: float, factor: int, seconds: float) -> bool:
    """Whether a shape's cost grew well beyond its size (the larger run long enough to tell)."""
    return growth > SUPER_LINEAR * factor and seconds >= MIN_FLAG_S


def trafilatura_seconds(path: Path, repeat: int = 1) -> float:
    """CPU seconds of plain `trafilatura.extract` on an HTML file (the peer of the parse step), the best of
    `repeat` runs."""
    from trafilatura import extract

    html_text = path.read_text(encoding="utf-8")

    def once() -> float:
        """CPU seconds of one extraction."""
        started = time.process_time()
        extract(html_text)
        return time.process_time() - started

    return min(once() for _ in range(repeat))


def measure(lines: Lines, name: str, units: int, factor: int, repeat: int, folder: Path) -> dict[str, Any]:
    """One shape's figures: MB, parse and curate CPU seconds at `units` and `factor` times as many (and
    plain trafilatura's for an HTML shape), the growth of the total and MB/s at the larger size."""
    suffix, build = SHAPES[name]
    sizes, parse_s, curate_s, peer_s = [], [], [], []
    for n in (units, units * factor):
        path = folder / f"{name}{suffix}"
        path.write_text(build(lines, n), encoding="utf-8")
        parse, curate = run_document(path, repeat)
        sizes.append(round(path.stat().st_size / 1e6, 3))
        parse_s.append(round(parse, 3))
        curate_s.append(round(curate, 3))
        if suffix == ".html":
            peer_s.append(round(trafilatura_seconds(path, repeat), 3))
    small, large = parse_s[0] + curate_s[0], parse_s[1] + curate_s[1]
    growth = large / max(small, 1e-6)
    return {
        "shape": name,
        "mb": sizes,
        "parse_s": parse_s,
        "curate_s": curate_s,
        "growth": round(growth, 2),
        "mb_per_s": round(sizes[1] / max(large, 1e-6), 2),
        "super_linear": is_super_linear(growth, factor, large),
        "trafilatura_s": peer_s or None,
    }


def main(argv: list[str] | None = None) -> int:
    """Time every shape at both sizes; print one JSON line per shape, then the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--units", type=int, default=1000, help="units of the smaller document")
    parser.add_argument("--factor", type=int, default=4, help="how many times larger the second one is")
    parser.add_argument("--repeat", type=int, default=2, help="runs per document; the best counts")
    parser.add_argument(
        "--shapes", default=",".join(SHAPES), help="comma-separated, from: " + ", ".join(SHAPES)
    )
    args = parser.parse_args(argv)
    shapes = [s for s in args.shapes.split(",") if s]
    unknown = sorted(set(shapes) - set(SHAPES))
    if unknown:
        parser.error(f"unknown shapes {unknown}")
    require_dev_data()
    lines = Lines.from_dev_data()
    results = []
    with probed("scaling"), tempfile.TemporaryDirectory(prefix="webcurate-scaling-") as tmp:
        warm = Path(tmp) / "warm.html"  # imports and models loaded before the first measure
        warm.write_text(SHAPES["html_article"][1](lines, 5), encoding="utf-8")
        run_document(warm)
        for name in shapes:
            results.append(measure(lines, name, args.units, args.factor, args.repeat, Path(tmp)))
            print(json.dumps({"bench": "scaling", **results[-1]}), flush=True)
    print()
    header = [
        "shape",
        "MB",
        "parse s",
        "curate s",
        f"MB x{args.factor}",
        "parse s",
        "curate s",
        "growth",
        "MB/s",
        f"trafilatura s (x{args.factor})",
        "",
    ]
    rows = [
        [
            r["shape"],
            r["mb"][0],
            r["parse_s"][0],
            r["curate_s"][0],
            r["mb"][1],
            r["parse_s"][1],
            r["curate_s"][1],
            r["growth"],
            r["mb_per_s"],
            "" if r["trafilatura_s"] is None else " -> ".join(f"{x:.3f}" for x in r["trafilatura_s"]),
            "super-linear" if r["super_linear"] else "",
        ]
        for r in results
    ]
    print_table(header, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
