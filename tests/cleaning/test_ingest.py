"""Walking the seeds folder: regular files read, everything else recorded with a reason."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from pipeline.cleaning.document import RawDocument, Skipped
from pipeline.cleaning.ingest import SeedFile, make_doc_id, read_seed, scan_seeds, walk_seeds


def test_walk_is_recursive_sorted_and_ids_are_stable(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.txt").write_text("two")
    (tmp_path / "a.txt").write_text("one")
    (tmp_path / ".hidden").write_text("editor droppings")
    items = list(walk_seeds(tmp_path))
    assert [i.source_path for i in items] == ["a.txt", "b/two.txt"]
    assert all(isinstance(i, RawDocument) for i in items)
    assert items[1].doc_id == make_doc_id("b/two.txt") == make_doc_id("b/two.txt")
    assert len({i.doc_id for i in items}) == 2


def test_symlinks_fifos_and_oversized_files_are_recorded_not_read(tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_text("secret outside the seeds folder")
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "link.txt").symlink_to(outside)
    (seeds / "up").symlink_to("..")
    (seeds / "dangling.txt").symlink_to(seeds / "missing")
    os.mkfifo(seeds / "pipe.txt")
    (seeds / "big.txt").write_bytes(b"x" * 2048)
    items = {i.source_path: i for i in walk_seeds(seeds, max_bytes=1024)}
    assert set(items) == {"big.txt", "dangling.txt", "link.txt", "pipe.txt", "up"}
    assert all(isinstance(i, Skipped) for i in items.values())
    assert items["link.txt"].reason == "symlink (not followed)"  # type: ignore[union-attr]
    assert items["up"].reason == "symlink (not followed)"  # type: ignore[union-attr]
    assert items["pipe.txt"].reason == "not a regular file"  # type: ignore[union-attr]
    assert "too large" in items["big.txt"].reason  # type: ignore[union-attr]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_is_recorded(tmp_path: Path) -> None:
    path = tmp_path / "locked.txt"
    path.write_text("x")
    path.chmod(0)
    (item,) = walk_seeds(tmp_path)
    assert isinstance(item, Skipped) and item.reason.startswith("unreadable")


def test_missing_seeds_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        list(walk_seeds(tmp_path / "nope"))


def test_scan_reads_only_files_whose_stat_changed(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("first version")
    (tmp_path / "b.txt").write_text("other file")
    first = {item.source_path: item for item in scan_seeds(tmp_path)}
    assert all(isinstance(item, SeedFile) for item in first.values())
    a = first["a.txt"]
    assert a.sha256 == hashlib.sha256(b"first version").hexdigest()  # type: ignore[union-attr]
    # A previous scan's hash is trusted while the stat is unchanged: a planted one proves nothing was read.
    known = {path: (item.stat_key, "planted") for path, item in first.items()}  # type: ignore[union-attr]
    (tmp_path / "a.txt").write_text("second version, longer")
    again = {item.source_path: item for item in scan_seeds(tmp_path, known=known)}
    assert again["b.txt"].sha256 == "planted"  # type: ignore[union-attr]
    assert again["a.txt"].sha256 == hashlib.sha256(b"second version, longer").hexdigest()  # type: ignore[union-attr]


def test_read_seed_refuses_content_that_changed_since_the_scan(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("scanned")
    (item,) = scan_seeds(tmp_path)
    assert read_seed(tmp_path, "a.txt", item.sha256) == b"scanned"  # type: ignore[union-attr]
    (tmp_path / "a.txt").write_text("edited")
    with pytest.raises(OSError, match="changed while the run was reading it"):
        read_seed(tmp_path, "a.txt", item.sha256)  # type: ignore[union-attr]


def test_a_name_that_is_not_utf8_is_skipped_with_its_bytes_escaped(tmp_path: Path) -> None:
    # Such a name used to reach the Parquet inventory as lone surrogates and fail the whole scan.
    with open(os.fsencode(tmp_path) + b"/caf\xe9.txt", "wb") as handle:
        handle.write(b"Latin-1 name")
    (tmp_path / "ok.txt").write_text("fine")
    for items in (list(walk_seeds(tmp_path)), list(scan_seeds(tmp_path))):
        by_path = {item.source_path: item for item in items}
        assert set(by_path) == {"caf\\xe9.txt", "ok.txt"}
        bad = by_path["caf\\xe9.txt"]
        assert isinstance(bad, Skipped) and bad.reason.startswith("file name is not valid UTF-8")
        assert bad.doc_id == make_doc_id(os.fsdecode(b"caf\xe9.txt")) != make_doc_id("caf\\xe9.txt")


def test_a_folder_that_cannot_be_listed_is_recorded_and_the_walk_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # os.walk skips a folder it cannot list without a word; chmod cannot make one unlistable for root.
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "a.txt").write_text("inside")
    (tmp_path / "b.txt").write_text("beside")
    real_scandir = os.scandir

    def scandir(path: str) -> Any:
        if os.path.basename(path) == "locked":
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    items = {item.source_path: item for item in walk_seeds(tmp_path)}
    assert set(items) == {"b.txt", "locked"}
    assert items["locked"].reason == "unreadable folder: Permission denied"  # type: ignore[union-attr]

    def refuse(path: str) -> Any:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(os, "scandir", refuse)  # the seeds folder itself: the run cannot go on
    with pytest.raises(OSError, match="cannot be listed: Permission denied"):
        list(walk_seeds(tmp_path))


def test_each_folder_lists_its_symlinked_folders_then_its_files_then_its_subfolders(tmp_path: Path) -> None:
    # The inventory's row order (and so its parts) depends on this order; symlinks and hidden folders
    # are never entered.
    seeds = tmp_path / "seeds"
    for folder in ("b", "b/c", ".git", "d"):
        (seeds / folder).mkdir(parents=True)
    for name in ("z.txt", "b/y.txt", "b/c/x.txt", ".git/config", "d/w.txt"):
        (seeds / name).write_text(name)
    (seeds / "b" / "a-link").symlink_to(seeds / "d")
    (seeds / "b" / "m-link.txt").symlink_to(seeds / "z.txt")
    (seeds / "a-link").symlink_to(tmp_path)
    items = list(scan_seeds(seeds))
    assert [(i.source_path, getattr(i, "reason", None)) for i in items] == [
        ("a-link", "symlink (not followed)"),
        ("z.txt", None),
        ("b/a-link", "symlink (not followed)"),
        ("b/m-link.txt", "symlink (not followed)"),
        ("b/y.txt", None),
        ("b/c/x.txt", None),
        ("d/w.txt", None),
    ]
    assert [i.source_path for i in walk_seeds(seeds)] == [i.source_path for i in items]


def test_a_folder_whose_listing_fails_halfway_is_recorded_without_any_of_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A partial listing would look like deleted files to the next stages; the folder is recorded instead.
    for name in ("a/1.txt", "a/2.txt", "a/3.txt", "b/4.txt"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(name)
    real_scandir = os.scandir

    class FailingHalfway:
        """A listing of `path` that fails after its first entry."""

        def __init__(self, path: str) -> None:
            self.path, self.listing, self.given = path, real_scandir(path), 0

        def __enter__(self) -> FailingHalfway:
            return self

        def __exit__(self, *exc: object) -> None:
            self.listing.close()

        def __iter__(self) -> FailingHalfway:
            return self

        def __next__(self) -> os.DirEntry[str]:
            self.given += 1
            if self.given > 1:
                raise OSError(5, "Input/output error", self.path)
            return next(self.listing)

    def scandir(path: str) -> Any:
        return FailingHalfway(path) if os.path.basename(path) == "a" else real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    items = {item.source_path: item for item in scan_seeds(tmp_path)}
    assert set(items) == {"a", "b/4.txt"}
    assert items["a"].reason == "unreadable folder: Input/output error"  # type: ignore[union-attr]
