"""Telemetry: structlog events and OpenTelemetry spans (run → case → node → tool / model call)
with the same run and case ids, and redaction of secrets and identity numbers in both.

Configure once per process with ``configure()`` (the CLI does); settings come from
``KILAB_LOG_LEVEL``, ``KILAB_LOG_FORMAT``, ``KILAB_TRACES``, ``KILAB_TRACES_FILE``,
``KILAB_TRACE_CONTENT`` and the standard ``OTEL_*`` variables (``OTEL_TRACES_EXPORTER``,
``OTEL_EXPORTER_OTLP_ENDPOINT`` …; see ``kilab.core.settings``).

Spans carry the OpenTelemetry GenAI attributes and the OpenInference ones beside them
(``kilab.core.telemetry.conventions``), so Phoenix and Langfuse show inputs, outputs,
retrieved documents and metric results; each evaluated case is a trace of its own.
"""

from __future__ import annotations

from typing import TextIO

from kilab.core.settings import TelemetrySettings, telemetry_settings
from kilab.core.telemetry.conventions import Document, Evaluation
from kilab.core.telemetry.logs import configure_logging
from kilab.core.telemetry.redaction import (
    MASK,
    redact_event,
    redact_model,
    redact_text,
    redact_value,
    register_secret_env,
)
from kilab.core.telemetry.spans import (
    SpanScope,
    case_span,
    content_enabled,
    evaluation_span,
    model_span,
    node_span,
    question_span,
    record_model_reply,
    retrieval_span,
    run_span,
    tool_span,
    traced_model_call,
    tracing_enabled,
)

__all__ = [
    "MASK",
    "Document",
    "Evaluation",
    "SpanScope",
    "TelemetrySettings",
    "case_span",
    "configure",
    "configure_logging",
    "content_enabled",
    "evaluation_span",
    "model_span",
    "node_span",
    "question_span",
    "record_model_reply",
    "redact_event",
    "redact_model",
    "redact_text",
    "redact_value",
    "register_secret_env",
    "retrieval_span",
    "run_span",
    "telemetry_settings",
    "tool_span",
    "traced_model_call",
    "tracing_enabled",
]


def configure(
    settings: TelemetrySettings | None = None, log_stream: TextIO | None = None
) -> TelemetrySettings:
    """Set up logs and traces from ``settings`` (default: from the environment).

    The OpenTelemetry SDK is imported only when tracing is on.
    """
    settings = settings or telemetry_settings()
    configure_logging(settings.log_level, settings.log_format, log_stream)
    if settings.tracing:
        from kilab.core.telemetry.traces import configure_tracing

        configure_tracing(settings)
    else:
        from kilab.core.telemetry.spans import _state

        if _state.provider is not None:
            from kilab.core.telemetry.traces import shutdown_tracing

            shutdown_tracing()
    return settings
