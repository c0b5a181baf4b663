"""Run every benchmark: ``python -m benchmarks [--quick] [name …]`` (names without ``bench_``),
then every target of issue #14 that was measured and a Markdown summary for the README.

``--quick`` (or KILAB_BENCH_QUICK=1): one repetition and fewer cases, for development; its
figures are not the README's.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import time

import benchmarks
from benchmarks.common import QUICK_ENV, Findings, Target, load


def main(argv: list[str]) -> None:
    # Commands are timed as in a user's shell, with cached bytecode: where the environment
    # forbids writing it, every subprocess would compile kilab's modules from source.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    if "--quick" in argv:
        os.environ[QUICK_ENV] = "1"
        argv = [a for a in argv if a != "--quick"]
    names = sorted(
        m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_")
    )
    wanted = {f"bench_{a.removeprefix('bench_')}" for a in argv}
    unknown = wanted - set(names)
    if unknown:
        sys.exit(f"no such benchmark: {', '.join(sorted(unknown))} (have: {', '.join(names)})")
    targets: list[Target] = []
    tables: list[str] = []
    for name in names:
        if wanted and name not in wanted:
            continue
        started = time.perf_counter()
        print(f"\n=== {name} === (load average {load():.2f})", flush=True)
        found = importlib.import_module(f"benchmarks.{name}").main()
        if isinstance(found, Findings):
            targets += found.targets
            if found.markdown:
                tables.append(found.markdown)
        print(f"({name}: {time.perf_counter() - started:.0f} s)", flush=True)
    if targets:
        print("\n=== targets of issue #14 ===")
        for target in targets:
            print(target.line())
        print(f"\n=== summary (Markdown; load average {load():.2f} at the end) ===\n")
        for table in tables:
            print(table + "\n")
        print("| target | figure | |\n|---|---|---|")
        for target in targets:
            verdict = {True: "met", False: "**not met**", None: "not measured"}[target.met]
            print(f"| {target.name} | {target.figure} | {verdict} |")


if __name__ == "__main__":
    main(sys.argv[1:])
