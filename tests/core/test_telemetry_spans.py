"""Spans of an evaluation run: the hierarchy run → case → node → tool / model call, their
attributes, and the spans stored with each case's result."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import respx
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from kilab.core.telemetry import TelemetrySettings
from kilab.core.telemetry.traces import configure_tracing
from kilab.evals.harness import EvalOptions, run_eval
from kilab.evals.store import MemoryRunStore
from kilab.graphs.compiler import compile_pilot
from kilab.graphs.project import load_project
from kilab.graphs.runner import run_question
from tests.core.conftest import MOCK_BASE, MOCK_KEY_ENV, ROOT, husleie_reply, write_dataset

CHAT = f"{MOCK_BASE}/chat/completions"


def _parent(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> ReadableSpan | None:
    return by_id.get(span.parent.span_id) if span.parent else None


def _chain(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    """Span names from the root down to ``span``, with the ids stripped."""
    names = []
    current: ReadableSpan | None = span
    while current is not None:
        names.append(current.name.split(" ")[0])
        current = _parent(current, by_id)
    return names[::-1]


def test_offline_eval_records_one_trace_per_case_with_node_and_retrieval_spans(
    spans: InMemorySpanExporter, tmp_path: Path
) -> None:
    project = load_project([ROOT / "configs"], root=ROOT / "configs")
    store = MemoryRunStore()
    options = EvalOptions(
        variants=["bm25"],
        dataset=write_dataset(tmp_path / "d.jsonl", 3),
        cache_dir=tmp_path / "cache",
        concurrency=2,
    )
    report = run_eval(project, "husleie", store, options)
    finished = spans.get_finished_spans()
    by_id = {s.context.span_id: s for s in finished}

    runs = [s for s in finished if s.name == "run husleie"]
    assert len(runs) == 1 and runs[0].parent is None
    assert runs[0].attributes["kilab.run.id"] == report.run.id
    cases = [s for s in finished if s.name.startswith("case ")]
    assert sorted(s.attributes["kilab.case.id"] for s in cases) == [
        "husleie-001",
        "husleie-002",
        "husleie-003",
    ]
    run_context = runs[0].context
    for case in cases:  # a root of its own trace, in the run's session, linked to the run
        assert case.parent is None
        assert case.attributes["session.id"] == report.run.id
        assert case.attributes["openinference.span.kind"] == "CHAIN"
        assert [link.context.span_id for link in case.links] == [run_context.span_id]
        assert case.links[0].context.trace_id == run_context.trace_id
    assert all(c.attributes["kilab.variant"] == "bm25" for c in cases)
    traces = {s.context.trace_id for s in finished}
    assert len(traces) == 1 + len(cases)
    assert len({c.context.trace_id for c in cases} | {run_context.trace_id}) == 4
    for case in cases:  # the metrics are evaluation results of the case
        names = {
            case.attributes[f"evaluations.{i}.evaluation.name"] for i in range(len(report.metrics))
        }
        assert names == {m.name for m in report.metrics}
        events = [e for e in case.events if e.name == "gen_ai.evaluation.result"]
        assert {e.attributes["gen_ai.evaluation.name"] for e in events} == names
        result = next(r for r in report.results if r.case_id == case.attributes["kilab.case.id"])
        for event in events:
            value = result.metrics[str(event.attributes["gen_ai.evaluation.name"])]
            assert event.attributes.get("gen_ai.evaluation.score.value") == value
        assert "input.value" not in case.attributes  # contents are opt-in

    nodes = [s for s in finished if s.name.startswith("node ")]
    assert len(nodes) == 9  # retrieve, draft, review per case
    assert all(_parent(n, by_id).name.startswith("case ") for n in nodes)  # type: ignore[union-attr]
    assert {n.attributes["openinference.span.kind"] for n in nodes} == {"CHAIN"}
    evaluators = [s for s in finished if s.name == "evaluate"]
    assert len(evaluators) == 3
    assert {s.attributes["openinference.span.kind"] for s in evaluators} == {"EVALUATOR"}
    reviews = [n for n in nodes if n.attributes["kilab.node"] == "review"]
    assert {r.attributes["kilab.node.outcome"] for r in reviews} <= {"approved", "revise", "reject"}

    searches = [s for s in finished if s.name == "retrieval eiendomslover"]
    assert len(searches) == 3
    for search in searches:
        assert _chain(search, by_id) == ["case", "node", "retrieval"]
        assert _parent(search, by_id).attributes["kilab.node"] == "retrieve"  # type: ignore[union-attr]
        attributes = search.attributes or {}
        assert attributes["gen_ai.operation.name"] == "retrieval"
        assert attributes["gen_ai.data_source.id"] == "eiendomslover"
        assert attributes["openinference.span.kind"] == "RETRIEVER"
        assert attributes["kilab.search.mode"] == "bm25"
        assert attributes["kilab.search.hits"] == 5
        ids = list(attributes["kilab.search.ids"])  # type: ignore[arg-type]
        assert [attributes[f"retrieval.documents.{i}.document.id"] for i in range(5)] == ids
        scores = [attributes[f"retrieval.documents.{i}.document.score"] for i in range(5)]
        assert scores == sorted(scores, reverse=True)  # type: ignore[type-var]
        assert [d["id"] for d in json.loads(str(attributes["gen_ai.retrieval.documents"]))] == ids
        assert "gen_ai.retrieval.query.text" not in attributes  # contents are opt-in
        assert "retrieval.documents.0.document.content" not in attributes

    for result in report.results:
        stored = result.spans
        names = [s["name"] for s in stored]
        assert names[0] == f"case {result.case_id}"  # start order: the case span first
        assert names[1:] == [
            "node retrieve",
            "retrieval eiendomslover",
            "node draft",
            "node review",
            "evaluate",
        ]
        search = next(s for s in stored if s["name"] == "retrieval eiendomslover")
        assert search["attributes"]["kilab.search.ids"] == [p["id"] for p in result.output.passages]
        json.dumps(stored)  # stored as plain JSON
    stored_spans = {r.key: r.spans for r in store.results(report.run.id)}
    assert stored_spans == {r.key: r.spans for r in report.results}  # results finish in any order


def test_no_spans_are_recorded_or_stored_when_tracing_is_off(tmp_path: Path) -> None:
    project = load_project([ROOT / "configs"], root=ROOT / "configs")
    options = EvalOptions(
        variants=["bm25"],
        dataset=write_dataset(tmp_path / "d.jsonl", 2),
        cache_dir=tmp_path / "cache",
    )
    report = run_eval(project, "husleie", MemoryRunStore(), options)
    assert len(report.results) == 2 and all(r.spans == [] for r in report.results)


def _mocked_reply(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=husleie_reply(json.loads(request.content)))


def test_model_calls_are_spans_with_genai_attributes_under_their_node(
    spans: InMemorySpanExporter, mocked_configs: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv(MOCK_KEY_ENV, "sk-test-0123456789abcdef")
    project = load_project([mocked_configs], root=mocked_configs)
    options = EvalOptions(
        variants=["bm25"],
        dataset=write_dataset(tmp_path / "d.jsonl", 2),
        cache_dir=tmp_path / "cache",
        use_cache=False,
    )
    with respx.mock(assert_all_called=True) as mock:
        mock.post(CHAT).mock(side_effect=_mocked_reply)
        report = run_eval(project, "husleie", MemoryRunStore(), options)
    assert all(not r.error for r in report.results), [r.error for r in report.results]
    finished = spans.get_finished_spans()
    by_id = {s.context.span_id: s for s in finished}
    chats = [s for s in finished if s.name == "chat test-model"]
    assert len(chats) == 4  # draft and review, two cases
    for chat in chats:
        assert _chain(chat, by_id) == ["case", "node", "chat"]
        assert chat.kind.name == "CLIENT"
        attributes = chat.attributes or {}
        assert attributes["gen_ai.operation.name"] == "chat"
        assert attributes["gen_ai.request.model"] == attributes["llm.model_name"] == "test-model"
        assert attributes["gen_ai.provider.name"] == attributes["llm.provider"] == "openai"
        assert "gen_ai.system" not in attributes  # deprecated for gen_ai.provider.name
        assert attributes["openinference.span.kind"] == "LLM"
        assert "gen_ai.input.messages" not in attributes  # opt-in only
        assert "gen_ai.output.messages" not in attributes
        assert "llm.input_messages.0.message.role" not in attributes
    drafts = [c for c in chats if _parent(c, by_id).attributes["kilab.node"] == "draft"]  # type: ignore[union-attr]
    reviews = [c for c in chats if _parent(c, by_id).attributes["kilab.node"] == "review"]  # type: ignore[union-attr]
    assert len(drafts) == len(reviews) == 2
    assert {
        (c.attributes["gen_ai.usage.input_tokens"], c.attributes["gen_ai.usage.output_tokens"])
        for c in drafts
    } == {(900, 60)}
    assert {
        (c.attributes["llm.token_count.prompt"], c.attributes["llm.token_count.total"])
        for c in drafts
    } == {(900, 960)}
    assert drafts[0].attributes["kilab.cost"] == (900 * 1.0 + 60 * 2.0) / 1e6
    assert {c.attributes["gen_ai.usage.input_tokens"] for c in reviews} == {400}
    assert all(c.attributes["gen_ai.output.type"] == "json" for c in reviews)
    stored = [s["name"] for s in report.results[0].spans]
    assert stored.count("chat test-model") == 2


def test_message_contents_go_into_spans_only_when_opted_in(
    mocked_configs: Path, tmp_path: Path, monkeypatch
) -> None:
    exporter = InMemorySpanExporter()
    configure_tracing(TelemetrySettings(trace_content=True), [exporter])
    monkeypatch.setenv(MOCK_KEY_ENV, "sk-test-0123456789abcdef")
    project = load_project([mocked_configs], root=mocked_configs)
    compiled = compile_pilot(
        project, "husleie", "bm25", cache_dir=tmp_path / "cache", use_cache=False
    )
    with respx.mock() as mock:
        mock.post(CHAT).mock(side_effect=_mocked_reply)
        result = run_question(compiled, "Hvor mye depositum kan utleier kreve?")
    assert result.verdict == "approved"
    finished = exporter.get_finished_spans()
    # a lone question: node spans are roots, model calls and the search still nest under them
    assert {s.name for s in finished if s.parent is None} == {
        "node retrieve",
        "node draft",
        "node review",
    }
    draft_chat = next(
        s
        for s in finished
        if s.name == "chat test-model" and "Seks" in str(s.attributes.get("gen_ai.output.messages"))
    )
    attributes = draft_chat.attributes or {}
    sent = json.loads(str(attributes["gen_ai.input.messages"]))
    assert sent[-1]["role"] == "user"  # GenAI roles, content in parts
    (part,) = sent[-1]["parts"]
    assert part["type"] == "text" and "depositum" in part["content"]
    assert {m["role"] for m in sent} == {"user"}  # the system prompt stands apart
    (instruction,) = json.loads(str(attributes["gen_ai.system_instructions"]))
    assert instruction["type"] == "text" and instruction["content"]
    assert attributes["llm.input_messages.0.message.role"] == "system"
    assert attributes["llm.input_messages.1.message.role"] == "user"
    assert "depositum" in str(attributes["llm.input_messages.1.message.content"])
    assert "depositum" in str(attributes["input.value"])
    (reply,) = json.loads(str(attributes["gen_ai.output.messages"]))
    assert reply["role"] == "assistant" and reply["finish_reason"] == "stop"
    assert reply["parts"][0]["content"].startswith("Seks måneders leie.")
    assert str(attributes["output.value"]).startswith("Seks måneders leie.")
    assert attributes["llm.output_messages.0.message.role"] == "assistant"
    search = next(s for s in finished if s.name.startswith("retrieval "))
    question = "Hvor mye depositum kan utleier kreve?"
    assert search.attributes["gen_ai.retrieval.query.text"] == question
    assert search.attributes["input.value"] == question
    assert str(search.attributes["retrieval.documents.0.document.content"]).strip()


def test_a_failing_case_has_an_error_status_with_a_redacted_message(
    spans: InMemorySpanExporter, mocked_configs: Path, tmp_path: Path, monkeypatch
) -> None:
    import random

    from kilab.tools.checks.testdata import generate_identity_number

    fnr = generate_identity_number(random.Random(11))
    monkeypatch.setenv(MOCK_KEY_ENV, "sk-test-0123456789abcdef")
    project = load_project([mocked_configs], root=mocked_configs)
    options = EvalOptions(
        variants=["bm25"],
        dataset=write_dataset(tmp_path / "d.jsonl", 1),
        cache_dir=tmp_path / "cache",
        use_cache=False,
    )
    with respx.mock() as mock:
        mock.post(CHAT).mock(
            return_value=httpx.Response(
                400, json={"error": {"message": f"content refused: {fnr}", "type": "bad_request"}}
            )
        )
        report = run_eval(project, "husleie", MemoryRunStore(), options)
    (result,) = report.results
    assert result.error and fnr not in result.error
    (case,) = [s for s in spans.get_finished_spans() if s.name.startswith("case ")]
    assert case.status.status_code.name == "ERROR"
    assert "[fodselsnummer]" in str(case.status.description)
    (draft,) = [s for s in spans.get_finished_spans() if s.name == "node draft"]
    assert draft.status.status_code.name == "ERROR"
    assert all(fnr not in json.dumps(s, default=str) for s in result.spans)
    assert result.spans[0]["status"] == "error"


def test_a_question_span_makes_one_trace_of_a_lone_question(
    spans: InMemorySpanExporter, tmp_path: Path
) -> None:
    from kilab.core.telemetry import question_span

    project = load_project([ROOT / "configs"], root=ROOT / "configs")
    compiled = compile_pilot(project, "husleie", "bm25", cache_dir=tmp_path / "cache")
    with question_span("t-1"):
        run_question(compiled, "Hvor mye depositum kan utleier kreve?", "t-1")
    finished = spans.get_finished_spans()
    by_id = {s.context.span_id: s for s in finished}
    assert [s.name for s in finished if s.parent is None] == ["question"]
    search = next(s for s in finished if s.name.startswith("retrieval "))
    assert _chain(search, by_id) == ["question", "node", "retrieval"]


def test_an_agents_turns_are_llm_spans_and_its_tools_tool_spans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kilab.agents import testing as wire
    from kilab.graphs.agent_testing import context, write_project
    from kilab.graphs.compiler import compile_graph

    exporter = InMemorySpanExporter()
    configure_tracing(TelemetrySettings(trace_content=True), [exporter])
    monkeypatch.setenv("KILAB_TEST_KEY", wire.FAKE_KEY)
    project = write_project(tmp_path, model="wire")
    with respx.mock() as mock:
        mock.post(wire.CHAT).mock(
            side_effect=[
                wire.ok(tool_args={"query": "karanteneloven"}, tool_name="search"),
                wire.ok("Jeg bygger på [LOV-2025-01-01-1]."),
            ]
        )
        run_question(compile_graph(context(tmp_path, project), "notat"), "Karanteneloven?")
    finished = exporter.get_finished_spans()
    by_id = {s.context.span_id: s for s in finished}
    turns = [s for s in finished if s.name == "chat m"]
    assert len(turns) == 2
    assert all(_chain(t, by_id) == ["node", "chat"] for t in turns)
    first, last = (t.attributes or {} for t in turns)
    assert first["openinference.span.kind"] == "LLM" and first["gen_ai.usage.input_tokens"] == 100
    (called,) = json.loads(str(first["gen_ai.output.messages"]))
    assert called["finish_reason"] == "tool_calls"
    assert called["parts"][0]["type"] == "tool_call" and called["parts"][0]["name"] == "search"
    assert first["llm.output_messages.0.message.tool_calls.0.tool_call.function.name"] == "search"
    sent = json.loads(str(last["gen_ai.input.messages"]))
    assert [m["role"] for m in sent] == ["user", "assistant", "tool"]
    assert sent[-1]["parts"][0]["type"] == "tool_call_response"
    (tool,) = [s for s in finished if s.name == "execute_tool search"]
    assert tool.attributes["openinference.span.kind"] == "TOOL"
    assert tool.attributes["tool.name"] == "search"
    assert "karanteneloven" in str(tool.attributes["input.value"])
    assert "LOV-2025-01-01-1" in str(tool.attributes["output.value"])
