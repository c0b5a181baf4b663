"""What a person waits for at the shell, each command a fresh process timed from outside
(wall time of ``subprocess.run``, so interpreter start and imports count):

* ``kilab validate configs``;
* ``kilab search eiendomslover QUESTION --mode bm25 -k 5`` against the minimal bm25s script
  ``benchmarks/bm25s_search.py`` (same 1,076 sections, same question, same k), each on its
  warm on-disk index (built by an untimed first call);
* the fixed cost of a run: a 1-case eval minus one case. ``benchmarks/one_run.py`` runs a
  1-case eval in a fresh process (the pilot of bench_harness on the delayed model server),
  timed from the run's creation to its report after the project is loaded (so compiling,
  the imports it needs, opening the on-disk index, store, metrics and report count; the
  CLI's own start does not: validate shows that), minus the case's own latency as the
  harness measured it around the graph call (the model's 100 ms and the graph's work).

Repetitions are interleaved (the order rotated each time); medians (min–max) of 5, with the
load average after each measurement.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.bench_harness import write_dataset, write_project
from benchmarks.common import Findings, Spread, Target, load, repetitions, report
from benchmarks.model_server import ModelServer

ROOT = Path(__file__).resolve().parents[1]
KILAB = str(Path(sys.executable).with_name("kilab"))
CORPUS = ROOT / "data" / "lovdata" / "realestate-sections.jsonl"
QUESTION = "Hvor mye depositum kan utleier kreve?"


def _run(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()[-500:]}")
    return elapsed, done.stdout


def _interleave(steps: dict[str, Callable[[], float]], reps: int) -> dict[str, Spread]:
    spreads = {name: Spread() for name in steps}
    loads = Spread()
    names = list(steps)
    for rep in range(reps):
        shift = rep % len(names)
        for name in names[shift:] + names[:shift]:
            spreads[name].add(steps[name]())
            loads.add(load())
    spreads["load"] = loads
    return spreads


def commands(folder: Path) -> list[Target]:
    env = {**os.environ, "KILAB_CACHE": str(folder / "cache"), "NO_COLOR": "1"}
    search = [KILAB, "search", "eiendomslover", QUESTION, "--mode", "bm25", "-k", "5"]
    script = [sys.executable, str(ROOT / "benchmarks" / "bm25s_search.py")]
    script += [str(CORPUS), str(folder / "bm25s-index"), QUESTION]
    validate = [KILAB, "validate", "configs"]
    for command in (search, script, validate):  # build both indexes and bytecode, untimed
        _run(command, env)
    spreads = _interleave(
        {
            "kilab validate configs": lambda: _run(validate, env)[0],
            "kilab search": lambda: _run(search, env)[0],
            "bm25s script": lambda: _run(script, env)[0],
        },
        repetitions(5),
    )
    print(f"{'command':<24} {'seconds, median (min–max)':>28}")
    for name, spread in spreads.items():
        if name != "load":
            print(f"{name:<24} {spread.show(2):>28}")
    print(f"load average: {spreads['load'].show(1)}")
    valid = spreads["kilab validate configs"].median
    ratio = spreads["kilab search"].median / spreads["bm25s script"].median
    return [
        Target("`kilab validate configs` ≤ 0.6 s", f"{valid:.2f} s", valid <= 0.6),
        Target(
            "`kilab search` from the shell ≤ 2× the minimal bm25s script",
            f"{ratio:.2f}× ({spreads['kilab search'].median:.2f} vs "
            f"{spreads['bm25s script'].median:.2f} s)",
            ratio <= 2,
        ),
    ]


def fixed_cost(folder: Path) -> list[Target]:
    with ModelServer() as server:
        project = folder / "project"
        write_project(project, server.base_url)
        counter = iter(range(1 << 20))
        runs, cases, setups, loads = Spread(), Spread(), Spread(), Spread()

        def one_run() -> float:
            tag = f"fixed-{next(counter)}"
            dataset, _ = write_dataset(project, 1, tag)
            command = [sys.executable, "-m", "benchmarks.one_run", str(project), str(dataset)]
            before = server.requests()
            _, out = _run([*command, str(folder / f"{tag}.sqlite")], dict(os.environ))
            if server.requests() - before != 1:
                raise RuntimeError(f"{tag}: {server.requests() - before} model calls for 1 case")
            figures = json.loads(out)
            runs.add(figures["run_s"])
            cases.add(figures["cases_s"])
            setups.add(figures["setup_s"])
            loads.add(figures["load_s"])
            fixed: float = figures["run_s"] - figures["cases_s"]
            return fixed

        one_run()  # builds the on-disk index, untimed
        for spread in (runs, cases, setups, loads):
            spread.values.clear()
        spreads = _interleave({"fixed": one_run}, repetitions(5))
    print(
        f"1-case eval in a fresh process, run created → report: {runs.show(3)} s, of which "
        f"the case {cases.show(3)} s (the model's delay {server.delay_s:.1f} s) and the "
        f"variant's set-up (compile, clients, index) {setups.show(3)} s; fixed cost "
        f"{spreads['fixed'].show(3)} s; before the run, importing kilab and loading the project "
        f"{loads.show(3)} s; load average {spreads['load'].show(1)}"
    )
    fixed = spreads["fixed"].median
    return [
        Target(
            "fixed cost of a run (a 1-case eval minus one case) ≤ 0.2 s",
            f"{fixed:.2f} s",
            fixed <= 0.2,
        )
    ]


def main() -> Findings:
    """Print command latencies and the fixed cost of a run; return their targets."""
    with tempfile.TemporaryDirectory() as tmp:
        found = commands(Path(tmp)) + fixed_cost(Path(tmp))
    return report(found)


if __name__ == "__main__":
    main()
