"""The ``human-approval`` node: a person approves, sends back or rejects the draft.

Under a checkpointer (``kilab run``) the node pauses the graph with LangGraph's ``interrupt``;
the state waits in the checkpointer until ``kilab review THREAD --approve | --revise "…" |
--reject`` resumes it, in any later process. Without one (an evaluation), the declared
``eval_policy`` answers instead, so pilots with human steps still score.

Its outcome is ``approved``, ``revise`` or ``reject``, for routes to take; a revise comment
reaches the next drafter as feedback.
"""

from __future__ import annotations

from typing import Any, Literal

from langgraph.config import get_config
from langgraph.types import interrupt
from pydantic import BaseModel, ConfigDict, ValidationError

from kilab.graphs.nodes.params import HumanParams
from kilab.graphs.state import Finding, GraphState, HumanDecision, Verdict

OUTCOMES: dict[str, Verdict] = {"approve": "approved", "revise": "revise", "reject": "reject"}
_CHECKPOINTER_KEY = "__pregel_checkpointer"  # where LangGraph puts the run's checkpointer


class Decision(BaseModel):
    """A reviewer's answer, as ``kilab review`` sends it to resume a thread."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Literal["approve", "revise", "reject"]
    comment: str = ""
    reviewer: str = ""


def _checkpointed() -> bool:
    try:
        return get_config().get("configurable", {}).get(_CHECKPOINTER_KEY) is not None
    except RuntimeError:  # called outside a graph run
        return False


def policy_decision(params: HumanParams, state: GraphState) -> Decision:
    """What the evaluation policy decides at a visit (the first visit counts as 1)."""
    if params.eval_policy == "revise-once":
        earlier = state.get("human_decision")
        if earlier is None or earlier["reviewer"] != "policy":
            return Decision(action="revise", comment=params.eval_comment, reviewer="policy")
        return Decision(action="approve", reviewer="policy")
    return Decision(action=params.eval_policy, reviewer="policy")


def _update(state: GraphState, decision: Decision) -> GraphState:
    outcome = OUTCOMES[decision.action]
    update: GraphState = {
        "human_decision": HumanDecision(
            action=decision.action, comment=decision.comment, reviewer=decision.reviewer
        ),
        "outcome": outcome,
        "verdict": outcome,
    }
    if decision.action == "revise":
        update["feedback"] = [
            *state.get("feedback", []),
            Finding(
                check="human",
                severity="warning",
                message=decision.comment or "Revider utkastet.",
                sentence="",
            ),
        ]
    return update


def build_human(context: Any, params: HumanParams) -> Any:
    """Pause for a person to approve, revise or reject the draft (a policy answers in evals)."""

    def human(state: GraphState) -> GraphState:
        if not _checkpointed():
            return _update(state, policy_decision(params, state))
        answer = interrupt(
            {
                "prompt": params.prompt,
                "question": state.get("question", ""),
                "draft": state.get("draft", ""),
                "citations": list(state.get("citations", [])),
            }
        )
        try:
            decision = Decision.model_validate(answer)
        except ValidationError:
            decision = Decision(action="revise", comment=f"Ugyldig svar: {answer!r}")
        return _update(state, decision)

    return human
