"""The typed state that flows through every compiled graph.

Items are TypedDicts rather than classes so that the SQLite checkpointer stores them as
plain JSON-like data and a run's state can be read back years later without our code.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal

from typing_extensions import TypedDict

from kilab.agents.types import Verdict
from kilab.tools.retrieval.types import Passage

INTERRUPT = "__interrupt__"  # the key of pending interrupts in a state LangGraph returns

__all__ = [
    "INTERRUPT",
    "Finding",
    "GraphState",
    "HumanDecision",
    "Passage",
    "QuarantinedPassage",
    "ToolCall",
    "Usage",
    "Verdict",
    "interrupts_of",
]


class QuarantinedPassage(Passage):
    """A retrieved passage the screen kept from the drafter, and why."""

    reasons: list[str]  # pattern ids, or "model" when the model screen flagged it
    excerpt: str  # what fired (the matched text), shortened


class Finding(TypedDict):
    """Something a reviewer or check noticed."""

    check: str
    severity: Literal["info", "warning", "error"]
    message: str
    sentence: str


class Usage(TypedDict):
    """Model usage of one node, summed over its visits."""

    calls: int
    input_tokens: int
    output_tokens: int
    cost: float


def add_counts(left: dict[str, int], right: dict[str, int]) -> dict[str, int]:
    """Reducer: sum visit counts per node."""
    merged = dict(left or {})
    for key, value in (right or {}).items():
        merged[key] = merged.get(key, 0) + value
    return merged


def add_usage(left: dict[str, Usage], right: dict[str, Usage]) -> dict[str, Usage]:
    """Reducer: sum usage per node."""
    merged = dict(left or {})
    for node, usage in (right or {}).items():
        before = merged.get(node)
        merged[node] = (
            usage
            if before is None
            else Usage(
                calls=before["calls"] + usage["calls"],
                input_tokens=before["input_tokens"] + usage["input_tokens"],
                output_tokens=before["output_tokens"] + usage["output_tokens"],
                cost=before["cost"] + usage["cost"],
            )
        )
    return merged


class ToolCall(TypedDict):
    """One tool call an agent made, as recorded with the case."""

    node: str
    step: int
    tool: str
    args: dict[str, Any]
    ok: bool
    result: str  # what the agent was shown (shortened)


class HumanDecision(TypedDict):
    """What a person (or an evaluation policy) decided at a human node."""

    action: Literal["approve", "revise", "reject"]
    comment: str
    reviewer: str


class GraphState(TypedDict, total=False):
    """Everything a graph run knows. Nodes return partial updates of it."""

    question: str
    passages: list[Passage]
    quarantined: list[QuarantinedPassage]
    draft: str
    citations: list[str]
    declined: bool
    verdict: Verdict
    findings: list[Finding]
    feedback: list[Finding]
    outcome: str
    visits: Annotated[dict[str, int], add_counts]
    path: Annotated[list[str], operator.add]
    usage: Annotated[dict[str, Usage], add_usage]
    errors: Annotated[list[str], operator.add]
    # Tool-using agents and human steps (kilab.graphs.nodes.agentic, kilab.graphs.nodes.human).
    tool_calls: Annotated[list[ToolCall], operator.add]
    steps: Annotated[dict[str, int], add_counts]
    stop_reason: str
    human_decision: HumanDecision


def interrupts_of(state: dict[str, Any]) -> list[Any]:
    """The interrupt payloads a state returned by a graph run carries (empty: it finished)."""
    return [getattr(i, "value", i) for i in state.get(INTERRUPT, [])]
