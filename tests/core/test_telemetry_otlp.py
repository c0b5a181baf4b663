"""OTLP over HTTP: a run's spans arrive at a real receiver on 127.0.0.1, one trace per case."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from kilab.core.telemetry import TelemetrySettings
from kilab.core.telemetry.traces import configure_tracing, shutdown_tracing
from kilab.evals.harness import EvalOptions, run_eval
from kilab.evals.store import MemoryRunStore, SqliteRunStore
from kilab.graphs.project import load_project
from tests.core.conftest import ROOT, eval_exporting_to, write_dataset


class Receiver(ThreadingHTTPServer):
    """Accepts ``POST /v1/traces`` and keeps every decoded span."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.spans: list[dict[str, object]] = []
        self.paths: list[str] = []
        self.services: set[str] = set()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def _value(value: AnyValue) -> object:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    return getattr(value, kind) if kind else None


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        request = ExportTraceServiceRequest.FromString(body)
        self.server.paths.append(self.path)
        for resource_spans in request.resource_spans:
            for attribute in resource_spans.resource.attributes:
                if attribute.key == "service.name":
                    self.server.services.add(attribute.value.string_value)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.server.spans.append(
                        {
                            "name": span.name,
                            "id": span.span_id.hex(),
                            "parent": span.parent_span_id.hex(),
                            "trace": span.trace_id.hex(),
                            "links": [link.span_id.hex() for link in span.links],
                            "attributes": {a.key: _value(a.value) for a in span.attributes},
                        }
                    )
        reply = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_run_exported_over_otlp_arrives_as_one_trace_per_case(
    receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
    monkeypatch.setenv("OTEL_SERVICE_NAME", "kilab-otlp-test")
    configure_tracing(TelemetrySettings(traces=("otlp",)))
    project = load_project([ROOT / "configs"], root=ROOT / "configs")
    options = EvalOptions(
        variants=["bm25"],
        dataset=write_dataset(tmp_path / "d.jsonl", 2),
        cache_dir=tmp_path / "cache",
    )
    report = run_eval(project, "husleie", MemoryRunStore(), options)
    shutdown_tracing()  # flushes the batch processor

    assert set(receiver.paths) == {"/v1/traces"}
    assert receiver.services == {"kilab-otlp-test"}
    spans = receiver.spans
    by_id = {s["id"]: s for s in spans}
    # run; per case: case, 3 nodes, retrieval, evaluate
    assert len(by_id) == len(spans) == 1 + 2 * (1 + 3 + 1 + 1)
    assert len({s["trace"] for s in spans}) == 3  # the run's, and one per case
    roots = [s for s in spans if s["parent"] == ""]
    (root,) = [s for s in roots if s["name"] == "run husleie"]
    assert root["attributes"]["kilab.run.id"] == report.run.id

    def children(span: dict[str, object]) -> list[dict[str, object]]:
        return [s for s in spans if s["parent"] == span["id"]]

    assert children(root) == []
    cases = [s for s in roots if s is not root]
    assert all(c["links"] == [root["id"]] for c in cases)
    assert {c["attributes"]["session.id"] for c in cases} == {report.run.id}  # type: ignore[index]
    for case in cases:
        trace = {s["id"] for s in spans if s["trace"] == case["trace"]}
        assert len(trace) == 6
    assert sorted(c["attributes"]["kilab.case.id"] for c in cases) == [  # type: ignore[index]
        "husleie-001",
        "husleie-002",
    ]
    for case in cases:
        nodes = children(case)
        assert sorted(str(n["name"]) for n in nodes) == [
            "evaluate",
            "node draft",
            "node retrieve",
            "node review",
        ]
        retrieve = next(n for n in nodes if n["name"] == "node retrieve")
        (search,) = children(retrieve)
        assert search["name"] == "retrieval eiendomslover"
        assert search["attributes"]["openinference.span.kind"] == "RETRIEVER"  # type: ignore[index]
        assert search["attributes"]["kilab.search.hits"] == 5  # type: ignore[index]
        assert len(search["attributes"]["kilab.search.ids"]) == 5  # type: ignore[index, arg-type]


@pytest.mark.integration
def test_kilab_eval_exports_over_otlp_with_only_the_standard_endpoint_variable(
    receiver: Receiver, tmp_path: Path
) -> None:
    dataset = write_dataset(tmp_path / "d.jsonl", 2)
    pilot = ROOT / "configs" / "pilots" / "husleie.yaml"
    env = {"KILAB_LOG_FORMAT": "json"}
    done = eval_exporting_to(receiver.endpoint, pilot, dataset, tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    names = sorted(str(s["name"]) for s in receiver.spans)
    assert names == sorted(
        ["run husleie", "case husleie-001", "case husleie-002"]
        + 2 * ["node retrieve", "node draft", "node review", "retrieval eiendomslover", "evaluate"]
    )
    assert len({s["trace"] for s in receiver.spans}) == 3
    store = SqliteRunStore(tmp_path / "runs.sqlite")
    try:
        (run,) = store.list_runs("husleie")
        stored = store.results(run.id)
    finally:
        store.close()
    exported = {s["id"] for s in receiver.spans}
    assert all(len(r.spans) == 6 for r in stored)
    assert all(s["span_id"] in exported for r in stored for s in r.spans)
