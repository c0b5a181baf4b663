"""The OpenTelemetry tracer provider: exporters from settings, redaction before export, and the
case collector.

kilab keeps its own provider rather than the global one, so that tests and embedding programs
can configure it again; the spans nest through the OpenTelemetry context like any others.
"""

from __future__ import annotations

import atexit
import sys
from collections.abc import Sequence

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)

from kilab.core.errors import UserError
from kilab.core.settings import TelemetrySettings
from kilab.core.settings import settings as current_settings
from kilab.core.telemetry.export import CaseCollector, JsonlExporter, RedactingExporter
from kilab.core.telemetry.spans import _state

_registered_exit = False


def _exporter(name: str, settings: TelemetrySettings) -> SpanExporter | None:
    if name == "console":
        return ConsoleSpanExporter(out=sys.stderr)
    if name == "jsonl":
        return JsonlExporter(settings.traces_file)
    if name == "otlp":
        return _otlp(settings.otlp_protocol)
    return None  # "store": the collector alone


def _otlp(protocol: str) -> SpanExporter:
    """The OTLP exporter; it reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS, _TIMEOUT
    and _COMPRESSION itself."""
    if protocol == "grpc":
        try:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (  # type: ignore[import-not-found,unused-ignore]
                OTLPSpanExporter as GrpcExporter,
            )
        except ImportError:
            raise UserError(
                "OTEL_EXPORTER_OTLP_PROTOCOL=grpc needs the gRPC exporter: "
                "pip install opentelemetry-exporter-otlp-proto-grpc "
                "(or use http/protobuf, which kilab ships with)"
            ) from None
        exporter: SpanExporter = GrpcExporter()
        return exporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def configure_tracing(settings: TelemetrySettings, exporters: Sequence[SpanExporter] = ()) -> None:
    """Start recording spans (or stop, when ``settings.traces`` is empty and no exporters).

    Args:
        settings: Which exporters, and whether message contents go into spans.
        exporters: More exporters, fed synchronously (tests pass an in-memory exporter).
    """
    global _registered_exit
    shutdown_tracing()
    if not settings.tracing and not exporters:
        return
    from importlib.metadata import version

    provider = TracerProvider(
        resource=Resource.create(
            {
                "service.name": current_settings().service_name,
                "service.version": version("kilab"),
            }
        )
    )
    collector = CaseCollector()
    provider.add_span_processor(collector)
    for name in settings.traces:
        exporter = _exporter(name, settings)
        if exporter is not None:
            processor = SimpleSpanProcessor if name == "console" else BatchSpanProcessor
            provider.add_span_processor(processor(RedactingExporter(exporter)))
    for exporter in exporters:
        provider.add_span_processor(SimpleSpanProcessor(RedactingExporter(exporter)))
    _state.provider, _state.collector = provider, collector
    _state.content = settings.trace_content
    _state.tracer = provider.get_tracer("kilab")
    if not _registered_exit:
        atexit.register(shutdown_tracing)
        _registered_exit = True


def flush_tracing() -> None:
    """Export every span recorded so far."""
    if _state.provider is not None:
        _state.provider.force_flush()


def shutdown_tracing() -> None:
    """Flush and stop; spans are no longer recorded."""
    provider = _state.provider
    _state.tracer, _state.provider, _state.collector = None, None, None
    _state.content = False
    if provider is not None:
        provider.shutdown()
