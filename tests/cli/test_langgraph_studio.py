"""``kilab langgraph init`` and the real LangGraph development server: the written
``langgraph.json`` names one graph per pilot and variant, ``langgraph dev`` (in-memory
runtime, 127.0.0.1) serves them with an input schema Studio can draw a form from, and one
question of the husleie pilot answered through ``langgraph-sdk`` is the answer kilab gives."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from kilab_subprocess import run_kilab

from kilab.graphs.checkpoints import ask
from kilab.graphs.project import load_project

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "configs"
QUESTION = "Hvor mye depositum kan utleier kreve?"
LANGGRAPH = Path(sys.executable).parent / "langgraph"
pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder where ``kilab langgraph init`` wrote langgraph.json for the repo's configs."""
    folder = tmp_path_factory.mktemp("studio")
    done = run_kilab(
        "langgraph", "init", "--configs", str(CONFIGS), "--out", str(folder), home=folder
    )
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture(scope="module")
def server(initialised: Path) -> Iterator[str]:
    """``langgraph dev`` on 127.0.0.1 serving the written config; its base URL."""
    assert LANGGRAPH.exists(), "langgraph-cli[inmem] is not installed (dev extra)"
    port = _free_port()
    log = (initialised / "server.log").open("w", encoding="utf-8")
    env = {
        **os.environ,
        "KILAB_HOME": str(initialised / ".kilab"),
        "LANGSMITH_TRACING": "false",
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "NO_COLOR": "1",
    }
    process = subprocess.Popen(
        [str(LANGGRAPH), "dev", "--no-browser", "--no-reload", "--host", "127.0.0.1",
         "--port", str(port), "--config", "langgraph.json"],
        cwd=initialised, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # a readiness poll while it starts, not a timing check
            if process.poll() is not None:
                break
            try:
                if httpx.get(f"{base}/ok", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        log.flush()
        server_log = (initialised / "server.log").read_text(encoding="utf-8")
        assert process.poll() is None, f"langgraph dev exited:\n{server_log[-3000:]}"
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the server and the workers it started
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def test_init_writes_one_graph_per_pilot_and_variant(initialised: Path) -> None:
    project = load_project([CONFIGS], root=CONFIGS)
    expected = {
        f"{pilot}-{variant}"
        for pilot in project.pilots
        for variant, spec in project.pilot(pilot).variants.items()
        if not spec.on_request
    }
    config = json.loads((initialised / "langgraph.json").read_text(encoding="utf-8"))
    assert set(config["graphs"]) == expected
    assert "husleie-baseline" in expected and "husleie-local" not in expected
    module = (initialised / "kilab_graphs.py").read_text(encoding="utf-8")
    for path in config["graphs"].values():
        file, variable = path.split(":")
        assert file == "./kilab_graphs.py" and f"\n{variable} = graph_factory(" in module
    again = run_kilab("langgraph", "init", "--configs", str(CONFIGS), "--out", str(initialised),
                      home=initialised)  # fmt: skip
    assert again.returncode == 2 and "--force" in again.stderr  # no silent overwrite


def test_langgraph_dev_answers_a_husleie_question_through_the_sdk(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from langgraph_sdk import get_sync_client

    with get_sync_client(url=server) as client:
        graphs = {a["graph_id"] for a in client.assistants.search(limit=100)}
        assert {"husleie-baseline", "husleie-bm25", "notat-baseline"} <= graphs
        (assistant,) = client.assistants.search(graph_id="husleie-baseline")
        schemas = client.assistants.get_schemas(assistant["assistant_id"])
        question = schemas["input_schema"]["properties"]["question"]  # Studio's input form
        assert question["type"] == "string"

        thread = client.threads.create()
        state = client.runs.wait(
            thread["thread_id"], assistant["assistant_id"], input={"question": QUESTION}
        )
        assert isinstance(state, dict) and state["path"] == ["retrieve", "draft", "review"]

    monkeypatch.setenv("KILAB_HOME", str(tmp_path))
    expected = ask(load_project([CONFIGS], root=CONFIGS), "husleie", QUESTION)
    assert state["citations"] == expected.citations and state["citations"]
    assert state["draft"] == expected.draft
    assert state["verdict"] == expected.verdict == "approved"
