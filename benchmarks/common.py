"""What every benchmark shares: repetitions, medians with min–max, load average, targets."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

QUICK_ENV = "KILAB_BENCH_QUICK"


def quick() -> bool:
    """True under ``python -m benchmarks --quick`` (or KILAB_BENCH_QUICK=1): one repetition."""
    return os.environ.get(QUICK_ENV, "") not in ("", "0")


def repetitions(full: int = 3) -> int:
    return 1 if quick() else full


def load() -> float:
    """The 1-minute load average, printed beside each measurement."""
    return os.getloadavg()[0]


@dataclass
class Spread:
    """Repeated measurements of one figure: the median, with min–max."""

    values: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.values.append(value)

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    def show(self, digits: int = 2, scale: float = 1.0) -> str:
        if not self.values:
            return "—"
        low, mid, high = min(self.values), self.median, max(self.values)
        if len(self.values) == 1:
            return f"{mid * scale:.{digits}f}"
        return f"{mid * scale:.{digits}f} ({low * scale:.{digits}f}–{high * scale:.{digits}f})"


@dataclass
class Timing:
    """Wall seconds and this process's CPU seconds (every thread) of one timed phase."""

    wall_s: float = 0.0
    cpu_s: float = 0.0
    load: float = 0.0


@contextmanager
def timed() -> Iterator[Timing]:
    timing = Timing()
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield timing
    finally:
        timing.wall_s = time.perf_counter() - wall
        timing.cpu_s = time.process_time() - cpu
        timing.load = load()


@dataclass(frozen=True)
class Target:
    """One target of issue #14 and the figure this run reached (met None: not measured)."""

    name: str
    figure: str
    met: bool | None

    def line(self) -> str:
        verdict = {True: "met", False: "NOT met", None: "not measured"}[self.met]
        return f"target: {self.name} → {self.figure} ({verdict})"


@dataclass
class Findings:
    """What a benchmark's ``main()`` hands ``python -m benchmarks``: its targets and a
    Markdown table for the README (or none)."""

    targets: list[Target]
    markdown: str = ""


def report(targets: list[Target], markdown: str = "") -> Findings:
    """Print each target's line; return them for the summary."""
    for target in targets:
        print(target.line(), flush=True)
    return Findings(targets, markdown)
