"""Two ``kilab eval --resume RUN`` at once, as real processes: the second refuses and names
the first (host, pid, since when); ``kilab runs`` shows a killed run as interrupted."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from slow_eval import CASES, SCRIPT

from kilab.evals.testing import write_mini_project

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def _rows(store: Path, query: str) -> list[tuple[object, ...]]:
    if not store.exists():
        return []
    db = sqlite3.connect(store, timeout=5)
    try:
        return list(db.execute(query).fetchall())
    except sqlite3.OperationalError:
        return []
    finally:
        db.close()


def _wait_for(condition: object, process: subprocess.Popen[str]) -> None:
    """Poll until ``condition()`` holds while ``process`` runs (60 s at most, then fail)."""
    deadline = time.monotonic() + 60
    while not condition() and process.poll() is None and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.02)
    assert process.poll() is None, "the run ended before the test could contend for it"
    assert condition(), "timed out waiting"  # type: ignore[operator]


def test_a_second_resume_refuses_and_a_killed_run_shows_interrupted(tmp_path: Path) -> None:
    pilot = write_mini_project(tmp_path / "configs", cases=CASES, search_tool="test-slow-search")
    script, store = tmp_path / "slow_eval.py", tmp_path / "runs.sqlite"
    script.write_text(SCRIPT, encoding="utf-8")
    env = {
        **os.environ,
        "KILAB_CACHE": str(tmp_path / "cache"),
        "CALLS": str(tmp_path / "calls"),
        "NO_COLOR": "1",
        "SLOW_SECONDS": "600",  # the contended runs compute until they are killed
        "COLUMNS": "200",
    }
    common = ["--store", str(store), "--log", str(tmp_path / "log.jsonl"), "--concurrency", "2"]

    def kilab(*args: str) -> list[str]:
        return [sys.executable, str(script), *args]

    def start(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            kilab(*args),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            kilab(*args),
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )

    def runs_json() -> list[dict[str, object]]:
        done = run("runs", "--json", "--store", str(store))
        assert done.returncode == 0, done.stderr
        return list(json.loads(done.stdout))

    def holds(process: subprocess.Popen[str]) -> bool:
        rows = _rows(store, "SELECT lease FROM run_leases")
        return any(json.loads(str(row[0]))["pid"] == process.pid for row in rows)

    first = start("eval", str(pilot), *common)
    try:
        _wait_for(lambda: holds(first), first)
        ((run_id,),) = _rows(store, "SELECT id FROM runs")
        (listed,) = runs_json()
        assert listed["status"] == "running" and listed["held_by"] == {
            "host": socket.gethostname(),
            "pid": first.pid,
        }
        second = run("eval", str(pilot), "--resume", str(run_id), *common)
        assert second.returncode == 2 and "Traceback" not in second.stderr
        said = " ".join(second.stderr.split())
        assert (
            f"run {run_id} is being computed by host {socket.gethostname()}, pid {first.pid}, since"
            in said
        )
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()

    (listed,) = runs_json()
    assert listed["status"] == "interrupted" and "held_by" not in listed  # killed: pid gone
    table = run("runs", "--store", str(store))
    assert run_id in table.stdout and "interrupted" in table.stdout

    # Two resumes at once: the one that took the lease computes, the other refuses.
    resumed = start("eval", str(pilot), "--resume", str(run_id), *common)
    try:
        _wait_for(lambda: holds(resumed), resumed)
        again = run("eval", str(pilot), "--resume", str(run_id), *common)
        assert again.returncode == 2 and f"pid {resumed.pid}" in " ".join(again.stderr.split())
    finally:
        resumed.send_signal(signal.SIGKILL)
        resumed.wait()

    # Once no live process holds it, a resume finishes the run, each case computed once.
    env["SLOW_SECONDS"] = "0"
    done = run("eval", str(pilot), "--resume", str(run_id), *common)
    assert done.returncode == 0, done.stderr
    assert _rows(store, "SELECT count(*), count(DISTINCT key) FROM results") == [
        (len(CASES), len(CASES))
    ]
    (listed,) = runs_json()
    assert listed["status"] == "finished"
