"""A hostile seeds folder, built at test time: every kind of file a scrape can leave behind, each with
what the pipeline must do with it (curate it, or record it as skipped with a reason).

Beside the seeds folder, `outside/` holds what the symlinks point at: a file carrying a unique marker
and a FIFO. Neither may ever be read; `FifoWatch` notices anyone who opens a FIFO.
"""

from __future__ import annotations

import argparse
import codecs
import gzip
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import TreeMemory

REPO = Path(__file__).resolve().parents[2]

CURATED, SKIPPED = "curated", "skipped"
MiB = 1 << 20
LONG_LINE_BYTES = 50 * MiB
BOMB_GIB = 4  # the single-layer bomb inflates to this many GiB (the nested one too, fully inflated)
NESTING = 5_000  # levels of the deep HTML and Markdown quotes (the deep outline has a fifth)
YAML_DEPTH = 1_000  # levels of the deep front matter


@dataclass(frozen=True)
class Fixture:
    """One entry of the seeds folder: its class and what the pipeline must make of it.

    `expect` is CURATED (`phrase`, when set, must be in the curated text) or SKIPPED (`phrase` must be
    in the recorded reason); None means the outcome depends on the platform (only the count is checked).
    """

    path: bytes  # relative to the seeds folder, as raw bytes (names need not be UTF-8)
    kind: str
    expect: str | None
    phrase: str = ""

    @property
    def source_path(self) -> str:
        """The path as the pipeline records it: undecodable name bytes as `\\xNN`."""
        return self.path.decode("utf-8", "backslashreplace")


@dataclass
class Hostile:
    """The built folders, the fixtures and the markers that must never show up in any output."""

    root: Path
    seeds: Path
    outside: Path
    fixtures: list[Fixture] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)
    fifos: list[Path] = field(default_factory=list)  # FIFOs nobody may open (in and outside the seeds)
    locked: list[Path] = field(default_factory=list)  # chmod 000 entries, unlocked again by restore()

    def restore(self) -> None:
        """Give the locked entries their permissions back (so that the folder can be removed)."""
        for path in self.locked:
            path.chmod(0o755 if path.is_dir() else 0o644)

    def by_kind(self) -> dict[str, list[Fixture]]:
        """Fixtures grouped by class."""
        kinds: dict[str, list[Fixture]] = {}
        for fixture in self.fixtures:
            kinds.setdefault(fixture.kind, []).append(fixture)
        return kinds


# --- content ---------------------------------------------------------------------------------------------

PROSE = (
    "The harbour authority of {town} published its annual report on the state of the old quay walls. "
    "Engineers found that the stones laid in the nineteenth century still carry the weight of the cranes, "
    "but the mortar between them has washed out in many places and must be replaced before winter.\n\n"
    "Residents asked at the public meeting whether the fish market could stay open during the works. "
    "The council promised a temporary hall near the lighthouse, paid for from the maintenance fund of {town}."
)
GERMAN = (
    "Größere Übersicht für die Bürger von Köln: Die Stadtverwaltung hat am Dienstag ihren Haushaltsplan "
    "vorgestellt. Für Schulen, Brücken und Radwege sind in diesem Jahr 120 Millionen € vorgesehen, "
    "schrieb der Kämmerer in einer Mitteilung an den Rat. "
    "Die Opposition kritisierte die Pläne als zu zögerlich."
)
JAPANESE = (
    "東京都は来年度の予算案を発表しました。学校と病院の建て替えに重点を置き、"
    "防災対策にも多くの費用を充てるとしています。知事は記者会見で、都民の安全を最優先に考えたと述べました。"
    "専門家は、財政の健全性を保ちながら必要な投資を続けることが重要だと指摘しています。"
)
CHINESE = (
    "北京市政府今天公布了新的城市交通规划。根据规划，未来五年将新建三条地铁线路，"
    "并对老旧公交车进行全面更新。市民普遍认为这些措施将缓解交通拥堵问题，"
    "但也有专家提醒，建设过程中需要充分考虑对居民生活的影响。"
)
SCRIPT = (
    "var tracker = {id: 42, endpoint: '/collect'};\n"
    "function track(e) { navigator.sendBeacon(tracker.endpoint, e); }\n"
)


def prose(town: str) -> str:
    """Two paragraphs of English prose, distinct per town (repeated-line removal leaves them alone)."""
    return PROSE.format(town=town)


def page(body: str, charset: str, title: str) -> str:
    """An HTML page with a `<meta charset>` (which may lie) around `body`."""
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="{charset}"><title>{title}</title></head>\n'
        f"<body><article><h1>{title}</h1>\n<p>{body}</p>\n<p>{body}</p></article></body></html>\n"
    )


def mojibake(text: str, times: int) -> bytes:
    """UTF-8 read as cp1252 and saved as UTF-8, `times` times over."""
    data = text.encode("utf-8")
    for _ in range(times):
        data = data.decode("cp1252", errors="strict").encode("utf-8")
    return data


def gzip_bombs() -> tuple[bytes, bytes]:
    """(flat, nested): BOMB_GIB GiB of zeros as gzip members (~1 MiB per GiB), and that gzip gzipped again
    (a few KiB that inflate to the flat bomb, which inflates to GiBs). Built from one 1 MiB member, so
    building them costs milliseconds, not GiBs of compression."""
    member = gzip.compress(bytes(MiB), compresslevel=9, mtime=0)  # a member of 1 MiB of zeros
    flat = member * (BOMB_GIB * 1024)  # concatenated members are one valid gzip stream
    return flat, gzip.compress(flat, compresslevel=9, mtime=0)


def png() -> bytes:
    """A tiny PNG header and chunk (enough for any sniffing)."""
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00" + bytes(
        64
    )


def pdf() -> bytes:
    """The start of a PDF with a text-looking body."""
    return (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        + b"(Hello) Tj\n" * 50
    )


def zip_archive() -> bytes:
    """A real ZIP archive holding an HTML page."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.html", page(prose("Zipton"), "utf-8", "Zipped"))
    return buffer.getvalue()


def yaml_bomb() -> str:
    """Billion laughs: nine levels of nine aliases each."""
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, 10):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines)


def deep_yaml_block(depth: int) -> str:
    """A block mapping nested `depth` levels (one space per level)."""
    return "\n".join(" " * level + f"k{level}:" for level in range(depth)) + " leaf"


# --- the folder ------------------------------------------------------------------------------------------


def _write(seeds: Path, path: bytes, data: bytes) -> None:
    """Write `data` to a raw-bytes relative path under `seeds`, creating its folders."""
    full = os.fsencode(seeds) + b"/" + path
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as handle:
        handle.write(data)


def build(root: Path) -> Hostile:
    """Build the hostile seeds folder under `root` (seeds/ and outside/); returns it with its fixtures."""
    seeds, outside = root / "seeds", root / "outside"
    seeds.mkdir(parents=True)
    outside.mkdir()
    marker = f"OUTSIDE-MARKER-{uuid.uuid4().hex}"
    (outside / "secret.txt").write_text(f"{marker}\n\n{prose('Secretbury')}\n", encoding="utf-8")
    (outside / "secret.html").write_text(page(f"{marker} {prose('Secretbury')}", "utf-8", marker))
    os.mkfifo(outside / "trap.fifo")
    hostile = Hostile(root, seeds, outside, markers=[marker], fifos=[outside / "trap.fifo"])
    fixtures = hostile.fixtures

    def add(path: str | bytes, kind: str, expect: str | None, phrase: str, data: bytes | None) -> None:
        """Record a fixture, writing its bytes when given."""
        raw = path if isinstance(path, bytes) else path.encode("utf-8")
        if data is not None:
            _write(seeds, raw, data)
        fixtures.append(Fixture(raw, kind, expect, phrase))

    # Controls: ordinary documents, so the release has something in it.
    add(
        "ok/article.txt",
        "control",
        CURATED,
        "Aldbury",
        f"Harbour works in Aldbury\n\n{prose('Aldbury')}\n".encode(),
    )
    add("ok/note.md", "control", CURATED, "Bexley", f"# Bexley\n\n{prose('Bexley')}\n".encode())
    add(
        "ok/page.html",
        "control",
        CURATED,
        "Crowthorne",
        page(prose("Crowthorne"), "utf-8", "Crowthorne").encode(),
    )

    for name in ("empty/empty.txt", "empty/empty.html", "empty/empty.md"):
        add(name, "empty", SKIPPED, "empty file", b"")
    add("nul/nul.txt", "nul_only", SKIPPED, "only whitespace or NUL", bytes(4096))
    add("nul/nul.html", "nul_only", SKIPPED, "only whitespace or NUL", b"\x00" * 10 + b"\n" + b"\x00" * 10)

    for name, data, what in (
        ("image.html", png(), "png image"),
        ("image.txt", png(), "png image"),
        ("paper.html", pdf(), "pdf document"),
        ("paper.txt", pdf(), "pdf document"),
        ("bundle.html", zip_archive(), "zip archive"),
        ("bundle.txt", zip_archive(), "zip archive"),
    ):
        add(f"binary/{name}", "binary_renamed", SKIPPED, what, data)

    flat, nested = gzip_bombs()
    add("bomb/flat.html", "gzip_bomb", SKIPPED, "gzip archive", flat)
    add("bomb/nested.txt", "gzip_bomb", SKIPPED, "gzip archive", nested)
    add("bomb/nested.gz", "gzip_bomb", SKIPPED, "gzip archive", nested)

    invalid = prose("Dunmore").encode() + b" caf\xe9 \xff\xfe\xc3\x28 na\xefve \xed\xa0\x80 end\n"
    add("utf8/invalid.txt", "invalid_utf8", CURATED, "Dunmore", invalid)
    add(
        "utf8/truncated.md",
        "invalid_utf8",
        CURATED,
        "Eskdale",
        f"# Eskdale\n\n{prose('Eskdale')} €".encode()[:-1],
    )

    utf16 = f"{prose('Fairlight')}\n\n{GERMAN}\n"
    add("utf16/bom-le.txt", "utf16", CURATED, "Fairlight", codecs.BOM_UTF16_LE + utf16.encode("utf-16-le"))
    add("utf16/bom-be.txt", "utf16", CURATED, "Fairlight", codecs.BOM_UTF16_BE + utf16.encode("utf-16-be"))
    add("utf16/nobom-le.txt", "utf16", CURATED, "Fairlight", utf16.encode("utf-16-le"))
    add("utf16/nobom-be.txt", "utf16", CURATED, "Fairlight", utf16.encode("utf-16-be"))

    add(
        "charset/cp1252.html",
        "lying_charset",
        CURATED,
        "Größere Übersicht",
        page(GERMAN, "utf-8", "Köln").encode("cp1252"),
    )
    add(
        "charset/shift_jis.html",
        "lying_charset",
        CURATED,
        "東京都",
        page(JAPANESE, "iso-8859-1", "東京").encode("shift_jis"),
    )
    add(
        "charset/gb18030.html",
        "lying_charset",
        CURATED,
        "北京市",
        page(CHINESE, "utf-8", "北京").encode("gb18030"),
    )

    add(
        "mojibake/double.txt",
        "double_mojibake",
        CURATED,
        "Größere Übersicht",
        mojibake(f"Köln\n\n{GERMAN}\n", 2),
    )
    add(
        "mojibake/double.md",
        "double_mojibake",
        CURATED,
        "Größere Übersicht",
        mojibake(f"# Köln\n\n{GERMAN}\n", 2),
    )

    words = b"lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
    add(
        "long/line.txt",
        "long_line",
        SKIPPED,
        "characters (at most 1,048,576): not prose",
        (words * (LONG_LINE_BYTES // len(words) + 1))[:LONG_LINE_BYTES],
    )

    # The parser keeps 256 levels: deeper text would be lost, so such pages are refused, not cut.
    deep = "<div>" * NESTING + prose("Glenridding") + "</div>" * NESTING
    add(
        "deep/nested.html",
        "deep_html",
        SKIPPED,
        "nested 256 levels deep",
        f"<!DOCTYPE html><html><body>{deep}</body></html>".encode(),
    )
    unclosed = "<div><span>" * NESTING + prose("Hawkshead")
    add(
        "deep/unclosed.html",
        "deep_html",
        SKIPPED,
        "nested 256 levels deep",
        f"<!DOCTYPE html><html><body>{unclosed}".encode(),
    )
    header = f"<header><p>{prose('Ireby')}</p></header>"  # only this would have been curated
    add(
        "deep/with_header.html",
        "deep_html",
        SKIPPED,
        "nested 256 levels deep",
        f"<!DOCTYPE html><html><body>{header}{deep}</body></html>".encode(),
    )
    quotes = "> " * NESTING + prose("Jarrow")
    add("deep/quotes.md", "deep_markdown", CURATED, "Jarrow", f"# Jarrow\n\n{quotes}\n".encode())
    bullets = "\n".join("  " * level + "- item" for level in range(NESTING // 5)) + f"\n\n{prose('Keswick')}"
    add("deep/bullets.md", "deep_markdown", CURATED, "Keswick", f"# Keswick\n\n{bullets}\n".encode())

    script = f"<script>{SCRIPT}</script>"
    add(
        "script/only.html",
        "script_only",
        SKIPPED,
        "no body text",
        f"<!DOCTYPE html><html><head>{script}</head>"
        f"<body>{script * 3}<noscript></noscript></body></html>".encode(),
    )
    add(
        "script/style.html",
        "script_only",
        SKIPPED,
        "no body text",
        f"<html><head><style>body{{color:red}}</style>{script}</head><body>{script}</body></html>".encode(),
    )

    body = f"\n{prose('Ilkley')}\n".encode()
    add("front/unclosed.md", "front_matter", SKIPPED, "never closed", b"+++\ntitle = 'Unclosed'\n" + body)
    add(
        "front/unclosed_yaml.md",
        "front_matter",
        CURATED,
        "Ilkley",
        b"---\ntitle: a rule, not front matter\n" + body,
    )
    add("front/invalid.toml.md", "front_matter", SKIPPED, "invalid TOML", b"+++\ntitle = = 'x'\n+++\n" + body)
    add(
        "front/invalid.yaml.md",
        "front_matter",
        SKIPPED,
        "invalid YAML",
        b"---\ntitle: [unclosed\n---\n" + body,
    )
    add("front/bomb.md", "front_matter", SKIPPED, "aliases", f"---\n{yaml_bomb()}\n---\n".encode() + body)
    add("front/only.md", "front_matter", SKIPPED, "no body text", b"---\ntitle: only metadata\n---\n")
    add("front/only_toml.md", "front_matter", SKIPPED, "no body text", b"+++\ntitle = 'only'\n+++\n\n")
    add("front/list.md", "front_matter", SKIPPED, "not a mapping", b"---\n- a\n- b\n---\n" + body)
    flow = "a: " + "[" * YAML_DEPTH + "]" * YAML_DEPTH
    add("front/deep_flow.md", "deep_yaml", SKIPPED, "nested", f"---\n{flow}\n---\n".encode() + body)
    add(
        "front/deep_block.md",
        "deep_yaml",
        SKIPPED,
        "nested",
        f"---\n{deep_yaml_block(YAML_DEPTH)}\n---\n".encode() + body,
    )

    duplicate = f"Kendal market\n\n{prose('Kendal')}\n".encode()
    for name in ("dup/a.txt", "dup/b.txt", "dup/sub/a copy.txt"):
        add(name, "duplicate", CURATED, "Kendal", duplicate)

    _write(seeds, b"ok/inside-target.md", f"# Lindale\n\n{prose('Lindale')}\n".encode())
    add("ok/inside-target.md", "control", CURATED, "Lindale", None)
    links = {
        "links/outside.txt": outside / "secret.txt",  # absolute, to a file outside
        "links/outside.html": Path("../../outside/secret.html"),  # relative, outside
        "links/fifo.html": Path("../../outside/trap.fifo"),  # to a FIFO outside: opening it is caught
        "up": Path(".."),  # to the seeds folder's parent (holding outside/)
        "links/outside_dir": Path("../../outside"),  # to the folder outside
        "links/dangling.md": Path("nowhere.md"),
        "links/inside.md": Path("../ok/inside-target.md"),  # even inside the seeds folder: never followed
    }
    (seeds / "links").mkdir()
    for name, target in links.items():
        (seeds / name).symlink_to(target)
        add(name, "symlink", SKIPPED, "symlink (not followed)", None)

    os.mkfifo(seeds / "pipe.txt")
    hostile.fifos.append(seeds / "pipe.txt")
    add("pipe.txt", "fifo", SKIPPED, "not a regular file", None)

    # chmod 000 keeps out anyone but root (CI runs as root): then these are read, and only counted.
    root_user = os.geteuid() == 0
    locked = f"Locked\n\n{prose('Millom')}\n".encode()
    add("locked/locked.txt", "unreadable", None if root_user else SKIPPED, "unreadable", locked)
    _write(seeds, b"locked_dir/inside.txt", locked.replace(b"Millom", b"Mosser"))
    if root_user:
        add("locked_dir/inside.txt", "unreadable", None, "", None)
    else:
        add("locked_dir", "unreadable", SKIPPED, "unreadable folder", None)
    hostile.locked += [seeds / "locked/locked.txt", seeds / "locked_dir"]
    for path in hostile.locked:
        path.chmod(0)

    add("names/two\nlines.txt", "odd_name", CURATED, "Newby", f"Newby\n\n{prose('Newby')}\n".encode())
    add(
        b"names/caf\xe9-latin1.txt",
        "odd_name",
        SKIPPED,
        "not valid UTF-8",
        f"Orton\n\n{prose('Orton')}\n".encode(),
    )
    add("names/ünïcödé ✓.md", "odd_name", CURATED, "Penrith", f"# Penrith\n\n{prose('Penrith')}\n".encode())
    return hostile


# --- watching FIFOs --------------------------------------------------------------------------------------


class FifoWatch:
    """Threads that each block opening a FIFO for writing: the open returns only when someone opens the
    FIFO for reading, so `opened` lists every FIFO that anyone (any process) opened while watched."""

    def __init__(self, fifos: list[Path]) -> None:
        self.fifos = fifos
        self.opened: list[Path] = []
        self._done = threading.Event()
        self._threads = [threading.Thread(target=self._watch, args=(f,), daemon=True) for f in fifos]

    def _watch(self, fifo: Path) -> None:
        """Block until a reader opens `fifo`; a reader before stop() is a violation."""
        fd = os.open(fifo, os.O_WRONLY)
        if not self._done.is_set():
            self.opened.append(fifo)
        os.close(fd)

    def __enter__(self) -> FifoWatch:
        """Start watching."""
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop: open each FIFO for reading ourselves to release its watcher."""
        self._done.set()
        for fifo, thread in zip(self.fifos, self._threads, strict=True):
            if thread.is_alive():
                fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
                thread.join(timeout=5)
                os.close(fd)


def iter_strings(value: object) -> Iterator[str]:
    """Every string inside a nested value of lists, dicts and tuples."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.items():
            yield from iter_strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from iter_strings(item)


def marker_hits(folder: Path, markers: list[str], read_parquet: Callable[[Path], object]) -> list[str]:
    """Files under `folder` holding a marker: raw bytes of every file, and every string of every Parquet
    file (whose compression would hide a marker from a byte search)."""
    hits: list[str] = []
    encoded = [m.encode() for m in markers]
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        data = path.read_bytes()
        in_values = path.suffix == ".parquet" and any(
            m in s for s in iter_strings(read_parquet(path)) for m in markers
        )
        if in_values or any(m in data for m in encoded):
            hits.append(str(path))
    return hits


# --- the real asset graph in a child process -------------------------------------------------------------


@dataclass
class GraphRun:
    """What a child run of the asset graph reported, with its wall time and process-tree memory."""

    report: dict[str, Any]
    seconds: float
    peak_tree_rss_mb: float
    peak_tree_pss_mb: float
    peak_process_mb: float


def run_graph_in_child(seeds: Path, tmp: Path, *, deadline_s: float = 300, **settings: Any) -> GraphRun:
    """Materialize the asset graph over `seeds` into `tmp` in a fresh Python process (its own session,
    so that a hang kills the whole tree), sampling the memory of the process tree while it runs."""
    tmp.mkdir(parents=True, exist_ok=True)
    args = [sys.executable, "-m", "tests.reliability.hostile", str(seeds), str(tmp), json.dumps(settings)]
    started = time.perf_counter()
    child = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, start_new_session=True)
    with TreeMemory(child.pid, interval=0.05) as memory:
        try:
            child.communicate(timeout=deadline_s)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.communicate()
            raise AssertionError(f"the run did not finish within {deadline_s} s") from None
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise AssertionError(f"the run's process exited with {child.returncode}")
    with open(tmp / "report.json", encoding="utf-8") as handle:
        report = json.load(handle)
    return GraphRun(
        report,
        seconds,
        memory.peak_tree_rss_kib / 1024,
        memory.peak_tree_kib / 1024,
        memory.peak_proc_kib / 1024,
    )


def materialize(seeds: Path, tmp: Path, settings: dict[str, Any]) -> dict[str, Any]:
    """Materialize every asset with the project's settings resource (as tests/defs/test_materialize.py
    does); the run's success, failures and the release's metadata."""
    import dagster as dg

    from pipeline.defs import assets
    from pipeline.defs.io import resources_for
    from pipeline.defs.resources import WebcurateSettings

    resource = WebcurateSettings(
        seeds_dir=str(seeds),
        output_dir=str(tmp / "output"),
        schemas_dir=str(REPO / "schemas"),
        work_dir=str(tmp / "work"),
        **settings,
    )
    result = dg.materialize(assets.ASSETS, resources=resources_for(resource), raise_on_error=False)
    failures = [
        f"{event.step_key}: {event.step_failure_data.error.message}"  # type: ignore[union-attr]
        for event in result.all_events
        if event.is_step_failure
    ]
    release: dict[str, Any] = {}
    if result.success:
        (event,) = result.asset_materializations_for_node("curated_dataset")
        values = {key: getattr(value, "value", value) for key, value in event.metadata.items()}
        release = {k: v for k, v in values.items() if isinstance(v, str | int | float | bool)}
    return {"success": result.success, "failures": failures, "release": release}


def main(argv: Sequence[str]) -> None:
    """`python -m tests.reliability.hostile SEEDS TMP SETTINGS_JSON`: one run, reported in TMP/report.json."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("seeds", type=Path)
    parser.add_argument("tmp", type=Path)
    parser.add_argument("settings", type=json.loads)
    args = parser.parse_args(argv)
    report = materialize(args.seeds, args.tmp, args.settings)
    (args.tmp / "report.json").write_text(json.dumps(report), encoding="utf-8")


if __name__ == "__main__":  # the local engine's fork server imports the main module: guard the run
    main(sys.argv[1:])
