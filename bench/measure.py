"""Whole-process measurements: wall time, the largest process's max RSS and the tree's peak RSS.

The machine is shared, so absolute times are noise; what the benchmark reports is each command
next to its reference, measured in the same rounds (commands interleaved), as medians.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

_TIME = shutil.which("time", path="/usr/bin:/bin") or ""


@dataclass(frozen=True)
class Command:
    """A process to time: its argv, environment additions, working folder, and a step before it."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    #: Run before each timing (not timed): for example, edit one file.
    before: Callable[[int], None] | None = None
    #: Exit codes that count as success (linters exit 1 when they find something).
    ok_codes: tuple[int, ...] = (0, 1)


@dataclass(frozen=True)
class Sample:
    seconds: float
    #: Max RSS of the largest single process of the tree (GNU time's %M, KiB).
    max_rss_kib: int | None
    #: Peak of the summed RSS of the whole process tree, sampled every 20 ms (KiB).
    tree_rss_kib: int | None


@dataclass
class Series:
    name: str
    samples: list[Sample] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def max_rss_mib(self) -> float | None:
        values = [s.max_rss_kib for s in self.samples if s.max_rss_kib is not None]
        return statistics.median(values) / 1024 if values else None

    @property
    def tree_rss_mib(self) -> float | None:
        values = [s.tree_rss_kib for s in self.samples if s.tree_rss_kib is not None]
        return statistics.median(values) / 1024 if values else None

    def spread(self) -> str:
        times = sorted(s.seconds for s in self.samples)
        return f"{times[0]:.2f}-{times[-1]:.2f}" if times else "-"


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree_rss(root: int) -> int:
    tree = _children()
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        total += _rss_kib(pid)
        pending.extend(tree.get(pid, ()))
    return total


class _TreeSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            self.peak = max(self.peak, _tree_rss(self.pid))


def run_once(command: Command, sample_tree: bool = False) -> Sample:
    """Run ``command`` once with output to /dev/null; its wall time and memory."""
    env = {**os.environ, **command.env}
    with (
        tempfile.NamedTemporaryFile("r", suffix=".rss") as rss,
        tempfile.TemporaryFile("w+") as err,
    ):
        argv = [_TIME, "-f", "%M", "-o", rss.name, *command.argv] if _TIME else list(command.argv)
        started = time.perf_counter()
        process = subprocess.Popen(
            argv, env=env, cwd=command.cwd, stdout=subprocess.DEVNULL, stderr=err
        )
        sampler = _TreeSampler(process.pid) if sample_tree else None
        if sampler:
            sampler.start()
        code = process.wait()
        seconds = time.perf_counter() - started
        if sampler:
            sampler.done.set()
            sampler.join()
        if code not in command.ok_codes:
            err.seek(0)
            raise RuntimeError(f"{command.name} exited {code}: {err.read()[-2000:]}")
        text = rss.read().strip()
        max_rss = int(text.splitlines()[-1]) if text and text.splitlines()[-1].isdigit() else None
    return Sample(seconds, max_rss, sampler.peak if sampler else None)


def interleaved(
    commands: Sequence[Command], rounds: int, sample_tree: bool = False, label: str = ""
) -> dict[str, Series]:
    """Run the commands round-robin ``rounds`` times; a Series per command name."""
    series = {c.name: Series(c.name) for c in commands}
    for number in range(rounds):
        for command in commands:
            if command.before is not None:
                command.before(number)
            sample = run_once(command, sample_tree)
            series[command.name].samples.append(sample)
            print(
                f"  [{label} {number + 1}/{rounds}] {command.name}: {sample.seconds:.2f} s",
                flush=True,
            )
    return series
