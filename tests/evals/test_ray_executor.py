"""The Ray executor on a real two-node Ray cluster on this machine (``ray start --head`` and
``ray start --address``), beside the local executor: both keep the Executor protocol; the
Ray run's per-case results equal the local run's; a worker killed with kill -9 mid-run loses
and duplicates nothing; a profile's concurrency holds for the whole cluster; a run whose
driver was killed resumes like a local one."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ray_fixtures import FakeServer, served

from kilab.evals.executors import Executor, LocalExecutor, RayExecutor
from kilab.evals.executors.ray_testing import LocalCluster, shard_workers
from kilab.evals.harness import EvalOptions, EvalReport, Harness
from kilab.evals.records import CaseResult
from kilab.evals.store import MemoryRunStore, SqliteRunStore
from kilab.evals.testing import CASES, write_mini_project
from kilab.graphs.project import Project, load_project

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
KEY_ENV = "KILAB_RAY_TEST_KEY"  # one value for every test: workers are reused across them


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    os.environ[KEY_ENV] = "fake"
    # One CPU a node: two shards at once, and few worker processes to start on a loaded machine.
    started = LocalCluster.start(nodes=2, cpus_per_node=1)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    yield from served(FakeServer(delay_s=0.1))


class Recorder:
    """The progress sink: every write, and the thread it came on."""

    def __init__(self) -> None:
        self.seen: list[CaseResult] = []
        self.threads: set[int] = set()

    def plan(self, total: int, done: int) -> None:
        pass

    def advance(self, result: CaseResult) -> None:
        self.seen.append(result)
        self.threads.add(threading.get_ident())


def _offline(folder: Path) -> Project:
    pilot = write_mini_project(folder / "configs")
    return load_project([pilot.parent.parent], root=pilot.parent.parent)


def _llm(
    folder: Path, fake: FakeServer, cases: int, *, max_concurrency: int = 64
) -> tuple[Project, Path]:
    """The mini pilot with a drafter on the fake server: one model call per case."""
    models = (
        "kind: models\nprofiles:\n  offline: {provider: offline}\n"
        "  fake:\n    provider: openai-compatible\n    model: fake\n"
        f"    base_url: {fake.base_url}\n    api_key_env: {KEY_ENV}\n"
        f"    max_concurrency: {max_concurrency}\n    max_retries: 0\n"
    )
    answerable = [c for c in CASES if c.get("expect", "answer") == "answer"]
    many = [
        {
            **answerable[i % len(answerable)],
            "id": f"llm-{i:03d}",
            "question": f"Sak {i}: hva gjelder?",
        }
        for i in range(cases)
    ]
    pilot = write_mini_project(
        folder / "configs", cases=many, drafter_model="fake", models_yaml=models, gates=""
    )
    (pilot.parent.parent / "graphs" / "mini-rag.yaml").write_text(
        "kind: graph\nname: mini-rag\nnodes:\n"
        "  retrieve: {tool: search, with: {corpus: mini, k: 3, mode: bm25}}\n"
        "  draft: {agent: drafter}\nedges: [[START, retrieve], [retrieve, draft], [draft, END]]\n",
        encoding="utf-8",
    )
    return load_project([pilot.parent.parent], root=pilot.parent.parent), pilot


def _run(
    project: Project, store: Any, executor: Executor | None, progress: Recorder, **options: Any
) -> EvalReport:
    harness = Harness.prepare(project, "mini", store, EvalOptions(**options))
    return asyncio.run(harness.run(progress, executor))


def _comparable(result: CaseResult) -> dict[str, Any]:
    """A result without what differs between any two runs: run id, times and spans."""
    data = result.model_dump(mode="json", exclude={"run_id", "spans", "finished_at"})
    data["output"].pop("latency_s")
    data["output"].pop("thread_id")
    for name in ("latency_p50", "latency_p95"):
        data["metrics"].pop(name, None)
    return data


# ---------------------------------------------------------------- the protocol


@pytest.mark.parametrize("name", ["local", "ray"])
def test_executors_keep_the_protocol(name: str, tmp_path: Path, request: Any) -> None:
    """Every job written exactly once, with its own key, on the caller's thread."""
    executor: Executor = LocalExecutor()
    if name == "ray":
        request.getfixturevalue("cluster")
        executor = RayExecutor(shard_size=3)
    assert isinstance(executor, Executor)
    project, store, progress = _offline(tmp_path), MemoryRunStore(), Recorder()
    options = {"cache_dir": tmp_path / "cache", "variants": ["all"], "repeats": 2}
    harness = Harness.prepare(project, "mini", store, EvalOptions(**options))
    report = asyncio.run(harness.run(progress, executor))
    expected = {job.key: job for job in harness.jobs}
    assert len(expected) == 40
    assert sorted(r.key for r in progress.seen) == sorted(expected)  # each once
    for result in progress.seen:
        job = expected[result.key]
        assert (result.case.id, result.variant, result.repeat) == (
            job.case.id,
            job.variant,
            job.repeat,
        )
        assert result.run_id == report.run.id and not result.error
    assert progress.threads == {threading.get_ident()}
    assert report.computed == 40 and len(store.results(report.run.id)) == 40

    nothing = Recorder()
    asyncio.run(executor.execute(harness, [], nothing.advance))
    assert nothing.seen == []


def test_ray_results_equal_the_local_results(cluster: LocalCluster, tmp_path: Path) -> None:
    project = _offline(tmp_path)
    options = {"cache_dir": tmp_path / "cache", "variants": ["all"], "use_cache": False}
    local = _run(project, MemoryRunStore(), None, Recorder(), **options)
    distributed = _run(project, MemoryRunStore(), RayExecutor(), Recorder(), **options)
    assert [r.key for r in distributed.results] == [r.key for r in local.results]
    assert [_comparable(r) for r in distributed.results] == [_comparable(r) for r in local.results]
    for variant, summary in local.summaries.items():
        other = distributed.summaries[variant]
        assert other.pass_rate == summary.pass_rate
        for metric, estimate in summary.estimates.items():
            if not metric.startswith("latency"):
                assert other.estimates[metric] == estimate, metric


# ---------------------------------------------------------------- faults and limits


def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(
    cluster: LocalCluster, fake: FakeServer, tmp_path: Path
) -> None:
    fake.delay_s = 0.3
    project, _ = _llm(tmp_path, fake, cases=40)
    store = SqliteRunStore(tmp_path / "runs.sqlite")
    executor = RayExecutor(workers=2, concurrency=2, shard_size=5)
    progress, outcome = Recorder(), dict[str, object]()

    def drive() -> None:
        try:
            outcome["report"] = _run(
                project, store, executor, progress, cache_dir=tmp_path / "cache", use_cache=False
            )
        except BaseException as exc:
            outcome["error"] = exc

    driver = threading.Thread(target=drive)
    driver.start()
    deadline = time.monotonic() + 120  # worker processes start slowly on a loaded machine
    while (
        (len(progress.seen) < 8 or not shard_workers())
        and driver.is_alive()
        and time.monotonic() < deadline
    ):
        time.sleep(0.02)
    written_before = {r.case.question for r in progress.seen}
    victims = shard_workers()
    assert driver.is_alive(), f"the run ended before a worker could be killed: {outcome}"
    assert victims and len(written_before) < 40, (len(written_before), victims)
    os.kill(victims[0], signal.SIGKILL)
    driver.join(120)
    assert not driver.is_alive()

    assert "error" not in outcome, outcome
    report = outcome["report"]
    assert isinstance(report, EvalReport)
    assert executor.restarted >= 1  # the killed worker's shard was queued again
    assert report.run.status == "finished" and report.computed == 40
    assert len(progress.seen) == 40 == len({r.key for r in progress.seen})  # none twice
    assert not [r.error for r in report.results if r.error]  # none lost
    db = sqlite3.connect(tmp_path / "runs.sqlite")
    assert db.execute("SELECT count(*), count(DISTINCT key) FROM results").fetchone() == (40, 40)
    db.close()
    questions = {r.case.question for r in report.results}
    assert set(fake.questions) == questions
    assert all(fake.questions[q] == 1 for q in written_before)  # finished: not recomputed
    again = sum(fake.questions.values()) - 40
    assert 0 <= again <= 5  # at most the killed shard's unfinished cases ran twice


def test_a_profiles_concurrency_holds_for_the_whole_cluster(
    cluster: LocalCluster, fake: FakeServer, tmp_path: Path
) -> None:
    project, _ = _llm(tmp_path, fake, cases=36, max_concurrency=3)
    progress = Recorder()
    # 2 workers × 8 cases in flight each would put 16 calls in flight without the limiter.
    executor = RayExecutor(workers=2, concurrency=8, shard_size=9)
    report = _run(
        project, MemoryRunStore(), executor, progress, cache_dir=tmp_path / "cache", use_cache=False
    )
    assert report.computed == 36 and not any(r.error for r in report.results)
    assert sum(fake.questions.values()) == 36
    assert 1 <= fake.peak <= 3


def test_the_limiter_frees_a_dead_shards_slots_and_books_the_rate(cluster: LocalCluster) -> None:
    import ray

    from kilab.evals.executors.ray_limits import ClusterLimiter

    limiter = ray.remote(ClusterLimiter).options(max_concurrency=100).remote()
    assert ray.get(limiter.acquire.remote("p", 1, "dead-shard"))
    waiting = limiter.acquire.remote("p", 1, "live-shard")
    ready, _ = ray.wait([waiting], timeout=0.5)
    assert not ready  # the only slot is held
    assert ray.get(limiter.release_holder.remote("dead-shard")) == 1
    assert ray.get(waiting, timeout=30)
    assert not ray.get(limiter.acquire.remote("p", 5, "dead-shard"))  # gone: refused
    assert ray.get(limiter.stats.remote())["p"] == {"in_flight": 1, "peak": 1}
    waits = [ray.get(limiter.reserve.remote("r", 2)) for _ in range(3)]
    assert waits[0] == 0 and waits[1] == 0 and 59 < waits[2] <= 60
    ray.kill(limiter)


def _count(store: Path) -> int:
    if not store.exists():
        return 0
    db = sqlite3.connect(store, timeout=5)
    try:
        return int(db.execute("SELECT count(*) FROM results").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


def test_resume_after_the_driver_is_killed(
    cluster: LocalCluster, fake: FakeServer, tmp_path: Path
) -> None:
    """kill -9 a ``kilab eval --executor ray`` driver mid-run; resuming computes exactly the
    missing results, each once, and asks the model nothing it had answered for the store."""
    fake.delay_s = 0.3
    project, pilot = _llm(tmp_path, fake, cases=30)
    store = tmp_path / "runs.sqlite"
    env = {**os.environ, "KILAB_HOME": str(tmp_path / "home"), "KILAB_CACHE": str(tmp_path / "c")}
    args = [
        *(sys.executable, "-m", "kilab", "eval", str(pilot), "--store", str(store)),
        *("--log", str(tmp_path / "log.jsonl"), "--concurrency", "4"),
        *("--executor", "ray", "--ray-address", cluster.address),
    ]
    driver = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 180  # a new driver's workers start slowly on a loaded machine
    while _count(store) < 6 and driver.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert driver.poll() is None, driver.communicate()[1].decode(errors="replace")[-3000:]
    os.kill(driver.pid, signal.SIGKILL)
    driver.communicate()

    db = sqlite3.connect(store)
    ((run_id, info),) = db.execute("SELECT id, info FROM runs").fetchall()
    stored = {row[0] for row in db.execute("SELECT question FROM results")}
    db.close()
    assert json.loads(info)["status"] == "running"
    assert 6 <= len(stored) < 30

    progress = Recorder()
    resumed = _run(
        project,
        SqliteRunStore(store),
        RayExecutor(workers=2),
        progress,
        resume=run_id,
        cache_dir=tmp_path / "c",
    )
    assert resumed.run.status == "finished" and resumed.run.id == run_id
    assert resumed.computed == 30 - len(stored) == len(progress.seen)
    assert {r.case.question for r in progress.seen}.isdisjoint(stored)
    db = sqlite3.connect(store)
    assert db.execute("SELECT count(*), count(DISTINCT key) FROM results").fetchone() == (30, 30)
    db.close()
    for question in stored:  # stored before the kill: asked once, not again by the resume
        assert fake.questions[question] == 1
