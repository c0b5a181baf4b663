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
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

from structlog.contextvars import bind_contextvars, reset_contextvars

from kilab.core.telemetry.redaction import register_secret_env

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span, Tracer

    from kilab.core.telemetry.conventions import Document, Evaluation
    from kilab.core.telemetry.export import CaseCollector

CASE_KEY = "kilab.case.key"  # the same name as in ``kilab.core.telemetry.export``


@dataclass(slots=True)
class _State:
    tracer: Tracer | None = None
    provider: TracerProvider | None = None
    collector: CaseCollector | None = None
    content: bool = False


_state = _State()


@contextmanager
def bound_contextvars(**values: Any) -> Iterator[None]:
    """Bind log context for a block and restore what was there before.

    structlog's own ``bound_contextvars`` copies the whole context on entry to learn what to
    restore; resetting the tokens ``bind_contextvars`` returns does the same at about half the
    cost, paid on every case and node whether or not anything is traced.
    """
    tokens = bind_contextvars(**values)
    try:
        yield
    finally:
        reset_contextvars(**tokens)


def tracing_enabled() -> bool:
    """Whether spans are being recorded."""
    return _state.tracer is not None


@dataclass(slots=True)
class SpanScope:
    """A span being recorded, or nothing when tracing is off.

    Every method is a no-op when tracing is off, and the content methods (``set_io``,
    ``set_documents``' texts) also when message contents are not wanted in spans.

    Attributes:
        spans: After a case span ends: its finished spans as stored dicts (else empty).
    """

    span: Span | None = None
    spans: list[dict[str, Any]] = field(default_factory=list)

    @property
    def recording(self) -> bool:
        """Whether anything set on this scope is kept (build costly attributes only then)."""
        return self.span is not None

    def set(self, attributes: Mapping[str, Any]) -> None:
        """Add attributes (None values are left out)."""
        if self.span is not None:
            self.span.set_attributes({k: v for k, v in attributes.items() if v is not None})

    def set_io(self, input: Any = None, output: Any = None) -> None:
        """OpenInference ``input.value``/``output.value`` (text, or a mapping as JSON), only
        when contents go into spans."""
        if self.span is None or not _state.content:
            return
        from kilab.core.telemetry import conventions as c

        for value, key, mime in (
            (input, c.INPUT_VALUE, c.INPUT_MIME_TYPE),
            (output, c.OUTPUT_VALUE, c.OUTPUT_MIME_TYPE),
        ):
            if value is None:
                continue
            if isinstance(value, str):
                self.span.set_attribute(key, value)
            else:
                self.span.set_attributes({key: c.dumps(value), mime: c.JSON_MIME})

    def set_documents(self, documents: Sequence[Document]) -> None:
        """Retrieved documents (ids and scores always, texts only with contents on)."""
        if self.span is not None:
            from kilab.core.telemetry.conventions import document_attributes

            self.span.set_attributes(document_attributes(documents, _state.content))

    def set_evaluations(self, evaluations: Sequence[Evaluation]) -> None:
        """Metric results: OpenInference ``evaluations.N.*`` attributes and one GenAI
        ``gen_ai.evaluation.result`` event each."""
        if self.span is None:
            return
        from kilab.core.telemetry import conventions as c

        self.span.set_attributes(c.evaluation_attributes(evaluations))
        for evaluation in evaluations:
            self.span.add_event(c.GEN_AI_EVALUATION_EVENT, c.evaluation_event(evaluation))

    def fail(self, description: str) -> None:
        """Mark the span as failed (nothing when ``description`` is empty)."""
        if self.span is not None and description:
            from opentelemetry.trace import Status, StatusCode

            self.span.set_status(Status(StatusCode.ERROR, description))


@contextmanager
def _span(
    name: str,
    attributes: Mapping[str, Any],
    kind: str = "INTERNAL",
    *,
    root: bool = False,
) -> Iterator[SpanScope]:
    tracer = _state.tracer
    if tracer is None:
        yield SpanScope()
        return
    from opentelemetry import trace
    from opentelemetry.context import Context

    links: list[trace.Link] = []
    context = None
    if root:  # a new trace, linked to the span that was current (a case to its run)
        current = trace.get_current_span().get_span_context()
        links = [trace.Link(current)] if current.is_valid else []
        context = Context()
    with tracer.start_as_current_span(
        name,
        context=context,
        kind=trace.SpanKind[kind],
        attributes=dict(attributes),
        links=links,
    ) as span:
        yield SpanScope(span)


@contextmanager
def run_span(run_id: str, pilot: str, variants: list[str]) -> Iterator[SpanScope]:
    """The span of an evaluation run (its own short trace; each case is a trace of its own,
    linked to it by ``session.id`` and a span link); logs inside carry ``run_id``."""
    with (
        bound_contextvars(run_id=run_id),
        _span(
            f"run {pilot}",
            {
                "kilab.run.id": run_id,
                "kilab.pilot": pilot,
                "kilab.variants": list(variants),
                "session.id": run_id,
                "openinference.span.kind": "CHAIN",
            },
        ) as scope,
    ):
        yield scope


@contextmanager
def case_span(
    run_id: str, case_id: str, variant: str, repeat: int, key: str
) -> Iterator[SpanScope]:
    """One case × variant × repeat as the root of its own trace, in the run's session and
    linked to the run span; on exit ``scope.spans`` holds the case's finished spans."""
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
                    "session.id": run_id,
                    "openinference.span.kind": "CHAIN",
                    "metadata": json.dumps({"variant": variant, "repeat": repeat}),
                },
                root=True,
            ) as scope:
                yield scope
        finally:
            if _state.collector is not None:
                scope.spans = _state.collector.take(key)


@contextmanager
def question_span(thread_id: str, question: str | None = None) -> Iterator[SpanScope]:
    """One question through a graph outside an evaluation (``kilab run``, the viewer), so
    that its node spans form one trace (in the thread's session); inside a case it nests
    under the case span."""
    with (
        bound_contextvars(thread_id=thread_id),
        _span(
            "question",
            {
                "kilab.thread_id": thread_id,
                "session.id": thread_id,
                "openinference.span.kind": "CHAIN",
            },
        ) as scope,
    ):
        scope.set_io(input=question)
        yield scope


@contextmanager
def node_span(node: str) -> Iterator[SpanScope]:
    """One visit of a graph node; logs inside carry ``node``."""
    with bound_contextvars(node=node):
        if _state.tracer is None:  # every node of every case: build nothing nobody exports
            yield SpanScope()
            return
        with _span(
            f"node {node}",
            {"kilab.node": node, "graph.node.id": node, "openinference.span.kind": "CHAIN"},
        ) as scope:
            yield scope


@contextmanager
def tool_span(tool: str, attributes: Mapping[str, Any] | None = None) -> Iterator[SpanScope]:
    """A tool call (``gen_ai.operation.name = execute_tool``, OpenInference TOOL)."""
    if _state.tracer is None:
        yield SpanScope()
        return
    with _span(
        f"execute_tool {tool}",
        {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": tool,
            "tool.name": tool,
            "openinference.span.kind": "TOOL",
            **(attributes or {}),
        },
    ) as scope:
        yield scope


@contextmanager
def retrieval_span(
    source: str, query: str, attributes: Mapping[str, Any] | None = None
) -> Iterator[SpanScope]:
    """A search of a corpus (``gen_ai.operation.name = retrieval``, OpenInference RETRIEVER);
    the caller adds what it found with ``scope.set_documents``."""
    if _state.tracer is None:
        yield SpanScope()
        return
    with _span(
        f"retrieval {source}",
        {
            "gen_ai.operation.name": "retrieval",
            "gen_ai.data_source.id": source,
            "openinference.span.kind": "RETRIEVER",
            **(attributes or {}),
        },
    ) as scope:
        if _state.content:
            scope.set({"gen_ai.retrieval.query.text": query})
            scope.set_io(input=query)
        yield scope


@contextmanager
def evaluation_span(name: str) -> Iterator[SpanScope]:
    """Scoring of a case's output (OpenInference EVALUATOR); a judge's calls nest inside."""
    with _span(name, {"openinference.span.kind": "EVALUATOR"}) as scope:
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


def _model_attributes(profile: Any, messages: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    provider = _PROVIDERS.get(profile.provider, str(profile.provider))
    temperature = params.get("temperature", profile.temperature)
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": provider,
        "gen_ai.request.model": profile.model,
        "gen_ai.request.temperature": temperature,
        "gen_ai.request.max_tokens": profile.max_tokens,
        "kilab.model.provider": profile.provider,
        "openinference.span.kind": "LLM",
        "llm.model_name": profile.model,
        "llm.provider": provider,
        "llm.system": provider,
        "llm.invocation_parameters": json.dumps(
            {"temperature": temperature, "max_tokens": profile.max_tokens}
        ),
    }
    schema = params.get("schema")
    if schema is not None:
        attributes["gen_ai.output.type"] = "json"
        attributes["kilab.output_schema"] = getattr(schema, "__name__", str(schema))
    if content_enabled():
        from kilab.core.telemetry.conventions import input_message_attributes

        attributes.update(input_message_attributes(messages))
    return attributes


def _usage_attributes(input_tokens: int, output_tokens: int) -> dict[str, Any]:
    return {
        "gen_ai.usage.input_tokens": input_tokens,
        "gen_ai.usage.output_tokens": output_tokens,
        "llm.token_count.prompt": input_tokens,
        "llm.token_count.completion": output_tokens,
        "llm.token_count.total": input_tokens + output_tokens,
    }


def _record_reply(scope: SpanScope, result: Any) -> None:
    usage = getattr(result, "usage", None)
    reply: Any = getattr(result, "text", None)
    if usage is None and isinstance(result, tuple) and len(result) == 2:
        parsed, usage = result
        reply = parsed.model_dump_json() if hasattr(parsed, "model_dump_json") else str(parsed)
    if usage is not None:
        scope.set(
            {
                **_usage_attributes(usage.input_tokens, usage.output_tokens),
                "kilab.model.calls": usage.calls,
                "kilab.cost": usage.cost,
            }
        )
    if reply is not None and content_enabled():
        from kilab.core.telemetry.conventions import output_message_attributes

        scope.set(output_message_attributes(reply))


@contextmanager
def model_span(profile: Any, messages: Any) -> Iterator[SpanScope]:
    """A model call made outside a ``ModelClient`` (an agent's tool-calling turn); record the
    reply with ``record_model_reply``."""
    with _span(
        f"chat {profile.model}", _model_attributes(profile, messages, {}), "CLIENT"
    ) as scope:
        yield scope


def record_model_reply(scope: SpanScope, reply: Any, cost: float | None = None) -> None:
    """Usage (from LangChain's ``usage_metadata``) and, with contents on, the reply message."""
    if not scope.recording:
        return
    usage = getattr(reply, "usage_metadata", None) or {}
    scope.set(
        {
            **_usage_attributes(usage.get("input_tokens", 0), usage.get("output_tokens", 0)),
            "kilab.cost": cost,
        }
    )
    if content_enabled():
        from kilab.core.telemetry.conventions import output_message_attributes

        finish = "tool_calls" if getattr(reply, "tool_calls", None) else "stop"
        scope.set(output_message_attributes(reply, finish))


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
