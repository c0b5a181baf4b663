"""The tool-calling loop of an agent node, as a small LangGraph graph: model ⇄ ``ToolNode``.

The model node stops the loop, with a recorded reason, when the model answers without a tool
call (``answered``), when the step limit is reached (``step_limit``) or when the token budget
is spent (``token_budget``). Tool inputs are validated against each tool's pydantic schema by
``ToolNode``; a tool that fails or gets bad arguments answers the model with the error
instead of stopping the run (``handle_tool_errors``).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Protocol, TypedDict

from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, ToolCall, ToolMessage
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import BaseTool
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode

from kilab.agents.cost import cost_of, tokens_of
from kilab.agents.profiles import ModelProfile
from kilab.core import telemetry

StopReason = Literal["answered", "step_limit", "token_budget"]


class ChatLike(Protocol):
    """What the loop needs of a model: a reply (possibly with tool calls) to messages."""

    def invoke(self, input: list[BaseMessage]) -> BaseMessage: ...

    async def ainvoke(self, input: list[BaseMessage]) -> BaseMessage: ...


class LoopState(TypedDict, total=False):
    """The loop's own state; only its outcome reaches the graph state."""

    messages: Annotated[list[AnyMessage], add_messages]
    steps: int
    input_tokens: int
    output_tokens: int
    cost: Annotated[float, operator.add]
    stop_reason: str


@dataclass(frozen=True, slots=True)
class LoopLimits:
    """Bounds of one agent run."""

    max_steps: int = 6
    token_budget: int = 20_000


@dataclass(frozen=True, slots=True)
class LoopOutcome:
    """What the loop did: the conversation, why it stopped and what it used."""

    messages: list[BaseMessage]
    stop_reason: StopReason
    steps: int
    input_tokens: int
    output_tokens: int
    cost: float

    @property
    def answer(self) -> str:
        """The final reply's text when the model answered, else ""."""
        last = self.messages[-1] if self.messages else None
        if self.stop_reason != "answered" or not isinstance(last, AIMessage):
            return ""
        return last.content if isinstance(last.content, str) else ""

    def tool_results(self) -> list[tuple[ToolCall, ToolMessage | None]]:
        """Every tool call the model made, with the message it got back (None if not run)."""
        replies = {m.tool_call_id: m for m in self.messages if isinstance(m, ToolMessage)}
        return [
            (call, replies.get(call["id"] or ""))
            for m in self.messages
            if isinstance(m, AIMessage)
            for call in m.tool_calls
        ]


def _stop(state: LoopState, limits: LoopLimits) -> StopReason | None:
    if state.get("steps", 0) >= limits.max_steps:
        return "step_limit"
    if state.get("input_tokens", 0) + state.get("output_tokens", 0) >= limits.token_budget:
        return "token_budget"
    return None


def _after_reply(
    state: LoopState, reply: BaseMessage, profile: ModelProfile | None, limits: LoopLimits
) -> dict[str, Any]:
    usage = reply.usage_metadata if isinstance(reply, AIMessage) else None
    spent_in, spent_out = tokens_of(usage)
    update: dict[str, Any] = {
        "messages": [reply],
        "steps": state.get("steps", 0) + 1,
        "input_tokens": state.get("input_tokens", 0) + spent_in,
        "output_tokens": state.get("output_tokens", 0) + spent_out,
        "cost": cost_of(profile, spent_in, spent_out) if profile else 0.0,
    }
    if not isinstance(reply, AIMessage) or not reply.tool_calls:
        update["stop_reason"] = "answered"
    elif update["input_tokens"] + update["output_tokens"] > limits.token_budget:
        update["stop_reason"] = "token_budget"  # the calls it asked for are not run
    return update


def _model_span(
    profile: ModelProfile | None, messages: list[BaseMessage]
) -> AbstractContextManager[telemetry.SpanScope]:
    """The span of one model turn (an LLM span with the conversation so far)."""
    if profile is None:
        return nullcontext(telemetry.SpanScope())
    return telemetry.model_span(profile, messages)


def build_loop(
    model: ChatLike,
    tools: Sequence[BaseTool],
    limits: LoopLimits,
    profile: ModelProfile | None = None,
    name: str = "agent",
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """A compiled model ⇄ tools graph over ``LoopState``."""

    def call(state: LoopState) -> dict[str, Any]:
        reason = _stop(state, limits)
        if reason:
            return {"stop_reason": reason}
        messages: list[BaseMessage] = list(state["messages"])
        with _model_span(profile, messages) as span:
            update = _after_reply(state, model.invoke(messages), profile, limits)
            telemetry.record_model_reply(span, update["messages"][0], update["cost"])
        return update

    async def acall(state: LoopState) -> dict[str, Any]:
        reason = _stop(state, limits)
        if reason:
            return {"stop_reason": reason}
        messages: list[BaseMessage] = list(state["messages"])
        with _model_span(profile, messages) as span:
            update = _after_reply(state, await model.ainvoke(messages), profile, limits)
            telemetry.record_model_reply(span, update["messages"][0], update["cost"])
        return update

    def route(state: LoopState) -> str:
        return END if state.get("stop_reason") else "tools"

    builder: StateGraph[LoopState, Any, LoopState, LoopState] = StateGraph(LoopState)
    builder.add_node("model", RunnableLambda(call, afunc=acall, name="model"))
    builder.add_node("tools", ToolNode(list(tools), handle_tool_errors=True))
    builder.add_edge(START, "model")
    builder.add_conditional_edges("model", route, ["tools", END])
    builder.add_edge("tools", "model")
    # Never checkpointed on its own: the outcome is written to the graph state by the node.
    return builder.compile(checkpointer=False, name=name)


def recursion_limit(limits: LoopLimits) -> int:
    """LangGraph's step counter for a loop: two supersteps a turn, plus the last check."""
    return 2 * limits.max_steps + 4


def outcome(state: dict[str, Any]) -> LoopOutcome:
    """The loop's final state as an outcome."""
    return LoopOutcome(
        messages=list(state.get("messages", [])),
        stop_reason=state.get("stop_reason", "step_limit"),
        steps=state.get("steps", 0),
        input_tokens=state.get("input_tokens", 0),
        output_tokens=state.get("output_tokens", 0),
        cost=state.get("cost", 0.0),
    )
