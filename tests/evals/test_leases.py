"""Run leases: the harness holds its run's lease while it computes, a second process refuses
and names the holder, and a run whose process died shows as interrupted."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kilab.evals import leases
from kilab.evals.harness import EvalOptions, Harness, run_eval
from kilab.evals.leases import LeaseLost, RunBusy, shown_status
from kilab.evals.records import CaseResult, RunLease
from kilab.evals.store import SqliteRunStore
from kilab.evals.testing import write_mini_project
from kilab.graphs.project import Project, load_project

HOLD = """
import sys, time
from kilab.evals import leases
from kilab.evals.store import SqliteRunStore
store = SqliteRunStore(sys.argv[1])
leases.acquire(store, sys.argv[2])
print("held", flush=True)
time.sleep(600)
"""


def _project(folder: Path) -> tuple[Project, str]:
    pilot = write_mini_project(folder / "configs")
    return load_project([pilot.parent.parent], root=pilot.parent.parent), "mini"


class _Watcher:
    """A progress sink that looks at the run's lease every time a result is written."""

    def __init__(self, store: SqliteRunStore) -> None:
        self.store = store
        self.seen: list[RunLease | None] = []

    def plan(self, total: int, done: int) -> None:
        return None

    def advance(self, result: CaseResult) -> None:
        self.seen.append(self.store.get_lease(result.run_id))


def test_the_harness_holds_the_lease_while_it_runs_and_releases_it(tmp_path: Path) -> None:
    project, pilot = _project(tmp_path)
    store = SqliteRunStore(tmp_path / "runs.sqlite")
    watcher = _Watcher(store)
    report = run_eval(project, pilot, store, EvalOptions(), watcher)
    assert watcher.seen and all(
        lease is not None and (lease.host, lease.pid) == (socket.gethostname(), os.getpid())
        for lease in watcher.seen
    )
    assert store.get_lease(report.run.id) is None
    assert shown_status(store, store.get_run(report.run.id)) == "finished"


def test_a_resume_refuses_while_a_live_process_holds_the_run_and_takes_over_when_it_died(
    tmp_path: Path,
) -> None:
    project, pilot = _project(tmp_path)
    path = tmp_path / "runs.sqlite"
    store = SqliteRunStore(path)
    run_id = run_eval(project, pilot, store).run.id
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), run_id], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(RunBusy) as refused:
            Harness.prepare(project, pilot, store, EvalOptions(resume=run_id))
        message = str(refused.value)
        assert f"pid {holder.pid}" in message and socket.gethostname() in message
        assert "since" in message
        assert store.get_run(run_id).status == "finished"  # the refused resume touched nothing
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    # The holder is gone: its lease no longer holds the run.
    report = run_eval(project, pilot, store, EvalOptions(resume=run_id))
    assert report.run.status == "finished" and store.get_lease(run_id) is None


def _lease(run_id: str, host: str, pid: int, lapses_in: float) -> RunLease:
    now = datetime.now(UTC)
    return RunLease(
        run_id=run_id,
        token=f"{host}-{pid}",
        host=host,
        pid=pid,
        acquired_at=now,
        renewed_at=now,
        expires_at=now + timedelta(seconds=lapses_in),
    )


def test_a_running_run_shows_as_interrupted_when_its_holder_is_gone(tmp_path: Path) -> None:
    project, pilot = _project(tmp_path)
    store = SqliteRunStore(tmp_path / "runs.sqlite")
    run = run_eval(project, pilot, store).run
    running = run.model_copy(update={"status": "running", "finished_at": None})
    store.update_run(running)
    assert shown_status(store, running) == "interrupted"  # no lease at all
    exited = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(exited.stdout)
    store.acquire_lease(_lease(run.id, socket.gethostname(), dead_pid, 600))
    assert shown_status(store, running) == "interrupted"  # a dead pid on this host
    store.acquire_lease(
        _lease(run.id, "elsewhere", 1, 600), steal=f"{socket.gethostname()}-{dead_pid}"
    )
    assert shown_status(store, running) == "running"  # another host, not lapsed: trust it
    store.acquire_lease(_lease(run.id, "elsewhere", 1, -1))
    assert shown_status(store, running) == "interrupted"  # lapsed


def test_a_lease_taken_away_meanwhile_stops_the_body_with_lease_lost(tmp_path: Path) -> None:
    store = SqliteRunStore(tmp_path / "runs.sqlite")
    lease = leases.acquire(store, "r")
    thief = _lease("r", "elsewhere", 1, 600)
    assert store.acquire_lease(thief, steal=lease.token) == thief
    finished: list[bool] = []

    async def body() -> None:
        async with leases.renewing(store, lease, every=0.01):
            await asyncio.sleep(30)  # cancelled at the first renewal
            finished.append(True)

    with pytest.raises(LeaseLost, match="host elsewhere, pid 1"):
        asyncio.run(body())
    assert not finished and store.get_lease("r") == thief  # the other holder's lease stays
