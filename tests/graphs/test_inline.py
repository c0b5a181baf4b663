"""Synchronous nodes under ainvoke: fast pure-CPU nodes run inline, others in a thread."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from langgraph.graph import END, START, StateGraph

from kilab.graphs import inline
from kilab.graphs.compiler import _stamped
from kilab.graphs.inline import INLINE_BELOW_S, InlinePolicy, cpu_only, is_cpu_only
from kilab.graphs.state import GraphState


def test_policy_goes_inline_only_after_a_fast_first_visit_and_leaves_when_slow() -> None:
    policy = InlinePolicy()
    assert not policy.inline  # the first visit may load an index: a thread
    policy.record(INLINE_BELOW_S / 10)
    assert policy.inline
    policy.record(1.0)  # one slow visit is enough to leave the loop alone
    assert not policy.inline
    for _ in range(40):
        policy.record(INLINE_BELOW_S / 10)
    assert policy.inline


def test_cpu_only_marks_the_function_itself() -> None:
    def node(state: GraphState) -> dict[str, Any]:
        return {}

    assert not is_cpu_only(node)
    assert cpu_only(node) is node
    assert is_cpu_only(node)


def _graph(node: Any) -> Any:
    builder: StateGraph[GraphState, Any, GraphState, GraphState] = StateGraph(GraphState)
    builder.add_node("work", _stamped("work", node))
    builder.add_edge(START, "work")
    builder.add_edge("work", END)
    return builder.compile()


def _threads_seen(node_marked: bool, visits: int) -> list[bool]:
    seen: list[bool] = []

    def work(state: GraphState) -> dict[str, Any]:
        seen.append(threading.current_thread() is threading.main_thread())
        return {"draft": state["question"].upper()}

    graph = _graph(cpu_only(work) if node_marked else work)

    async def go() -> list[Any]:
        return [await graph.ainvoke({"question": f"q{i}"}) for i in range(visits)]

    states = asyncio.run(go())
    # the update is the same wherever the node ran, and still counted and on the path
    assert [s["draft"] for s in states] == [f"Q{i}" for i in range(visits)]
    assert all(s["path"] == ["work"] and s["visits"] == {"work": 1} for s in states)
    return seen


def test_a_fast_cpu_only_node_moves_onto_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inline, "INLINE_BELOW_S", 60.0)  # a busy machine is never "slow" here
    on_loop = _threads_seen(node_marked=True, visits=4)
    assert on_loop[0] is False and all(on_loop[1:])


def test_an_unmarked_sync_node_always_runs_in_a_thread() -> None:
    assert not any(_threads_seen(node_marked=False, visits=4))


def test_sync_invoke_still_works() -> None:
    graph = _graph(cpu_only(lambda state: {"draft": "x"}))
    assert graph.invoke({"question": "q"})["path"] == ["work"]


def test_a_cpu_only_node_object_runs_its_sync_side_even_with_an_async_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(inline, "INLINE_BELOW_S", 60.0)
    calls: list[tuple[str, bool]] = []

    class Node:
        def invoke(self, state: GraphState) -> dict[str, Any]:
            calls.append(("sync", threading.current_thread() is threading.main_thread()))
            return {"draft": "sync"}

        async def ainvoke(self, state: GraphState) -> dict[str, Any]:
            calls.append(("async", True))
            return {"draft": "async"}

    graph = _graph(cpu_only(Node()))

    async def go() -> list[Any]:
        return [await graph.ainvoke({"question": "q"}) for _ in range(3)]

    assert [s["draft"] for s in asyncio.run(go())] == ["sync"] * 3
    assert calls == [("sync", False), ("sync", True), ("sync", True)]
