"""Span exporters and processors: redaction before export, a JSONL file, and the collector that
keeps each case's spans for the run store."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from kilab.core.telemetry.redaction import redact_value, secret_values

CASE_KEY = "kilab.case.key"


def redacted(span: ReadableSpan, secrets: list[str] | None = None) -> ReadableSpan:
    """A copy of a finished span with secrets and identity numbers masked in its attributes,
    its events' attributes and its status message."""
    secrets = secret_values() if secrets is None else secrets
    attributes = redact_value(dict(span.attributes or {}), secrets)
    events = [
        type(event)(
            event.name, redact_value(dict(event.attributes or {}), secrets), event.timestamp
        )
        for event in span.events
    ]
    status = span.status
    if status.description:
        status = type(status)(status.status_code, redact_value(status.description, secrets))
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=attributes,
        events=events,
        links=span.links,
        kind=span.kind,
        status=status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class RedactingExporter(SpanExporter):
    """Hands redacted copies of the spans to another exporter."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        secrets = secret_values()
        return self.inner.export([redacted(s, secrets) for s in spans])

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


def _plain(attributes: Any) -> dict[str, Any]:
    """Attributes as JSON has them: sequences (tuples in the SDK) as lists."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in (attributes or {}).items()}


def span_record(span: ReadableSpan) -> dict[str, Any]:
    """A finished span as a small JSON-ready dict (as stored with a case result)."""
    context = span.context
    start, end = span.start_time or 0, span.end_time or 0
    return {
        "name": span.name,
        "trace_id": f"{context.trace_id:032x}" if context else "",
        "span_id": f"{context.span_id:016x}" if context else "",
        "parent_id": f"{span.parent.span_id:016x}" if span.parent else "",
        "kind": span.kind.name.lower(),
        "start_ns": start,
        "duration_ms": round((end - start) / 1e6, 3),
        "status": span.status.status_code.name.lower(),
        "status_message": span.status.description or "",
        "attributes": _plain(span.attributes),
        "events": [
            {"name": e.name, "time_ns": e.timestamp, "attributes": _plain(e.attributes)}
            for e in span.events
        ],
    }


class JsonlExporter(SpanExporter):
    """Appends one JSON line per span to a file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = "".join(
            json.dumps(span_record(s), ensure_ascii=False, default=str) + "\n" for s in spans
        )
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(lines)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


class CaseCollector(SpanProcessor):
    """Keeps the finished spans of each case, redacted, until the harness takes them.

    A span belongs to a case when it carries ``kilab.case.key`` or its parent belongs to
    one; spans of no case (the run span, a lone question) are not kept.
    """

    def __init__(self) -> None:
        self._owner: dict[int, str] = {}
        self._spans: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        key = (span.attributes or {}).get(CASE_KEY)
        with self._lock:
            if not isinstance(key, str) and span.parent is not None:
                key = self._owner.get(span.parent.span_id)
            if isinstance(key, str):
                self._owner[span.context.span_id] = key

    def on_end(self, span: ReadableSpan) -> None:
        if span.context is None:
            return
        with self._lock:
            key = self._owner.pop(span.context.span_id, None)
        if key is not None:
            record = span_record(redacted(span))
            with self._lock:
                self._spans.setdefault(key, []).append(record)

    def take(self, key: str) -> list[dict[str, Any]]:
        """The case's finished spans in start order, forgotten here once taken."""
        with self._lock:
            spans = self._spans.pop(key, [])
        return sorted(spans, key=lambda s: s["start_ns"])

    def shutdown(self) -> None:
        with self._lock:
            self._owner.clear()
            self._spans.clear()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
