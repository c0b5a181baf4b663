"""Conversions between the graph state and the types the roles and tools speak."""

from __future__ import annotations

from collections.abc import Sequence

from kilab.agents.types import ModelUsage, ReviewFinding
from kilab.graphs.state import Finding, GraphState, Usage


def findings_of(state: GraphState, key: str = "feedback") -> list[ReviewFinding]:
    items: Sequence[Finding] = state.get(key, [])  # type: ignore[assignment]
    return [ReviewFinding(f["check"], f["severity"], f["message"], f["sentence"]) for f in items]


def to_finding(finding: ReviewFinding) -> Finding:
    return Finding(
        check=finding.check,
        severity=finding.severity,
        message=finding.message,
        sentence=finding.sentence,
    )


def usage_update(usage: ModelUsage) -> GraphState:
    """A state update with a node's model usage (the compiler books it under the node)."""
    if not usage.calls:
        return {}
    return {
        "usage": {
            "node": Usage(
                calls=usage.calls,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cost=usage.cost,
            )
        }
    }
