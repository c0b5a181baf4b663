"""Spans for runs, cases, nodes, tool calls and model calls, and the structlog context that goes
with them.

Every helper binds the ids logs need (run, case, node) whether or not tracing is on. With
tracing off (``KILAB_TRACES=none``) no OpenTelemetry code runs at all, so the harness pays
only for the context variables.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

from structlog.contextvars import bound_contextvars

from kilab.core.telemetry.redaction import register_secret_env

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span, Tracer

    from kilab.core.telemetry.export import CaseCollector

CASE_KEY = "kilab.case.key"  # the same name as in ``kilab.core.telemetry.export``


@dataclass(slots=True)
class _State:
    tracer: Tracer | None = None
    provider: TracerProvider | None = None
    collector: CaseCollector | None = None
    content: bool = False


_state = _State()


def tracing_enabled() -> bool:
    """Whether spans are being recorded."""
    return _state.tracer is not None


@dataclass(slots=True)
class SpanScope:
    """A span being recorded, or nothing when tracing is off.

    Attributes:
        spans: After a case span ends: its finished spans as stored dicts (else empty).
    """

    span: Span | None = None
    spans: list[dict[str, Any]] = field(default_factory=list)

    def set(self, attributes: Mapping[str, Any]) -> None:
        """Add attributes (None values are left out)."""
        if self.span is not None:
            self.span.set_attributes({k: v for k, v in attributes.items() if v is not None})

    def fail(self, description: str) -> None:
        """Mark the span as failed (nothing when ``description`` is empty)."""
        if self.span is not None and description:
            from opentelemetry.trace import Status, StatusCode

            self.span.set_status(Status(StatusCode.ERROR, description))


@contextmanager
def _span(name: str, attributes: Mapping[str, Any], kind: str = "INTERNAL") -> Iterator[SpanScope]:
    tracer = _state.tracer
    if tracer is None:
        yield SpanScope()
        return
    from opentelemetry.trace import SpanKind

    with tracer.start_as_current_span(
        name, kind=SpanKind[kind], attributes=dict(attributes)
    ) as span:
        yield SpanScope(span)


@contextmanager
def run_span(run_id: str, pilot: str, variants: list[str]) -> Iterator[SpanScope]:
    """The root span of an evaluation run; logs inside carry ``run_id``."""
    with (
        bound_contextvars(run_id=run_id),
        _span(
            f"run {pilot}",
            {"kilab.run.id": run_id, "kilab.pilot": pilot, "kilab.variants": list(variants)},
        ) as scope,
    ):
        yield scope


@contextmanager
def case_span(
    run_id: str, case_id: str, variant: str, repeat: int, key: str
) -> Iterator[SpanScope]:
    """One case × variant × repeat; on exit ``scope.spans`` holds the case's finished spans."""
    with bound_contextvars(run_id=run_id, case_id=case_id, variant=variant):
        if _state.tracer is None:
            yield SpanScope()
            return
        try:
            with _span(
                f"case {case_id}",
                {
                    CASE_KEY: key,
                    "kilab.run.id": run_id,
                    "kilab.case.id": case_id,
                    "kilab.variant": variant,
                    "kilab.repeat": repeat,
                },
            ) as scope:
                yield scope
        finally:
            if _state.collector is not None:
                scope.spans = _state.collector.take(key)


@contextmanager
def question_span(thread_id: str) -> Iterator[SpanScope]:
    """One question through a graph outside an evaluation (``kilab run``, the viewer), so
    that its node spans form one trace; inside a case it nests under the case span."""
    with (
        bound_contextvars(thread_id=thread_id),
        _span("question", {"kilab.thread_id": thread_id}) as scope,
    ):
        yield scope


@contextmanager
def node_span(node: str) -> Iterator[SpanScope]:
    """One visit of a graph node; logs inside carry ``node``."""
    with bound_contextvars(node=node), _span(f"node {node}", {"kilab.node": node}) as scope:
        yield scope


@contextmanager
def tool_span(tool: str, attributes: Mapping[str, Any] | None = None) -> Iterator[SpanScope]:
    """A tool call (``gen_ai.operation.name = execute_tool``)."""
    with _span(
        f"execute_tool {tool}",
        {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool, **(attributes or {})},
    ) as scope:
        yield scope


def content_enabled() -> bool:
    """Whether message contents go into spans (``KILAB_TRACE_CONTENT``)."""
    return _state.content and _state.tracer is not None


# -- model calls --------------------------------------------------------------------------

_PROVIDERS = {
    "openai": "openai",
    "openai-compatible": "openai",
    "azure": "azure.ai.openai",
    "local": "llama.cpp",
    "offline": "kilab.offline",
}


def _messages(messages: Any) -> str:
    return json.dumps(
        [
            {"role": getattr(m, "type", "user"), "content": getattr(m, "content", str(m))}
            for m in messages
        ],
        ensure_ascii=False,
        default=str,
    )


def _model_attributes(profile: Any, messages: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    system = _PROVIDERS.get(profile.provider, str(profile.provider))
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": system,
        "gen_ai.provider.name": system,
        "gen_ai.request.model": profile.model,
        "gen_ai.request.temperature": params.get("temperature", profile.temperature),
        "gen_ai.request.max_tokens": profile.max_tokens,
        "kilab.model.provider": profile.provider,
    }
    schema = params.get("schema")
    if schema is not None:
        attributes["gen_ai.output.type"] = "json"
        attributes["kilab.output_schema"] = getattr(schema, "__name__", str(schema))
    if content_enabled():
        attributes["gen_ai.input.messages"] = _messages(messages)
    return attributes


def _record_reply(scope: SpanScope, result: Any) -> None:
    usage = getattr(result, "usage", None)
    reply: Any = getattr(result, "text", None)
    if usage is None and isinstance(result, tuple) and len(result) == 2:
        parsed, usage = result
        reply = parsed.model_dump_json() if hasattr(parsed, "model_dump_json") else str(parsed)
    if usage is not None:
        scope.set(
            {
                "gen_ai.usage.input_tokens": usage.input_tokens,
                "gen_ai.usage.output_tokens": usage.output_tokens,
                "kilab.model.calls": usage.calls,
                "kilab.cost": usage.cost,
            }
        )
    if reply is not None and content_enabled():
        scope.set(
            {
                "gen_ai.output.messages": json.dumps(
                    [{"role": "assistant", "content": reply}], ensure_ascii=False
                )
            }
        )


F = TypeVar("F", bound=Callable[..., Any])


def traced_model_call(method: F) -> F:
    """Decorate a model client's call (``self.profile``, first argument the messages) so that
    it runs in a ``chat {model}`` span with the GenAI semantic-convention attributes, and so
    that the profile's key variable is redacted from then on."""

    def attributes(
        self: Any, messages: Any, args: tuple[Any, ...], params: dict[str, Any]
    ) -> dict[str, Any]:
        if args:
            params = {"schema": args[0], **params}
        return _model_attributes(self.profile, messages, params)

    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def acall(self: Any, messages: Any, *args: Any, **params: Any) -> Any:
            register_secret_env(self.profile.api_key_env)
            if _state.tracer is None:
                return await cast(Callable[..., Awaitable[Any]], method)(
                    self, messages, *args, **params
                )
            with _span(
                f"chat {self.profile.model}", attributes(self, messages, args, params), "CLIENT"
            ) as scope:
                result = await method(self, messages, *args, **params)
                _record_reply(scope, result)
                return result

        return cast(F, acall)

    @functools.wraps(method)
    def call(self: Any, messages: Any, *args: Any, **params: Any) -> Any:
        register_secret_env(self.profile.api_key_env)
        if _state.tracer is None:
            return method(self, messages, *args, **params)
        with _span(
            f"chat {self.profile.model}", attributes(self, messages, args, params), "CLIENT"
        ) as scope:
            result = method(self, messages, *args, **params)
            _record_reply(scope, result)
            return result

    return cast(F, call)
