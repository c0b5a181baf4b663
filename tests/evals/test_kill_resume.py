"""Kill -9 a real ``kilab eval`` mid-run: the store stays sound, and ``--resume`` computes
exactly the missing results, none twice."""

from __future__ import annotations

import json
import os
import signal
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


def test_kill_mid_run_then_resume_runs_exactly_the_missing(tmp_path: Path) -> None:
    pilot = write_mini_project(tmp_path / "configs", cases=CASES, search_tool="test-slow-search")
    script, store = tmp_path / "slow_eval.py", tmp_path / "runs.sqlite"
    script.write_text(SCRIPT, encoding="utf-8")
    env = {**os.environ, "KILAB_CACHE": str(tmp_path / "cache"), "CALLS": str(tmp_path / "a")}
    args = [
        sys.executable,
        str(script),
        "eval",
        str(pilot),
        "--store",
        str(store),
        "--log",
        str(tmp_path / "log.jsonl"),
        "--concurrency",
        "4",
    ]
    process = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while _count(store) < 6 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert process.poll() is None, "the run ended before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    db = sqlite3.connect(store)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    ((run_id, info),) = db.execute("SELECT id, info FROM runs").fetchall()
    assert json.loads(info)["status"] == "running"
    stored = {row[0] for row in db.execute("SELECT question FROM results")}
    db.close()
    assert 6 <= len(stored) < len(CASES)

    env["CALLS"] = str(tmp_path / "b")
    done = subprocess.run(
        [*args[:2], "eval", str(pilot), "--resume", run_id, *args[4:]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"{len(CASES) - len(stored)} computed" in done.stdout.replace("\n", " ")
    second = (tmp_path / "b").read_text(encoding="utf-8").splitlines()
    everything = {case["question"] for case in CASES}
    assert sorted(second) == sorted(everything - stored)  # exactly the missing, each once

    db = sqlite3.connect(store)
    assert db.execute("SELECT count(*), count(DISTINCT key) FROM results").fetchone() == (
        len(CASES),
        len(CASES),
    )
    assert json.loads(db.execute("SELECT info FROM runs").fetchone()[0])["status"] == "finished"
    db.close()
