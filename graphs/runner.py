"""Run one question through a compiled graph and read back what happened."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from langchain_core.runnables import RunnableConfig

from kilab.graphs.compiler import CompiledGraph
from kilab.graphs.state import (
    Finding,
    GraphState,
    HumanDecision,
    Passage,
    QuarantinedPassage,
    ToolCall,
    Usage,
    Verdict,
    interrupts_of,
)
from kilab.tools.compose import DECLINE_MESSAGE

NOT_APPROVED_MESSAGE = (
    "Svaret ble ikke godkjent av kontrollen, så jeg gir det ikke ut. "
    "Spør gjerne på en annen måte, eller kontakt en saksbehandler."
)


@dataclass(frozen=True, slots=True)
class GraphResult:
    """The outcome of one question: the answer given out and how it came about."""

    question: str
    answer: str
    declined: bool
    citations: list[str]
    verdict: Verdict | None  # None: no reviewer had a say
    findings: list[Finding]
    passages: list[Passage]
    path: list[str]
    usage: dict[str, Usage]
    errors: list[str]
    thread_id: str
    latency_s: float
    draft: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    quarantined: list[QuarantinedPassage] = field(default_factory=list)  # kept from the drafter
    stop_reason: str = ""  # why a tool-using agent stopped
    human_decision: HumanDecision | None = None
    interrupts: list[Any] = field(default_factory=list)  # what a waiting human step shows

    @property
    def paused(self) -> bool:
        """A human step waits for a decision (see kilab.graphs.review)."""
        return bool(self.interrupts)

    @property
    def approved(self) -> bool:
        return self.verdict in (None, "approved")


def _config(
    compiled: CompiledGraph, thread_id: str, labels: Mapping[str, str] | None = None
) -> RunnableConfig:
    # Extra configurable keys are written into every checkpoint's metadata (kilab review
    # reads the pilot and variant of a paused thread from there).
    return {
        "configurable": {**(labels or {}), "thread_id": thread_id},
        "recursion_limit": compiled.recursion_limit,
    }


def result_from_state(
    question: str,
    state: GraphState,
    thread_id: str,
    latency_s: float,
    interrupts: list[Any] | None = None,
) -> GraphResult:
    """Read the answer a user would get out of a final state.

    A draft the reviewer did not approve (rejected, or still "revise" when a loop limit
    stopped the graph) is withheld: a public body gives out no unchecked answer. ``interrupts``
    default to those the state a graph run returned carries.
    """
    verdict = state.get("verdict")
    declined = state.get("declined", False)
    draft = state.get("draft", "")
    if declined:
        answer = draft or DECLINE_MESSAGE
    elif verdict in (None, "approved"):
        answer = draft
    else:
        answer, declined = NOT_APPROVED_MESSAGE, True
    return GraphResult(
        question=question,
        answer=answer,
        declined=declined,
        citations=[] if declined else list(state.get("citations", [])),
        verdict=verdict,
        findings=list(state.get("findings", [])),
        passages=list(state.get("passages", [])),
        path=list(state.get("path", [])),
        usage=dict(state.get("usage", {})),
        errors=list(state.get("errors", [])),
        thread_id=thread_id,
        latency_s=latency_s,
        draft=draft,
        tool_calls=list(state.get("tool_calls", [])),
        quarantined=list(state.get("quarantined", [])),
        stop_reason=state.get("stop_reason", ""),
        human_decision=state.get("human_decision"),
        interrupts=interrupts_of(dict(state)) if interrupts is None else interrupts,
    )


def run_question(
    compiled: CompiledGraph,
    question: str,
    thread_id: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> GraphResult:
    """Run a question through the graph synchronously (``labels`` go into the checkpoints)."""
    thread_id = thread_id or uuid.uuid4().hex
    started = time.perf_counter()
    state = compiled.graph.invoke({"question": question}, _config(compiled, thread_id, labels))
    return result_from_state(
        question, cast(GraphState, state), thread_id, time.perf_counter() - started
    )


async def arun_question(
    compiled: CompiledGraph, question: str, thread_id: str | None = None
) -> GraphResult:
    """Run a question through the graph on the event loop."""
    thread_id = thread_id or uuid.uuid4().hex
    started = time.perf_counter()
    state = await compiled.graph.ainvoke({"question": question}, _config(compiled, thread_id))
    return result_from_state(
        question, cast(GraphState, state), thread_id, time.perf_counter() - started
    )
