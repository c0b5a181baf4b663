"""The husleie pilot end to end on a respx-mocked Azure OpenAI profile.

Only the agents' model changes (offline → azure); the graph, corpus and prompts are the
project's own. The fake key must not show up in logs, state, cache files or errors.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import logging
import re
from pathlib import Path

import httpx
import pytest
import respx
from structlog.testing import capture_logs

from kilab.agents.cache import ResponseCache
from kilab.agents.testing import FAKE_KEY, completion, error
from kilab.core.errors import ModelError
from kilab.graphs.compiler import compile_pilot
from kilab.graphs.project import load_project
from kilab.graphs.runner import arun_question, run_question

AZURE = "http://azure.test"
DEPLOYMENT = re.compile(
    rf"{re.escape(AZURE)}/openai/deployments/gpt-4o-mini/chat/completions\?api-version=.+"
)
QUESTIONS = [
    json.loads(line)["question"]
    for line in Path(__file__)
    .resolve()
    .parents[2]
    .joinpath("configs/datasets/husleie.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()[:5]
]


@pytest.fixture
def azure_configs(configs: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The project's configs with drafter and reviewer on the azure profile."""
    for agent in ("drafter", "reviewer"):
        path = configs / "agents" / f"{agent}.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace("model: offline", "model: azure"))
    models = configs / "models.yaml"
    models.write_text(
        models.read_text(encoding="utf-8").replace(
            '    api_version: "2024-10-21"\n',
            '    api_version: "2024-10-21"\n    retry_base_delay_s: 0.001\n',
        )
    )
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", AZURE)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", FAKE_KEY)
    return configs


def answer_from_first_passage(request: httpx.Request) -> httpx.Response:
    """A grounded draft (the first passage's first sentence, cited), or an approval."""
    assert request.headers["api-key"] == FAKE_KEY
    body = json.loads(request.content)
    if "response_format" in body:
        return httpx.Response(
            200,
            json=completion(
                json.dumps({"verdict": "approved", "findings": []}),
                prompt_tokens=400,
                completion_tokens=12,
            ),
        )
    user = body["messages"][-1]["content"]
    found = re.search(r'<kilde id="([^"]+)"[^>]*>\n(.+?)(?<=\.)\s', user, re.S)
    assert found, user[:500]
    text = f"{found.group(2).strip()} [{found.group(1)}]"
    return httpx.Response(200, json=completion(text, prompt_tokens=900, completion_tokens=60))


def test_husleie_pilot_runs_on_mocked_azure(
    azure_configs: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    project = load_project([azure_configs], root=azure_configs)
    with (
        respx.mock(assert_all_called=False) as mock,
        capture_logs() as logs,
        caplog.at_level(logging.DEBUG),
    ):
        route = mock.post(url__regex=DEPLOYMENT).mock(side_effect=answer_from_first_passage)
        compiled = compile_pilot(project, "husleie", "bm25", cache_dir=tmp_path / "cache")
        result = run_question(compiled, QUESTIONS[0])
    assert route.call_count == 2
    assert result.path == ["retrieve", "draft", "review"]
    assert result.verdict == "approved" and not result.declined
    assert result.citations and result.citations[0] in {p["id"] for p in result.passages}
    assert result.usage["draft"]["input_tokens"] == 900
    assert result.usage["review"]["output_tokens"] == 12
    assert result.usage["draft"]["cost"] == pytest.approx((900 * 0.15 + 60 * 0.60) / 1e6)
    stored = json.dumps(dataclasses.asdict(result), default=str, ensure_ascii=False)
    assert FAKE_KEY not in stored
    assert FAKE_KEY not in caplog.text and FAKE_KEY not in str(logs)
    cached = list(ResponseCache(tmp_path / "cache").stored())
    assert cached and all(FAKE_KEY not in reply for reply in cached)


def test_run_goes_on_when_one_call_in_five_fails(azure_configs: Path, tmp_path: Path) -> None:
    project = load_project([azure_configs], root=azure_configs)
    counter = itertools.count(1)

    def flaky(request: httpx.Request) -> httpx.Response:
        if next(counter) % 5 == 0:
            return error(503, "overloaded", {"retry-after": "0"})
        return answer_from_first_passage(request)

    async def run_all() -> list[object]:
        compiled = compile_pilot(
            project, "husleie", "bm25", cache_dir=tmp_path / "cache", use_cache=False
        )
        return await asyncio.gather(*(arun_question(compiled, q) for q in QUESTIONS))

    with respx.mock(assert_all_called=False) as mock, capture_logs() as logs:
        route = mock.post(url__regex=DEPLOYMENT).mock(side_effect=flaky)
        results = asyncio.run(run_all())
    assert len(results) == len(QUESTIONS)
    assert all(not r.errors for r in results)  # type: ignore[attr-defined]
    assert route.call_count > 2 * len(QUESTIONS)  # every fifth call was retried
    retries = [e for e in logs if e["event"] == "model_call_retry"]
    assert retries and all(e["status"] == 503 for e in retries)
    assert FAKE_KEY not in str(logs)


def test_model_errors_name_no_secret(azure_configs: Path, tmp_path: Path) -> None:
    project = load_project([azure_configs], root=azure_configs)
    with respx.mock(assert_all_called=False) as mock:
        mock.post(url__regex=DEPLOYMENT).mock(
            return_value=error(401, f"Access denied: key {FAKE_KEY} is invalid")
        )
        compiled = compile_pilot(project, "husleie", "bm25", cache_dir=tmp_path / "cache")
        with pytest.raises(ModelError) as caught:
            run_question(compiled, QUESTIONS[0])
    assert "HTTP 401" in str(caught.value)
    assert FAKE_KEY not in str(caught.value)
