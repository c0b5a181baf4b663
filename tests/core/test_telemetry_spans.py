"""Spans of an evaluation run: the hierarchy run → case → node → tool / model call, their
attributes, and the spans stored with each case's result."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import respx
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from kilab.agents.testing import completion
from kilab.core.telemetry import TelemetrySettings
from kilab.core.telemetry.traces import configure_tracing
from kilab.evals.harness import EvalOptions, run_eval
from kilab.evals.store import MemoryRunStore
from kilab.graphs.compiler import compile_pilot
from kilab.graphs.project import load_project
from kilab.graphs.runner import run_question
from tests.core.conftest import MOCK_BASE, MOCK_KEY_ENV, ROOT, write_dataset

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


def test_offline_eval_records_run_case_node_and_search_spans(
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
    assert all(_parent(c, by_id) is runs[0] for c in cases)
    assert all(c.attributes["kilab.variant"] == "bm25" for c in cases)
    assert {s.context.trace_id for s in finished} == {runs[0].context.trace_id}

    nodes = [s for s in finished if s.name.startswith("node ")]
    assert len(nodes) == 9  # retrieve, draft, review per case
    assert all(_parent(n, by_id).name.startswith("case ") for n in nodes)  # type: ignore[union-attr]
    reviews = [n for n in nodes if n.attributes["kilab.node"] == "review"]
    assert {r.attributes["kilab.node.outcome"] for r in reviews} <= {"approved", "revise", "reject"}

    searches = [s for s in finished if s.name == "execute_tool search"]
    assert len(searches) == 3
    for search in searches:
        assert _chain(search, by_id) == ["run", "case", "node", "execute_tool"]
        assert _parent(search, by_id).attributes["kilab.node"] == "retrieve"  # type: ignore[union-attr]
        assert search.attributes["gen_ai.operation.name"] == "execute_tool"
        assert search.attributes["kilab.search.mode"] == "bm25"
        assert search.attributes["kilab.search.hits"] == 5
        assert len(search.attributes["kilab.search.ids"]) == 5  # type: ignore[arg-type]
        assert "kilab.search.query" not in search.attributes  # contents are opt-in

    for result in report.results:
        stored = result.spans
        names = [s["name"] for s in stored]
        assert names[0] == f"case {result.case_id}"  # start order: the case span first
        assert names[1:] == ["node retrieve", "execute_tool search", "node draft", "node review"]
        search = next(s for s in stored if s["name"] == "execute_tool search")
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
    body = json.loads(request.content)
    if "response_format" in body or "tools" in body:  # the reviewer's structured verdict
        return httpx.Response(
            200,
            json=completion(
                json.dumps({"verdict": "approved", "findings": []}),
                tool_args={"verdict": "approved", "findings": []} if "tools" in body else None,
                prompt_tokens=400,
                completion_tokens=12,
            ),
        )
    user = body["messages"][-1]["content"]
    found = re.search(r'<kilde id="([^"]+)"', user)
    cited = f" [{found.group(1)}]" if found else ""
    return httpx.Response(
        200, json=completion(f"Seks måneders leie.{cited}", prompt_tokens=900, completion_tokens=60)
    )


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
        assert _chain(chat, by_id) == ["run", "case", "node", "chat"]
        assert chat.kind.name == "CLIENT"
        attributes = chat.attributes or {}
        assert attributes["gen_ai.operation.name"] == "chat"
        assert attributes["gen_ai.request.model"] == "test-model"
        assert attributes["gen_ai.system"] == attributes["gen_ai.provider.name"] == "openai"
        assert "gen_ai.input.messages" not in attributes  # opt-in only
        assert "gen_ai.output.messages" not in attributes
    drafts = [c for c in chats if _parent(c, by_id).attributes["kilab.node"] == "draft"]  # type: ignore[union-attr]
    reviews = [c for c in chats if _parent(c, by_id).attributes["kilab.node"] == "review"]  # type: ignore[union-attr]
    assert len(drafts) == len(reviews) == 2
    assert {
        (c.attributes["gen_ai.usage.input_tokens"], c.attributes["gen_ai.usage.output_tokens"])
        for c in drafts
    } == {(900, 60)}
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
    sent = json.loads(str(draft_chat.attributes["gen_ai.input.messages"]))
    assert sent[-1]["role"] == "human" and "depositum" in sent[-1]["content"]
    search = next(s for s in finished if s.name == "execute_tool search")
    assert search.attributes["kilab.search.query"] == "Hvor mye depositum kan utleier kreve?"


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
    search = next(s for s in finished if s.name == "execute_tool search")
    assert _chain(search, by_id) == ["question", "node", "execute_tool"]
