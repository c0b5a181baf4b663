"""The human-approval node: policies in evaluations, interrupt and resume under a checkpointer."""

from __future__ import annotations

from pathlib import Path

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from graphs.agent_testing import context, write_project
from graphs.compiler import compile_graph
from graphs.nodes.human import HumanParams, policy_decision
from graphs.review import interrupts_of
from graphs.runner import result_from_state, run_question
from graphs.state import GraphState

QUESTION = "Lag et notat om endringene i karanteneloven"


def test_policies_decide_without_a_person() -> None:
    state: GraphState = {"question": QUESTION}
    assert policy_decision(HumanParams(eval_policy="approve"), state).action == "approve"
    assert policy_decision(HumanParams(eval_policy="reject"), state).action == "reject"
    once = HumanParams(eval_policy="revise-once", eval_comment="Kortere.")
    first = policy_decision(once, state)
    assert (first.action, first.comment) == ("revise", "Kortere.")
    state["human_decision"] = {"action": "revise", "comment": "Kortere.", "reviewer": "policy"}
    assert policy_decision(once, state).action == "approve"


def test_interrupt_waits_in_the_checkpointer_and_resumes(tmp_path: Path) -> None:
    project = write_project(tmp_path)
    compiled = compile_graph(context(tmp_path, project), "notat", checkpointer=InMemorySaver())
    paused = run_question(compiled, QUESTION, "t-1")
    [payload] = interrupts_of(paused.state)
    assert payload["draft"].startswith("## Bakgrunn") and payload["question"] == QUESTION
    config = {"configurable": {"thread_id": "t-1"}}
    assert compiled.graph.get_state(config).next == ("approve",)  # type: ignore[arg-type]

    state = compiled.graph.invoke(Command(resume={"action": "reject", "comment": "Nei."}), config)  # type: ignore[arg-type]
    result = result_from_state(QUESTION, state, "t-1", 0.0)
    assert not interrupts_of(state) and result.verdict == "reject"
    assert result.declined and "## Bakgrunn" not in result.answer


def test_an_unreadable_answer_sends_the_draft_back(tmp_path: Path) -> None:
    project = write_project(tmp_path)
    compiled = compile_graph(context(tmp_path, project), "notat", checkpointer=InMemorySaver())
    run_question(compiled, QUESTION, "t-2")
    config = {"configurable": {"thread_id": "t-2"}}
    state = compiled.graph.invoke(Command(resume="ja"), config)  # type: ignore[arg-type]
    assert interrupts_of(state)  # revised, and waiting again
    assert state["feedback"][-1]["message"].startswith("Ugyldig svar")
