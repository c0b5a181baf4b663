"""A kilab eval seen in a real Arize Phoenix: one trace per case, in the run's session, with
readable LLM, RETRIEVER and EVALUATOR spans, and no personal data in any span.

Phoenix runs from its own environment (``make phoenix`` builds ``.venv-phoenix``; its pins
clash with kilab's, see docs/tracing.md), telemetry off, on 127.0.0.1, its working folder
under ``tmp_path``. The model is ``kilab.agents.testing.FakeOpenAIServer`` answering as
``tests/core/conftest.husleie_reply`` says. The trace view is screenshot in Chromium into
``test-artifacts/phoenix-trace.png`` (the picture in docs/tracing.md).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from kilab.agents.testing import FakeOpenAIServer
from kilab.tools.checks.testdata import generate_identity_number
from tests.core.conftest import (
    MOCK_BASE,
    MOCK_KEY_ENV,
    ROOT,
    eval_exporting_to,
    husleie_reply,
    write_dataset,
)

pytestmark = pytest.mark.integration

ARTIFACTS = ROOT / "test-artifacts"
PROJECT = "kilab-husleie"
STARTUP_S = 600  # Phoenix migrates its database on first start: minutes on a loaded machine


def _phoenix() -> Path | None:
    """The ``phoenix`` command: ``$KILAB_PHOENIX``, ``.venv-phoenix`` or the PATH."""
    given = os.environ.get("KILAB_PHOENIX")
    for candidate in (given, ROOT / ".venv-phoenix" / "bin" / "phoenix", shutil.which("phoenix")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Phoenix:
    url: str
    log: Path


@pytest.fixture
def phoenix(tmp_path: Path) -> Iterator[Phoenix]:
    command = _phoenix()
    if command is None:
        why = "no Phoenix: run `make phoenix` (or set KILAB_PHOENIX to its phoenix command)"
        if os.environ.get("KILAB_REQUIRE_LOCAL"):
            pytest.fail(f"KILAB_REQUIRE_LOCAL is set but {why}")
        pytest.skip(why)
    port = _free_port()
    work = tmp_path / "phoenix"
    work.mkdir()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(work),
        "PHOENIX_WORKING_DIR": str(work),
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_PORT": str(port),
        "PHOENIX_GRPC_PORT": str(_free_port()),
        "PHOENIX_TELEMETRY_ENABLED": "false",
    }
    log = work / "phoenix.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(command), "serve"], env=env, cwd=work, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"Phoenix exited ({process.returncode}):\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"Phoenix did not start in {STARTUP_S} s:\n{log.read_text()[-3000:]}")
            time.sleep(1)
        yield Phoenix(url, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def model() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(husleie_reply) as server:
        yield server


def _spans(phoenix: Phoenix, expected: int) -> list[dict[str, Any]]:
    """Every span of the project once ``expected`` have been ingested (Phoenix writes them in
    the background after the OTLP request returns)."""
    deadline = time.monotonic() + 120
    while True:
        reply = httpx.get(
            f"{phoenix.url}/v1/projects/{PROJECT}/spans", params={"limit": 1000}, timeout=30
        )
        spans: list[dict[str, Any]] = reply.json().get("data", []) if reply.is_success else []
        if len(spans) >= expected or time.monotonic() > deadline:
            return spans
        time.sleep(1)


def test_a_kilab_eval_shows_in_phoenix_as_one_readable_trace_per_case(
    phoenix: Phoenix, model: FakeOpenAIServer, mocked_configs: Path, tmp_path: Path
) -> None:
    models = mocked_configs / "models.yaml"
    models.write_text(models.read_text().replace(MOCK_BASE, model.base_url), encoding="utf-8")
    fnr = generate_identity_number(random.Random(7))
    personal = {"id": "pii-001", "question": f"Jeg har fødselsnummer {fnr}. Hva er depositum?"}
    dataset = write_dataset(tmp_path / "d.jsonl", 2, [personal])
    env = {
        "KILAB_TRACE_CONTENT": "1",
        "OTEL_RESOURCE_ATTRIBUTES": f"openinference.project.name={PROJECT}",
        MOCK_KEY_ENV: "sk-phoenix-test-0123456789",
    }
    pilot = mocked_configs / "pilots" / "husleie.yaml"
    home, cwd = tmp_path / "home", mocked_configs.parent
    done = eval_exporting_to(phoenix.url, pilot, dataset, home, "--no-cache", env=env, cwd=cwd)
    assert done.returncode in (0, 1), done.stderr  # 1: a gate may fail on three cases
    assert "Traceback" not in done.stderr, done.stderr

    # run; per case: case, retrieve/draft/review nodes, retrieval, 2 chats, evaluate
    spans = _spans(phoenix, 1 + 3 * 8)
    assert len(spans) == 1 + 3 * 8, sorted(s["name"] for s in spans)
    by_trace: dict[str, list[dict[str, Any]]] = {}
    for span in spans:
        by_trace.setdefault(span["context"]["trace_id"], []).append(span)
    (run,) = [s for s in spans if s["name"] == "run husleie"]
    run_id = run["attributes"]["session.id"]
    assert run["span_kind"] == "CHAIN" and by_trace.pop(run["context"]["trace_id"]) == [run]
    assert len(by_trace) == 3  # one trace per case
    traces = httpx.get(f"{phoenix.url}/v1/projects/{PROJECT}/traces", timeout=30).json()["data"]
    assert len(traces) == 4
    for trace in by_trace.values():
        (case,) = [s for s in trace if s["parent_id"] is None]
        assert case["name"].startswith("case ") and case["span_kind"] == "CHAIN"
        attributes = case["attributes"]
        assert attributes["session.id"] == run_id
        assert attributes["input.value"] and attributes["output.value"].startswith("Seks")
        assert attributes["evaluations.0.evaluation.name"] == "recall@5"
        kinds = sorted(s["span_kind"] for s in trace)
        assert kinds == ["CHAIN"] * 4 + ["EVALUATOR", "LLM", "LLM", "RETRIEVER"]
        for llm in (s for s in trace if s["span_kind"] == "LLM"):
            a = llm["attributes"]
            assert a["input.value"] and a["output.value"], llm["name"]
            assert a["llm.input_messages.1.message.role"] == "user"
            assert a["llm.token_count.total"] > 0
            assert json.loads(a["gen_ai.input.messages"])[0]["parts"][0]["type"] == "text"
        (retriever,) = [s for s in trace if s["span_kind"] == "RETRIEVER"]
        a = retriever["attributes"]
        assert a["input.value"] == next(
            json.loads(line)["question"]
            for line in dataset.read_text().splitlines()
            if json.loads(line)["id"] == attributes["kilab.case.id"]
        ).replace(fnr, "[fodselsnummer]")
        assert a["retrieval.documents.0.document.id"] and a["retrieval.documents.0.document.score"]
        assert a["retrieval.documents.0.document.content"]
    exported = json.dumps(spans, ensure_ascii=False)
    assert fnr not in exported and "[fodselsnummer]" in exported
    assert "sk-phoenix-test" not in exported

    _screenshot(phoenix, run_id, next(iter(by_trace)))


def _screenshot(phoenix: Phoenix, run_id: str, trace_id: str) -> None:
    """The trace view of one case in Chromium, kept in test-artifacts/ (docs/tracing.md)."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.fail("browser step: /usr/bin/chromium absent (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    from tests.evals.test_viewer_browser import CHROMIUM_ARGS

    project = httpx.get(f"{phoenix.url}/v1/projects/{PROJECT}", timeout=30).json()["data"]["id"]
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(f"{phoenix.url}/projects/{project}/traces/{trace_id}", timeout=120_000)
            page.get_by_text("retrieval eiendomslover").first.wait_for(timeout=120_000)
            page.get_by_text("retrieval eiendomslover").first.click()
            page.get_by_text("Documents").first.wait_for(timeout=60_000)
            page.wait_for_timeout(1000)  # let the panel settle before the picture
            page.screenshot(path=str(ARTIFACTS / "phoenix-trace.png"))
        finally:
            browser.close()
