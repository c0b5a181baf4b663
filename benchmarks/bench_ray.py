"""Cases per second on a Ray cluster of 1 and 2 nodes, beside the local executor.

The pilot is the one of ``bench_harness`` (BM25 retrieve → LLM drafter, one model call per
case) against the same real OpenAI-compatible server on 127.0.0.1 with a fixed 100 ms
delay, at a high concurrency (64 cases in flight in all, for every contender):

* local: the harness's ``LocalExecutor`` in this process;
* ray, 1 node: ``RayExecutor`` on a head node of this machine (2 CPUs: 2 shards at once,
  32 cases in flight in each);
* ray, 2 nodes: the same after a second node joined (4 shards at once, 16 in flight each).

Every node runs on this machine, so the nodes share its cores with the server and the
driver: the figures show the executor's cost and that shards spread over nodes, not the
speed-up of real machines. Each Ray figure follows a warm-up run of the same size, so
worker start-up and each worker's set-up (project, index, compiled graph) are outside it;
every run recomputes (``use_cache=False``) and is checked against the server's count.
"""

from __future__ import annotations

import asyncio
import gc
import os
import tempfile
import time
from pathlib import Path

from benchmarks.bench_harness import write_dataset, write_project
from benchmarks.model_server import ModelServer

CASES = 400
CONCURRENCY = 64
CPUS_PER_NODE = 2


def _run(project: object, dataset: Path, store_path: Path, executor: object) -> float:
    from kilab.evals.executors import Executor
    from kilab.evals.harness import EvalOptions, Harness
    from kilab.evals.store import SqliteRunStore
    from kilab.graphs.project import Project

    assert isinstance(project, Project)
    assert executor is None or isinstance(executor, Executor)
    store = SqliteRunStore(store_path)
    options = EvalOptions(dataset=dataset, concurrency=CONCURRENCY, use_cache=False)
    harness = Harness.prepare(project, "mini", store, options)
    if executor is None:
        asyncio.run(harness.compile())
    started = time.perf_counter()
    report = asyncio.run(harness.run(None, executor))
    elapsed = time.perf_counter() - started
    store.close()
    assert report.computed == len(report.results) == CASES
    assert not any(r.error for r in report.results), report.results[0].error
    return CASES / elapsed


def main() -> None:
    """Print cases per second: local, Ray on 1 node, Ray on 2 nodes."""
    from kilab.evals.executors import RayExecutor
    from kilab.evals.executors.ray_testing import LocalCluster

    rows: list[tuple[str, float]] = []
    cluster = None
    with ModelServer() as server, tempfile.TemporaryDirectory() as tmp:
        print(
            f"OpenAI-compatible server on 127.0.0.1:{server.port}, "
            f"{server.delay_s * 1000:.0f} ms per call; "
            f"{CASES} cases, {CONCURRENCY} in flight; every node on this machine "
            f"({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start)",
            flush=True,
        )
        try:
            folder = Path(tmp)
            project = write_project(folder / "p", server.base_url)
            dataset, _ = write_dataset(folder / "p", CASES, "ray")
            before = server.requests()
            rows.append(("local executor", _run(project, dataset, folder / "l.sqlite", None)))
            assert server.requests() - before == CASES
            print("  local: done", flush=True)
            gc.collect()
            cluster = LocalCluster.start(nodes=1, cpus_per_node=CPUS_PER_NODE)
            for nodes in (1, 2):
                if nodes == 2:
                    cluster.add_node()
                    cluster.wait_for(2)
                workers = nodes * CPUS_PER_NODE
                executor = RayExecutor(workers=workers, concurrency=CONCURRENCY // workers)
                _run(project, dataset, folder / f"warm{nodes}.sqlite", executor)
                before = server.requests()
                speed = _run(project, dataset, folder / f"r{nodes}.sqlite", executor)
                assert server.requests() - before == CASES
                rows.append((f"ray, {nodes} node{'s' if nodes > 1 else ''}", speed))
                print(f"  ray on {nodes} node(s): done", flush=True)
        finally:
            if cluster is not None:
                cluster.stop()
        delay_s = server.delay_s
    ideal = CONCURRENCY / delay_s
    print(f"\n{'executor':<16} {'cases/s':>8} {'÷ ideal':>8}   (ideal: {ideal:.0f}/s)")
    for name, speed in rows:
        print(f"{name:<16} {speed:>8.1f} {speed / ideal:>8.2f}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
