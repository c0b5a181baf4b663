"""One eval run in a fresh process, for bench_commands' fixed cost:
``python -m benchmarks.one_run PROJECT DATASET STORE`` prints one JSON line.

After loading the project (as ``kilab eval`` has done before its run starts) it times the
run from its creation (``Harness.prepare``) to its report: compiling the variant (with the
imports that happen then), opening the on-disk index, the cases, store writes, metrics, the
report (``run_s``), and sums the cases' own latencies (``cases_s``, the harness's clock around
each graph call) and the variants' set-up (``setup_s``: compiling, clients, index, as the run
records it). ``load_s`` is the time to import kilab and load the project.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path


def main(project_dir: Path, dataset: Path, store_path: Path) -> None:
    started = time.perf_counter()
    from kilab.evals.harness import EvalOptions, Harness
    from kilab.evals.store import SqliteRunStore
    from kilab.graphs.project import load_project

    project = load_project([project_dir], root=project_dir)
    loaded = time.perf_counter()
    store = SqliteRunStore(store_path)
    harness = Harness.prepare(project, "mini", store, EvalOptions(dataset=dataset, concurrency=1))
    report = asyncio.run(harness.run())
    finished = time.perf_counter()
    store.close()
    assert report.computed == len(report.results) and not any(r.error for r in report.results)
    cases_s = sum(r.output.latency_s for r in report.results)
    setup_s = sum(report.run.setup_s.values())
    figures = {"load_s": loaded - started, "run_s": finished - loaded, "cases_s": cases_s}
    print(json.dumps({**figures, "setup_s": setup_s}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
