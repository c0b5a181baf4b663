"""The attributes trace viewers read, in two conventions side by side.

- OpenTelemetry GenAI semantic conventions (``gen_ai.*``), in their current shape: messages as
  ``{"role": "user", "parts": [{"type": "text", "content": …}]}``, system prompts apart in
  ``gen_ai.system_instructions``, evaluation results as ``gen_ai.evaluation.result`` events.
- OpenInference (``openinference.span.kind``, ``input.value``, ``llm.input_messages.N…``,
  ``retrieval.documents.N…``), which Arize Phoenix needs to show a span as LLM, RETRIEVER …
  with its input and output; Langfuse reads both.

Names come from the ``openinference-semantic-conventions`` package; the GenAI names are plain
strings because the OpenTelemetry package keeps them in a private, deprecated module.
Everything here is called only while a span is being recorded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openinference.semconv.trace import (
    DocumentAttributes,
    EvaluationAttributes,
    MessageAttributes,
    OpenInferenceMimeTypeValues,
    OpenInferenceSpanKindValues,
    SpanAttributes,
    ToolAttributes,
    ToolCallAttributes,
)

SPAN_KIND = SpanAttributes.OPENINFERENCE_SPAN_KIND
CHAIN = OpenInferenceSpanKindValues.CHAIN.value
RETRIEVER = OpenInferenceSpanKindValues.RETRIEVER.value
LLM = OpenInferenceSpanKindValues.LLM.value
TOOL = OpenInferenceSpanKindValues.TOOL.value
EVALUATOR = OpenInferenceSpanKindValues.EVALUATOR.value
AGENT = OpenInferenceSpanKindValues.AGENT.value

SESSION_ID = SpanAttributes.SESSION_ID
INPUT_VALUE = SpanAttributes.INPUT_VALUE
INPUT_MIME_TYPE = SpanAttributes.INPUT_MIME_TYPE
OUTPUT_VALUE = SpanAttributes.OUTPUT_VALUE
OUTPUT_MIME_TYPE = SpanAttributes.OUTPUT_MIME_TYPE
JSON_MIME = OpenInferenceMimeTypeValues.JSON.value
GRAPH_NODE_ID = SpanAttributes.GRAPH_NODE_ID
TOOL_NAME = ToolAttributes.TOOL_NAME

# OpenTelemetry GenAI names (semantic-conventions-genai).
GEN_AI_OPERATION = "gen_ai.operation.name"
GEN_AI_PROVIDER = "gen_ai.provider.name"
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages"
GEN_AI_SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
GEN_AI_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GEN_AI_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
GEN_AI_DATA_SOURCE = "gen_ai.data_source.id"
GEN_AI_RETRIEVAL_DOCUMENTS = "gen_ai.retrieval.documents"
GEN_AI_RETRIEVAL_QUERY = "gen_ai.retrieval.query.text"
GEN_AI_TOOL_NAME = "gen_ai.tool.name"
GEN_AI_TOOL_ARGUMENTS = "gen_ai.tool.call.arguments"
GEN_AI_TOOL_RESULT = "gen_ai.tool.call.result"
GEN_AI_EVALUATION_EVENT = "gen_ai.evaluation.result"

# LangChain message types as the GenAI conventions name the roles.
_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _text(content: Any) -> str:
    return content if isinstance(content, str) else dumps(content)


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message in the GenAI shape (role and parts), whatever type it came as."""

    role: str
    parts: list[dict[str, Any]]

    @property
    def text(self) -> str:
        return "\n".join(str(p["content"]) for p in self.parts if p["type"] == "text")

    def genai(self) -> dict[str, Any]:
        return {"role": self.role, "parts": self.parts}


def message(value: Any) -> Message:
    """A LangChain message (or anything with ``type`` and ``content``) as a ``Message``."""
    role = _ROLES.get(getattr(value, "type", "human"), str(getattr(value, "type", "user")))
    content = getattr(value, "content", value)
    parts: list[dict[str, Any]] = []
    if role == "tool":
        parts.append(
            {
                "type": "tool_call_response",
                "id": getattr(value, "tool_call_id", ""),
                "response": _text(content),
            }
        )
    elif content:
        parts.append({"type": "text", "content": _text(content)})
    for call in getattr(value, "tool_calls", None) or []:
        parts.append(
            {
                "type": "tool_call",
                "id": call.get("id") or "",
                "name": call.get("name", ""),
                "arguments": call.get("args", {}),
            }
        )
    return Message(role, parts)


def _openinference_messages(prefix: str, messages: Sequence[Message]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, m in enumerate(messages):
        at = f"{prefix}.{i}."
        out[at + MessageAttributes.MESSAGE_ROLE] = m.role
        if m.text:
            out[at + MessageAttributes.MESSAGE_CONTENT] = m.text
        calls = [p for p in m.parts if p["type"] == "tool_call"]
        for j, call in enumerate(calls):
            call_at = f"{at}{MessageAttributes.MESSAGE_TOOL_CALLS}.{j}."
            out[call_at + ToolCallAttributes.TOOL_CALL_ID] = call["id"]
            out[call_at + ToolCallAttributes.TOOL_CALL_FUNCTION_NAME] = call["name"]
            out[call_at + ToolCallAttributes.TOOL_CALL_FUNCTION_ARGUMENTS_JSON] = dumps(
                call["arguments"]
            )
        for p in m.parts:
            if p["type"] == "tool_call_response":
                out[at + MessageAttributes.MESSAGE_TOOL_CALL_ID] = p["id"]
                out[at + MessageAttributes.MESSAGE_CONTENT] = p["response"]
    return out


def input_message_attributes(messages: Iterable[Any]) -> dict[str, Any]:
    """A model call's input: GenAI messages (system prompts apart) and OpenInference ones."""
    shaped = [message(m) for m in messages]
    system = [p for m in shaped if m.role == "system" for p in m.parts]
    chat = [m for m in shaped if m.role != "system"]
    attributes: dict[str, Any] = {
        GEN_AI_INPUT_MESSAGES: dumps([m.genai() for m in chat]),
        INPUT_VALUE: dumps([m.genai() for m in shaped]),
        INPUT_MIME_TYPE: JSON_MIME,
        **_openinference_messages(SpanAttributes.LLM_INPUT_MESSAGES, shaped),
    }
    if system:
        attributes[GEN_AI_SYSTEM_INSTRUCTIONS] = dumps(system)
    return attributes


def output_message_attributes(reply: Any, finish_reason: str = "stop") -> dict[str, Any]:
    """A model call's reply (a message, or the text or JSON of a parsed reply)."""
    shaped = (
        Message("assistant", [{"type": "text", "content": reply}])
        if isinstance(reply, str)
        else message(reply)
    )
    shaped = Message("assistant", shaped.parts)
    return {
        GEN_AI_OUTPUT_MESSAGES: dumps([{**shaped.genai(), "finish_reason": finish_reason}]),
        OUTPUT_VALUE: shaped.text or dumps(shaped.parts),
        **_openinference_messages(SpanAttributes.LLM_OUTPUT_MESSAGES, [shaped]),
    }


@dataclass(frozen=True, slots=True)
class Document:
    """A retrieved passage as a span shows it."""

    id: str
    score: float
    content: str = ""
    title: str = ""


def document_attributes(documents: Sequence[Document], content: bool) -> dict[str, Any]:
    """Retrieved documents: OpenInference ``retrieval.documents.N.document.*`` and the GenAI
    ``gen_ai.retrieval.documents`` (ids and scores; texts only when ``content``)."""
    out: dict[str, Any] = {
        GEN_AI_RETRIEVAL_DOCUMENTS: dumps([{"id": d.id, "score": d.score} for d in documents])
    }
    for i, d in enumerate(documents):
        at = f"{SpanAttributes.RETRIEVAL_DOCUMENTS}.{i}."
        out[at + DocumentAttributes.DOCUMENT_ID] = d.id
        out[at + DocumentAttributes.DOCUMENT_SCORE] = d.score
        if content:
            out[at + DocumentAttributes.DOCUMENT_CONTENT] = d.content
            if d.title:
                out[at + DocumentAttributes.DOCUMENT_METADATA] = dumps({"title": d.title})
    return out


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One metric's result for a case.

    Attributes:
        name: The metric.
        score: Its value (None: not computed for this case).
        label: ``pass`` or ``fail`` for a metric with a pass mark, else "".
        annotator: Who scored: ``CODE`` (a rule or statistic) or ``LLM`` (a judge).
    """

    name: str
    score: float | None
    label: str = ""
    annotator: str = "CODE"


def evaluation_attributes(evaluations: Sequence[Evaluation]) -> dict[str, Any]:
    """Results as OpenInference ``evaluations.N.evaluation.*`` and ``kilab.metric.NAME``."""
    out: dict[str, Any] = {}
    for i, e in enumerate(evaluations):
        at = f"{SpanAttributes.EVALUATIONS}.{i}."
        out[at + EvaluationAttributes.EVALUATION_NAME] = e.name
        out[at + EvaluationAttributes.EVALUATION_ANNOTATOR_KIND] = e.annotator
        if e.score is not None:
            out[at + EvaluationAttributes.EVALUATION_SCORE] = e.score
            out[f"kilab.metric.{e.name}"] = e.score
        if e.label:
            out[at + EvaluationAttributes.EVALUATION_LABEL] = e.label
    return out


def evaluation_event(evaluation: Evaluation) -> dict[str, Any]:
    """The attributes of a GenAI ``gen_ai.evaluation.result`` event."""
    out: dict[str, Any] = {"gen_ai.evaluation.name": evaluation.name}
    if evaluation.score is not None:
        out["gen_ai.evaluation.score.value"] = evaluation.score
    if evaluation.label:
        out["gen_ai.evaluation.score.label"] = evaluation.label
    return out


def mapping_value(value: Mapping[str, Any]) -> str:
    """A mapping as ``input.value``/``output.value`` hold it (JSON)."""
    return dumps(dict(value))
