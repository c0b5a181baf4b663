"""Tool-using agents: the loop with a scripted model, its limits, tool errors, the OpenAI wire."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from langchain_core.messages import ToolMessage

from kilab.agents import testing as wire
from kilab.agents.fake_model import ScriptedChatModel, answer, tool_call
from kilab.agents.tools import ToolEnv
from kilab.core.errors import UserError
from kilab.graphs.agent_testing import context, write_project
from kilab.graphs.agent_tools import build_tools
from kilab.graphs.compiler import compile_graph
from kilab.graphs.nodes.agentic import ResearcherNode, ResearcherSettings
from kilab.graphs.runner import run_question
from kilab.tools.retrieval import open_retriever

QUESTION = "Lag et notat om endringene i karanteneloven"


@pytest.fixture
def retriever(tmp_path: Path) -> Any:
    project = write_project(tmp_path)
    return open_retriever(
        context(tmp_path, project).corpus_source("tiny"), "bm25", tmp_path / "cache"
    )


def _node(
    retriever: Any, replies: list[Any], **settings: Any
) -> tuple[ResearcherNode, ScriptedChatModel]:
    chosen = ResearcherSettings.model_validate({"corpus": "tiny", **settings})
    tools = build_tools(["search", "fetch", "changes"], ToolEnv(retriever, k=3))
    model = ScriptedChatModel(replies=replies)
    node = ResearcherNode(
        "researcher", "Finn dokumentene.", model.bind_tools(tools), tools, chosen, retriever
    )
    return node, model


def test_scripted_loop_calls_tools_then_answers(retriever: Any) -> None:
    node, model = _node(
        retriever,
        [
            tool_call("search", {"query": "karanteneloven"}, "c1", tokens=10),
            tool_call("fetch", {"id": "LOV-2025-01-01-1"}, "c2", tokens=10),
            answer("Jeg bygger på LOV-2025-01-01-1.", tokens=10),
        ],
    )
    update = node.invoke({"question": QUESTION})
    assert model.bound_tools == ["search", "fetch", "changes"]
    assert update["stop_reason"] == "answered" and "errors" not in update
    assert [(c["tool"], c["ok"]) for c in update["tool_calls"]] == [
        ("search", True),
        ("fetch", True),
    ]
    ids = [p["id"] for p in update["passages"]]
    assert ids[0] == "FOR-2025-02-01-2" or ids[0] == "LOV-2025-01-01-1"
    assert "LOV-2025-01-01-1" in ids and "FOR-2025-03-01-3" not in ids
    fetched = next(p for p in update["passages"] if p["id"] == "LOV-2025-01-01-1")
    assert "overtredelsesgebyr" in fetched["text"]  # the whole document, not a snippet
    assert update["usage"]["node"]["calls"] == 3 and update["usage"]["node"]["input_tokens"] == 30
    # The model saw the search results before it chose what to fetch.
    shown = [m for m in model.seen[1] if isinstance(m, ToolMessage)]
    assert "[LOV-2025-01-01-1]" in str(shown[0].content)


def test_step_limit_ends_the_loop_with_a_recorded_reason(retriever: Any) -> None:
    node, model = _node(retriever, [tool_call("search", {"query": "karantene"})], max_steps=2)
    update = node.invoke({"question": QUESTION})
    assert update["stop_reason"] == "step_limit"
    assert len(model.seen) == 2 and len(update["tool_calls"]) == 2
    assert update["errors"] == ["researcher: stopped by step limit"]


def test_token_budget_ends_the_loop_with_a_recorded_reason(retriever: Any) -> None:
    node, model = _node(
        retriever, [tool_call("search", {"query": "karantene"}, tokens=600)], token_budget=1000
    )
    update = node.invoke({"question": QUESTION})
    assert update["stop_reason"] == "token_budget"
    assert len(model.seen) == 2  # 600 tokens, then 1200 > 1000: the second call's tools never run
    assert len([c for c in update["tool_calls"] if c["result"]]) == 1
    assert update["errors"] == ["researcher: stopped by token budget"]


def test_an_invalid_tool_argument_reaches_the_agent_as_an_error(retriever: Any) -> None:
    node, model = _node(
        retriever,
        [
            tool_call("search", {"query": "karantene", "k": 999}, "bad"),
            tool_call("fetch", {"id": "NO-SUCH-DOC"}, "missing"),
            answer("Ferdig."),
        ],
    )
    update = node.invoke({"question": QUESTION})
    assert update["stop_reason"] == "answered"
    assert [c["ok"] for c in update["tool_calls"]] == [False, False]
    replies = [m for m in model.seen[2] if isinstance(m, ToolMessage)]
    assert [r.status for r in replies] == ["error", "error"]
    assert "k" in str(replies[0].content) and "20" in str(replies[0].content)  # le=20
    assert "NO-SUCH-DOC" in str(replies[1].content)
    assert update["passages"] == []


def test_a_tool_an_agent_cannot_call_is_a_user_error(retriever: Any) -> None:
    with pytest.raises(UserError, match="human-approval"):
        build_tools(["search", "human-approval"], ToolEnv(retriever))


def test_offline_graph_searches_fetches_composes_and_passes_the_scripted_reviewer(
    tmp_path: Path,
) -> None:
    project = write_project(tmp_path)
    result = run_question(compile_graph(context(tmp_path, project), "notat"), QUESTION)
    assert [c["tool"] for c in result.tool_calls] == ["search", "fetch", "fetch"]
    assert result.path == ["research", "compose", "approve", "compose", "approve"]
    assert result.verdict == "approved" and not result.declined
    assert result.answer.startswith("## Bakgrunn")
    assert "FOR-2025-03-01-3" not in result.citations  # the fishing rule is not fetched
    assert result.human_decision is not None
    assert result.human_decision["reviewer"] == "policy"


@respx.mock
def test_researcher_on_the_openai_wire(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KILAB_TEST_KEY", wire.FAKE_KEY)
    route = respx.post(wire.CHAT).mock(
        side_effect=[
            wire.ok(tool_args={"query": "karanteneloven"}, tool_name="search"),
            wire.ok(tool_args={"id": "LOV-2025-01-01-1"}, tool_name="fetch"),
            wire.ok("Jeg bygger på [LOV-2025-01-01-1]."),
        ]
    )
    project = write_project(tmp_path, model="wire")
    result = run_question(compile_graph(context(tmp_path, project), "notat"), QUESTION)
    assert route.call_count == 3
    first: dict[str, Any] = json.loads(route.calls[0].request.content)
    assert [t["function"]["name"] for t in first["tools"]] == ["search", "fetch", "changes"]
    assert first["tools"][0]["function"]["parameters"]["required"] == ["query"]
    last: dict[str, Any] = json.loads(route.calls[2].request.content)
    assert [m["role"] for m in last["messages"]].count("tool") == 2
    assert result.stop_reason == "answered"
    assert result.usage["research"]["calls"] == 3
    assert result.usage["research"]["input_tokens"] == 300
    assert result.usage["research"]["cost"] == pytest.approx(300 / 1_000_000)
    assert "LOV-2025-01-01-1" in result.citations
    assert isinstance(route.calls[0].request, httpx.Request)


@respx.mock
def test_router_mode_turns_a_structured_choice_into_tool_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KILAB_TEST_KEY", wire.FAKE_KEY)
    route = respx.post(wire.CHAT).mock(
        side_effect=[
            wire.json_reply({"tool": "search", "arguments": {"query": "karanteneloven"}}),
            wire.json_reply({"tool": "delete_everything", "arguments": {}}),
            wire.json_reply({"tool": "fetch", "arguments": {"id": "LOV-2025-01-01-1"}}),
            wire.json_reply({"tool": "finish", "answer": "Ferdig."}),
        ]
    )
    project = write_project(tmp_path, model="wire", mode="router")
    result = run_question(compile_graph(context(tmp_path, project), "notat"), QUESTION)
    assert route.call_count == 4
    bodies = [json.loads(call.request.content) for call in route.calls]
    assert all("tools" not in b and b["response_format"]["type"] == "json_schema" for b in bodies)
    assert "search(" in bodies[0]["messages"][0]["content"]  # the tool menu in the prompt
    # No native tool messages go over the wire: results come back as user messages.
    assert all(m["role"] in ("system", "user", "assistant") for m in bodies[3]["messages"])
    calls = [(c["tool"], c["ok"]) for c in result.tool_calls]
    assert calls == [("search", True), ("delete_everything", False), ("fetch", True)]
    assert result.stop_reason == "answered"
    assert "LOV-2025-01-01-1" in result.citations
