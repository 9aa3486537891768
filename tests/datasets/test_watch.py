"""The seeds watcher: listing fingerprints and the settle-then-act decision."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.datasets.watch import WatchState, decide, fingerprint, listing


def test_listing_sees_sizes_and_times_and_ignores_hidden_entries(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("one")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("two!")
    (tmp_path / ".partial.tmp").write_text("x")
    entries = listing(tmp_path)
    assert sorted(entries) == ["a.txt", "sub/b.md"]
    assert entries["sub/b.md"][0] == 4


def test_fingerprint_changes_with_content_size_time_and_deletion(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("one")
    first = fingerprint(listing(tmp_path))
    assert fingerprint(listing(tmp_path)) == first
    path.write_text("one more")
    grown = fingerprint(listing(tmp_path))
    assert grown != first
    os.utime(path, ns=(1, 1))
    assert fingerprint(listing(tmp_path)) != grown
    path.unlink()
    assert fingerprint(listing(tmp_path)) == fingerprint({})


def test_a_change_is_acted_on_once_and_only_after_it_settles() -> None:
    state = WatchState()
    first = decide(state, "A")
    assert not first.launch and "settle" in first.reason
    second = decide(first.state, "A")
    assert second.launch and second.key == "1-A"
    third = decide(second.state, "A")
    assert not third.launch and third.reason == "no change since the last run"
    copying = decide(third.state, "B")  # a file is being copied in: the listing moves
    still_copying = decide(copying.state, "C")
    settled = decide(still_copying.state, "C")
    assert (copying.launch, still_copying.launch, settled.launch) == (False, False, True)
    assert settled.key == "2-C"
    back = decide(decide(settled.state, "A").state, "A")  # a deletion restores the first listing
    assert back.launch and back.key == "3-A"


def test_state_survives_a_round_trip_through_the_cursor() -> None:
    state = WatchState(seen="A", launched="A", launches=4)
    assert WatchState.load(state.dump()) == state
    assert WatchState.load(None) == WatchState() == WatchState.load("not json")
    assert not decide(WatchState.load(state.dump()), "A").launch  # after a restart: nothing runs twice
