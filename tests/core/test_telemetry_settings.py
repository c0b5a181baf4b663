"""The standard OpenTelemetry variables decide tracing when kilab's own are unset."""

from __future__ import annotations

import pytest

from kilab.core.errors import UserError
from kilab.core.settings import telemetry_settings


def test_an_otlp_endpoint_alone_turns_on_otlp_export() -> None:
    assert telemetry_settings({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:6006"}).traces == (
        "otlp",
    )
    traces_only = {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:6006/v1/traces"}
    assert telemetry_settings(traces_only).traces == ("otlp",)
    assert telemetry_settings({}).traces == ()


def test_otel_traces_exporter_is_honoured_and_checked() -> None:
    env = {"OTEL_TRACES_EXPORTER": "console,otlp"}
    assert telemetry_settings(env).traces == ("console", "otlp")
    endpoint = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:6006"}
    assert telemetry_settings({**endpoint, "OTEL_TRACES_EXPORTER": "none"}).traces == ()
    with pytest.raises(UserError, match="OTEL_TRACES_EXPORTER='zipkin' is not one of"):
        telemetry_settings({"OTEL_TRACES_EXPORTER": "zipkin"})


def test_kilab_traces_wins_and_the_sdk_switch_turns_everything_off() -> None:
    endpoint = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:6006"}
    assert telemetry_settings({**endpoint, "KILAB_TRACES": "jsonl"}).traces == ("jsonl",)
    assert telemetry_settings({**endpoint, "KILAB_TRACES": "none"}).traces == ()
    off = {**endpoint, "KILAB_TRACES": "otlp", "OTEL_SDK_DISABLED": "true"}
    assert telemetry_settings(off).traces == ()


def test_message_content_follows_the_genai_capture_variable() -> None:
    genai = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
    assert telemetry_settings({genai: "true"}).trace_content
    assert not telemetry_settings({genai: "false"}).trace_content
    assert not telemetry_settings({genai: "true", "KILAB_TRACE_CONTENT": "0"}).trace_content


def test_the_otlp_protocol_is_checked() -> None:
    assert telemetry_settings({}).otlp_protocol == "http/protobuf"
    env = {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"}
    assert telemetry_settings(env).otlp_protocol == "grpc"
    with pytest.raises(UserError, match="OTEL_EXPORTER_OTLP_PROTOCOL='http/json'"):
        telemetry_settings({"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"})
