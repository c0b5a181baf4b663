"""A human step pauses a run; ``kilab pending``/``kilab review`` resume it in other processes,
with the state read back from the SQLite checkpointer."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from kilab_subprocess import run_kilab
from langgraph.checkpoint.sqlite import SqliteSaver

from kilab.graphs.agent_testing import write_project
from kilab.graphs.review import pending_threads

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "Lag et kort notat om endringene i karanteneloven"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A kilab home with a tiny notat project (three documents: the index builds at once)."""
    folder = tmp_path_factory.mktemp("kilab-home")
    write_project(folder / "project")
    return folder


def _kilab(home: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = run_kilab(
        *args, home=home, env={"KILAB_CONFIGS": str(home / "project" / "configs")}, timeout=120
    )
    if ok:
        assert done.returncode == 0, done.stderr
    return done


def _json(home: Path, *args: str) -> Any:
    return json.loads(_kilab(home, *args, "--json").stdout)


def test_pause_revise_approve_across_processes(home: Path) -> None:
    started = _json(home, "run", "notat", "-q", QUESTION, "--thread", "t-approve")
    assert started["paused"] is True
    assert started["path"] == ["research", "compose"]

    waiting = _json(home, "pending")
    assert [w["thread_id"] for w in waiting] == ["t-approve"]
    assert waiting[0]["pilot"] == "notat" and "## Bakgrunn" in waiting[0]["draft"]

    revised = _json(home, "review", "t-approve", "--revise", "Kortere, takk")
    assert revised["paused"] is True  # back to the composer, then waiting again
    assert revised["path"] == ["research", "compose", "approve", "compose"]

    approved = _json(home, "review", "t-approve", "--approve", "--reviewer", "kari")
    assert approved["paused"] is False and approved["verdict"] == "approved"
    assert "## Kilder" in approved["answer"] and approved["citations"]
    with SqliteSaver.from_conn_string(str(home / "checkpoints.sqlite")) as saver:
        assert pending_threads(saver) == []
        saved = saver.get_tuple({"configurable": {"thread_id": "t-approve"}})
    assert saved is not None
    state = saved.checkpoint["channel_values"]
    assert state["human_decision"] == {"action": "approve", "comment": "", "reviewer": "kari"}
    assert [f["message"] for f in state["feedback"]] == ["Kortere, takk"]
    assert [c["tool"] for c in state["tool_calls"]] == ["search", "fetch", "fetch"]


def test_reject_withholds_the_note(home: Path) -> None:
    _json(home, "run", "notat", "-q", QUESTION, "--thread", "t-reject")
    rejected = _json(home, "review", "t-reject", "--reject")
    assert rejected["verdict"] == "reject" and rejected["declined"] is True
    assert "## Bakgrunn" not in rejected["answer"]


def test_review_of_an_unknown_thread_is_a_plain_error(home: Path) -> None:
    unknown = _kilab(home, "review", "no-such-thread", "--approve", ok=False)
    assert unknown.returncode == 2 and "no-such-thread" in unknown.stderr + unknown.stdout
    assert "Traceback" not in unknown.stderr
