"""Shared helpers for the bench scripts: where the dev data is, peak memory, table printing, speed probe."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import resource
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEV_DATA = REPO.parent / "shared" / "dev-data"


def dev_data(name: str) -> Path:
    """A folder of ../shared/dev-data, or exit with a clear message when it is not beside the checkout."""
    path = DEV_DATA / name
    if not path.exists():
        sys.exit(f"{path} not found: the dev data lives in ../shared/dev-data beside the checkout")
    return path


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """The rows of a JSON-lines file."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


PROBE_ROUNDS = 3


def speed_probe() -> float:
    """Seconds, best of 3, of a fixed single-core workload (Python bytecode and hashing, like the steps'):
    printed beside a benchmark's figures so that runs on a busier or slower machine can be told apart."""
    best = float("inf")
    data = bytes(range(256)) * 4096  # 1 MiB
    for _ in range(PROBE_ROUNDS):
        start = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i * i % 7
        for _ in range(32):
            data = hashlib.sha256(data).digest() * 32768
        best = min(best, time.perf_counter() - start)
    return round(best, 3)


@contextlib.contextmanager
def probed(bench: str) -> Iterator[None]:
    """Print the speed probe (a JSON line) before and after a benchmark: a change means other load came."""
    print(json.dumps({"bench": bench, "speed_probe_s": speed_probe(), "when": "before"}), flush=True)
    yield
    print(json.dumps({"bench": bench, "speed_probe_s": speed_probe(), "when": "after"}), flush=True)


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print an aligned plain-text table."""
    cells = [[f"{c:.3f}" if isinstance(c, float) else str(c) for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]
    print("  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def prf(true_positive: int, predicted: int, actual: int) -> tuple[float, float, float]:
    """Precision, recall and F1 from counts."""
    precision = true_positive / predicted if predicted else 0.0
    recall = true_positive / actual if actual else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def process_tree(root: int) -> list[int]:
    """`root` and every live descendant, from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path("/proc", entry, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    tree, queue = [], [root]
    while queue:
        pid = queue.pop()
        tree.append(pid)
        queue.extend(parents.get(pid, []))
    return tree


def _proc_memory(pid: int) -> tuple[int, int, int]:
    """(PSS, RSS, peak RSS) of one process in KiB, or zeros once it is gone."""
    pss = rss = hwm = 0
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
            elif line.startswith("VmRSS:"):
                rss = int(line.split()[1])
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
                break
    return pss, rss, hwm


def _proc_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) one process has used so far, or None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class TreeMemory:
    """Samples a process tree's memory in a thread: peak sums of PSS and of RSS, and the largest peak RSS
    of one process (VmHWM); and the CPU seconds of every process of the tree (`cpu_s`)."""

    def __init__(self, root: int, interval: float = 0.1) -> None:
        self.root, self.interval = root, interval
        self.peak_tree_kib = self.peak_tree_rss_kib = self.peak_proc_kib = 0
        # Each process's CPU at its last sample: one that exits between samples loses at most `interval`.
        self._cpu_by_pid: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def cpu_s(self) -> float:
        """CPU seconds used by the tree's processes, summed."""
        return sum(self._cpu_by_pid.values())

    def _run(self) -> None:
        """Sample until stopped."""
        while not self._stop.is_set():
            tree = process_tree(self.root)
            memory = [_proc_memory(pid) for pid in tree]
            self.peak_tree_kib = max(self.peak_tree_kib, sum(pss for pss, _, _ in memory))
            self.peak_tree_rss_kib = max(self.peak_tree_rss_kib, sum(rss for _, rss, _ in memory))
            self.peak_proc_kib = max(self.peak_proc_kib, *(hwm for _, _, hwm in memory), 0)
            for pid in tree:
                if (cpu := _proc_cpu_s(pid)) is not None:
                    self._cpu_by_pid[pid] = cpu
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeMemory:
        """Start sampling."""
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop sampling."""
        self._stop.set()
        self._thread.join()
