"""Nothing personal at rest: after runs that carry a fake key, a fødselsnummer, a D-nummer, an
H-nummer and a phone number, no file under KILAB_HOME, no report and no viewer page holds any
of them (the response cache, checkpoints, run store, traces, review pages included)."""

from __future__ import annotations

import io
import json
import random
import re
from pathlib import Path

import httpx
import pytest
import respx
from fastapi.testclient import TestClient

from kilab.agents.testing import completion
from kilab.core.telemetry import TelemetrySettings, configure
from kilab.core.telemetry.traces import configure_tracing, shutdown_tracing
from kilab.evals.harness import EvalOptions, run_eval
from kilab.evals.report import render_report
from kilab.evals.store import SqliteRunStore
from kilab.evals.viewer import create_app
from kilab.graphs.agent_testing import write_project
from kilab.graphs.checkpoints import open_checkpoints
from kilab.graphs.compiler import compile_pilot
from kilab.graphs.project import load_project
from kilab.graphs.review import labels
from kilab.graphs.runner import run_question
from kilab.tools.checks.testdata import generate_identity_number
from tests.core.conftest import MOCK_BASE, MOCK_KEY_ENV, write_dataset

FAKE_KEY = "fake-4c3b2a1f0e9d8c7b6a5f4e3d"
FNR = generate_identity_number(random.Random(31))
DNR = generate_identity_number(random.Random(32), d_number=True)
HNR = generate_identity_number(random.Random(33), h_number=True)
PHONE = "912 34 567"
BASE = "http://127.0.0.1:8765"
PERSONAL = f"Jeg heter Kari, fnr {FNR[:6]} {FNR[6:]}, D-nummer {DNR}, H-nummer {HNR}, tlf {PHONE}."


def _needles() -> dict[str, str]:
    return {
        "key": FAKE_KEY,
        "fødselsnummer": FNR,
        "D-nummer": DNR,
        "H-nummer": HNR,
        "phone": PHONE.replace(" ", ""),
    }


def _hits(name: str, text: str) -> list[str]:
    """Every needle found in ``text``, also with its separators taken out."""
    digits_only = re.sub(r"(?<=\d)[ .\-\u00a0](?=\d)", "", text)
    return [
        f"{what} in {name}"
        for what, needle in _needles().items()
        if needle in text or needle in digits_only
    ]


def _reply(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content.decode())
    if "response_format" in body or "tools" in body:
        verdict = {"verdict": "approved", "findings": []}
        return httpx.Response(
            200,
            json=completion(json.dumps(verdict), tool_args=verdict if "tools" in body else None),
        )
    # A careless model repeats everything it was given, and the key for good measure.
    return httpx.Response(
        200, json=completion(f"Du skrev: {PERSONAL} Nøkkel {FAKE_KEY}. Depositum: seks måneder.")
    )


@pytest.mark.integration
def test_nothing_personal_at_rest(
    mocked_configs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("KILAB_HOME", str(home))
    monkeypatch.setenv("KILAB_CACHE", str(home / "cache"))
    monkeypatch.setenv(MOCK_KEY_ENV, FAKE_KEY)
    configure(TelemetrySettings(log_level="debug", log_format="json"), log_stream=io.StringIO())
    configure_tracing(
        TelemetrySettings(traces=("jsonl",), traces_file=home / "traces.jsonl", trace_content=True)
    )
    question = f"{PERSONAL} Hvor mye depositum kan utleier kreve?"
    dataset = write_dataset(tmp_path / "d.jsonl", 1, [{"id": "pii-001", "question": question}])
    project = load_project([mocked_configs], root=mocked_configs)
    store = SqliteRunStore(home / "runs.sqlite")
    options = EvalOptions(variants=["bm25"], dataset=dataset, cache_dir=home / "cache")
    with respx.mock() as mock:
        route = mock.post(f"{MOCK_BASE}/chat/completions").mock(side_effect=_reply)
        report = run_eval(project, "husleie", store, options)
        # kilab run: one question through the checkpointer
        with open_checkpoints(home / "checkpoints.sqlite") as saver:
            compiled = compile_pilot(project, "husleie", "bm25", checkpointer=saver)
            run_question(compiled, question, "t-run", labels("husleie", "bm25", project.root))
    assert route.called and any(FNR[6:] in c.request.content.decode() for c in route.calls)
    assert all(not r.error for r in store.results(report.run.id))
    html, _ = render_report(store, report.run.id, configs=mocked_configs, log=home / "p.jsonl")
    (home / "report.html").write_text(html, encoding="utf-8")
    store.close()

    # a thread paused for a person, decided in the viewer
    notat = write_project(tmp_path / "notat")
    with open_checkpoints(home / "checkpoints.sqlite") as saver:
        compiled = compile_pilot(notat, "notat", "baseline", checkpointer=saver)
        run_question(
            compiled, f"Notat om {PERSONAL}", "t-review", labels("notat", "baseline", notat.root)
        )
    app = create_app(
        home / "runs.sqlite",
        log=home / "p.jsonl",
        configs=mocked_configs,
        checkpoints=home / "checkpoints.sqlite",
    )
    pages: dict[str, str] = {}
    with TestClient(app, base_url=BASE) as client:
        for url in (
            "/",
            f"/runs/{report.run.id}",
            f"/runs/{report.run.id}/cases/pii-001?variant=bm25",
            "/review",
            "/review/t-review",
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            pages[url] = response.text
        sent = client.post(
            "/review/t-review",
            data={"action": "approve", "comment": f"ok, ring {PHONE}", "reviewer": "r"},
            headers={"Origin": BASE},
            follow_redirects=False,
        )
        assert sent.status_code == 303
        result = client.get(sent.headers["location"])
        assert result.status_code == 200
        pages["/review/t-review/result"] = result.text
    shutdown_tracing()

    files = [p for p in home.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"runs.sqlite", "checkpoints.sqlite", "traces.jsonl", "report.html"} <= names
    assert any(p.suffix == ".json" for p in (home / "cache").rglob("*"))  # replies were cached
    hits = []
    for path in files:
        hits += _hits(str(path.relative_to(home)), path.read_bytes().decode("utf-8", "replace"))
    for url, text in pages.items():
        hits += _hits(url, text)
    assert hits == []
    # and the masks show where the data was
    assert "[fodselsnummer]" in pages[f"/runs/{report.run.id}/cases/pii-001?variant=bm25"]
    assert "[h-nummer]" in html and "[phone]" in html
