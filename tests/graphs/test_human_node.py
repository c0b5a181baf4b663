"""The human-approval node: policies in evaluations, interrupt and resume under a checkpointer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from kilab.graphs.agent_testing import context, write_project
from kilab.graphs.compiler import compile_graph
from kilab.graphs.nodes.human import HumanParams, policy_decision
from kilab.graphs.runner import result_from_state, run_question
from kilab.graphs.state import GraphState, interrupts_of

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
    [payload] = paused.interrupts
    assert payload["draft"].startswith("## Bakgrunn") and payload["question"] == QUESTION
    config: RunnableConfig = {"configurable": {"thread_id": "t-1"}}
    assert compiled.graph.get_state(config).next == ("approve",)

    resume: Command[Any] = Command(resume={"action": "reject", "comment": "Nei."})
    state: Any = compiled.graph.invoke(resume, config)
    result = result_from_state(QUESTION, state, "t-1", 0.0)
    assert not interrupts_of(state) and result.verdict == "reject"
    assert result.declined and "## Bakgrunn" not in result.answer


def test_an_unreadable_answer_sends_the_draft_back(tmp_path: Path) -> None:
    project = write_project(tmp_path)
    compiled = compile_graph(context(tmp_path, project), "notat", checkpointer=InMemorySaver())
    run_question(compiled, QUESTION, "t-2")
    config: RunnableConfig = {"configurable": {"thread_id": "t-2"}}
    garbled: Command[Any] = Command(resume="ja")
    state = compiled.graph.invoke(garbled, config)
    assert interrupts_of(state)  # revised, and waiting again
    assert state["feedback"][-1]["message"].startswith("Ugyldig svar")
