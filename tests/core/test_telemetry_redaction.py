"""Redaction: secrets and identity numbers never reach logs, spans or stored results."""

from __future__ import annotations

import io
import json
import logging
import random
from pathlib import Path

import httpx
import pytest
import respx
import structlog
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from kilab.agents.testing import completion
from kilab.core.telemetry import (
    MASK,
    TelemetrySettings,
    configure,
    redact_text,
    redact_value,
    register_secret_env,
)
from kilab.core.telemetry.export import span_record
from kilab.core.telemetry.traces import configure_tracing, shutdown_tracing
from kilab.evals.harness import EvalOptions, run_eval
from kilab.evals.store import SqliteRunStore
from kilab.graphs.project import load_project
from kilab.tools.checks import find_pii
from kilab.tools.checks.testdata import generate_identity_number
from tests.core.conftest import MOCK_BASE, MOCK_KEY_ENV, write_dataset

FAKE_KEY = "fake-9f8e7d6c5b4a3210fedcba98"  # no sk- shape: only the profile names it
FNR = generate_identity_number(random.Random(2026))
DNR = generate_identity_number(random.Random(7), d_number=True)


def test_the_fake_numbers_are_valid_identity_numbers() -> None:
    assert [m.kind for m in find_pii(f"a {FNR} b {DNR}")] == ["fodselsnummer", "d-nummer"]


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("Authorization: Bearer abc.def-ghi_123", "abc.def-ghi_123"),
        ("authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ('{"api-key": "3f9a0c7e5b"}', "3f9a0c7e5b"),
        ("x-api-key=zz99yy88xx77", "zz99yy88xx77"),
        ("key sk-proj-AbCdEf0123456789 in a message", "AbCdEf0123456789"),
        (f"fnr {FNR} and D-nummer {DNR[:6]} {DNR[6:]}", FNR),
        (f"D-nummer {DNR[:6]} {DNR[6:]}", DNR[6:]),
    ],
)
def test_patterns_are_masked(text: str, hidden: str) -> None:
    assert hidden not in redact_text(text)


def test_ordinary_text_and_random_numbers_stay() -> None:
    text = "Husleieloven § 3-5: depositum opptil seks måneders leie, sak 12345678901."
    assert redact_text(text) == text  # 12345678901 has no valid check digits


def test_env_secrets_by_name_and_by_registration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_SERVICE_TOKEN", "tok-aaaabbbbcccc")
    monkeypatch.setenv("KILAB_PLAIN_SETTING", "plain-value-1")
    assert redact_text("tok-aaaabbbbcccc plain-value-1") == f"{MASK} plain-value-1"
    register_secret_env("KILAB_PLAIN_SETTING")
    assert redact_text("plain-value-1") == MASK


def test_mapping_fields_that_name_credentials_are_masked_whole() -> None:
    cleaned = redact_value(
        {"headers": {"Authorization": "Basic x", "accept": "json"}, "items": [f"nr {FNR}"]}
    )
    assert cleaned == {
        "headers": {"Authorization": MASK, "accept": "json"},
        "items": ["nr [fodselsnummer]"],
    }


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from kilab.core.errors import UserError
    from kilab.core.telemetry import telemetry_settings

    monkeypatch.setenv("KILAB_TRACES", "otlp, jsonl")
    monkeypatch.setenv("KILAB_LOG_FORMAT", "JSON")
    monkeypatch.setenv("KILAB_TRACES_FILE", "/tmp/x.jsonl")
    settings = telemetry_settings()
    assert settings.traces == ("otlp", "jsonl") and settings.log_format == "json"
    assert settings.traces_file == Path("/tmp/x.jsonl") and not settings.trace_content
    monkeypatch.setenv("KILAB_TRACES", "none")
    assert not telemetry_settings().tracing
    monkeypatch.setenv("KILAB_TRACES", "otpl")
    with pytest.raises(UserError, match="did you mean 'otlp'"):
        telemetry_settings()


def test_console_format_is_readable_and_json_format_parses() -> None:
    stream = io.StringIO()
    configure(TelemetrySettings(log_level="info", log_format="console"), log_stream=stream)
    structlog.get_logger("t").info("hello", case_id="c1")
    assert "hello" in stream.getvalue() and "case_id" in stream.getvalue()
    assert not stream.getvalue().lstrip().startswith("{")
    stream = io.StringIO()
    configure(TelemetrySettings(log_level="warning", log_format="auto"), log_stream=stream)
    structlog.get_logger("t").info("dropped")
    structlog.get_logger("t").warning("kept", n=1)
    (line,) = stream.getvalue().splitlines()  # not a terminal: JSON, below warning dropped
    assert json.loads(line)["event"] == "kept" and json.loads(line)["level"] == "warning"


def test_a_run_leaks_neither_key_nor_identity_number(
    mocked_configs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MOCK_KEY_ENV, FAKE_KEY)
    question = f"Jeg har fødselsnummer {FNR}. Hvor mye depositum kan utleier kreve?"
    dataset = write_dataset(tmp_path / "d.jsonl", 1, [{"id": "pii-001", "question": question}])
    logs = io.StringIO()
    traces_file = tmp_path / "traces.jsonl"
    configure(TelemetrySettings(log_level="debug", log_format="json"), log_stream=logs)
    memory = InMemorySpanExporter()
    configure_tracing(
        TelemetrySettings(traces=("jsonl",), traces_file=traces_file, trace_content=True), [memory]
    )
    wire = structlog.get_logger("wire")
    seen: list[str] = []

    def reply(request: httpx.Request) -> httpx.Response:
        text = request.content.decode()
        seen.append(request.headers["authorization"] + text)
        # A careless debug log of the whole request: headers (the key) and body (the question).
        wire.debug("http_request", headers=dict(request.headers), body=text)
        logging.getLogger("some.library").debug("sent %s", request.headers["authorization"])
        try:
            raise ValueError(f"rejected key {FAKE_KEY} for {FNR}")
        except ValueError:
            wire.exception("request_failed")
        body = json.loads(text)
        if "response_format" in body or "tools" in body:
            verdict = {"verdict": "approved", "findings": []}
            return httpx.Response(
                200,
                json=completion(
                    json.dumps(verdict), tool_args=verdict if "tools" in body else None
                ),
            )
        # A reply that repeats the identity number and the key back.
        return httpx.Response(
            200,
            json=completion(
                f"Du skrev {FNR}; nøkkelen er {FAKE_KEY}. Depositum: seks måneders leie."
            ),
        )

    project = load_project([mocked_configs], root=mocked_configs)
    store = SqliteRunStore(tmp_path / "store" / "runs.sqlite")
    options = EvalOptions(
        variants=["bm25"], dataset=dataset, cache_dir=tmp_path / "cache", use_cache=False
    )
    with respx.mock() as mock:
        mock.post(f"{MOCK_BASE}/chat/completions").mock(side_effect=reply)
        report = run_eval(project, "husleie", store, options)
    shutdown_tracing()
    results = store.results(report.run.id)
    store.close()

    assert any(FAKE_KEY in s and FNR in s for s in seen)  # both really went through
    assert all(not r.error for r in results), [r.error for r in results]
    surfaces = {
        "logs": logs.getvalue(),
        "exported spans": json.dumps(
            [span_record(s) for s in memory.get_finished_spans()], ensure_ascii=False
        ),
        "jsonl traces": traces_file.read_text(encoding="utf-8"),
        "stored results": json.dumps(
            [r.model_dump(mode="json") for r in results], ensure_ascii=False
        ),
        "store files": "".join(
            p.read_bytes().decode("utf-8", "replace") for p in (tmp_path / "store").iterdir()
        ),
    }
    for name, text in surfaces.items():
        assert text, name
        assert FAKE_KEY not in text, f"the key leaked into {name}"
        assert FNR not in text, f"the identity number leaked into {name}"
        assert FNR[6:] not in text or FNR[:6] not in text, name

    # and the masks show where they were
    pii = next(r for r in results if r.case_id == "pii-001")
    assert pii.case.question.startswith("Jeg har fødselsnummer [fodselsnummer].")
    events = [json.loads(line) for line in logs.getvalue().splitlines()]
    requests = [e for e in events if e["event"] == "http_request"]
    assert requests and all(e["headers"]["authorization"] == MASK for e in requests)
    library = [e for e in events if e.get("logger") == "some.library"]
    assert library and all(e["event"] == f"sent Bearer {MASK}" for e in library)
    failures = [e for e in events if e["event"] == "request_failed"]
    assert failures and all("rejected key ***" in e["exception"] for e in failures)
    # every event is bound to its run, case and node
    assert {(e["run_id"], e["node"]) for e in requests} == {
        (report.run.id, "draft"),
        (report.run.id, "review"),
    }
    assert {e["case_id"] for e in requests} == {"husleie-001", "pii-001"}
    chats = [s for s in memory.get_finished_spans() if s.name.startswith("chat ")]
    assert any("[fodselsnummer]" in str(s.attributes.get("gen_ai.input.messages")) for s in chats)
    assert any(MASK in str(s.attributes.get("gen_ai.output.messages")) for s in chats)


def test_identifier_fields_are_never_masked() -> None:
    from kilab.core.pii import find_pii
    from kilab.core.telemetry import redact_value
    from kilab.tools.checks.testdata import generate_identity_number

    number = generate_identity_number(random.Random(7))
    # Digits inside a hash are not a number someone wrote ...
    assert not find_pii(f"8f3e2147ad{number}c8ddad")
    # ... and ids are never masked, or a stored result's key would stop matching its case.
    record = {"key": number, "case_id": number, "answer": f"fødselsnummer {number}"}
    cleaned = redact_value(record, secrets=[])
    assert cleaned["key"] == number and cleaned["case_id"] == number
    assert number not in cleaned["answer"]


def test_a_model_is_redacted_in_its_nested_fields_and_kept_when_clean() -> None:
    from kilab.core.telemetry import redact_model
    from kilab.evals.datasets import Case
    from kilab.evals.records import CaseOutput, CaseResult, FindingRecord
    from kilab.tools.retrieval.types import passage

    def result(answer: str, sentence: str, key: str = "k1") -> CaseResult:
        output = CaseOutput(
            answer=answer,
            findings=[FindingRecord(check="pii", sentence=sentence)],
            passages=[passage("p1", sentence)],
        )
        case = Case(id="c1", question="Hva gjelder?")
        return CaseResult(run_id="r1", key=key, case=case, variant="v", repeat=0, output=output)

    clean = result("Seks måneder.", "Leien er 9000 kroner.")
    assert redact_model(clean) is clean  # nothing to mask: no copy at all

    dirty = result(f"Fødselsnummer {FNR}.", f"Kontakt {DNR}.", key=FNR)
    cleaned = redact_model(dirty)
    assert FNR not in cleaned.output.answer
    assert DNR not in cleaned.output.findings[0].sentence
    assert DNR not in cleaned.output.passages[0]["text"]
    assert cleaned.key == FNR  # an identifier field is never masked
    assert cleaned.case is dirty.case  # the unchanged parts are shared, not copied
    assert FNR in dirty.output.answer  # the original is left alone


def test_values_are_redacted_inside_named_tuples_and_kept_when_clean() -> None:
    from typing import NamedTuple

    from kilab.core.telemetry import redact_value

    class Pair(NamedTuple):
        label: str
        text: str

    cleaned = redact_value([Pair("svar", f"nr {FNR}")], secrets=[])
    assert isinstance(cleaned[0], Pair) and FNR not in cleaned[0].text
    clean = {"items": [Pair("svar", "ingen personopplysninger")]}
    assert redact_value(clean, secrets=[]) is clean
