"""Compile a graph spec (and a pilot variant) into a LangGraph ``CompiledStateGraph``."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from langgraph.graph import END as LG_END
from langgraph.graph import START as LG_START
from langgraph.graph import StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer

from kilab.core.telemetry import node_span
from kilab.graphs import registry
from kilab.graphs.context import BuildContext, variant_of
from kilab.graphs.inline import InlinePolicy, is_cpu_only
from kilab.graphs.project import Project
from kilab.graphs.setup import SetUp, set_up_of
from kilab.graphs.specs import END, START, GraphSpec
from kilab.graphs.state import GraphState

__all__ = ["CompiledGraph", "compile_graph", "compile_pilot", "variant_of"]

LIMIT_NODE = "loop_limit"
_TERMINALS = {START: LG_START, END: LG_END}


@dataclass(frozen=True, slots=True)
class CompiledGraph:
    """A runnable graph for one variant, with the spec it came from.

    Attributes:
        set_ups: What the nodes do once before their first visit (``kilab.graphs.setup``).
    """

    spec: GraphSpec
    variant: str
    graph: CompiledStateGraph[Any, Any, Any, Any]
    recursion_limit: int
    set_ups: tuple[SetUp, ...] = ()

    def set_up(self) -> None:
        """Load what every node loads on first use (indexes, models, clients), now."""
        for set_up in self.set_ups:
            set_up()


def _node_impl(context: BuildContext, spec: GraphSpec, name: str) -> Any:
    node = spec.nodes[name]
    if node.tool is not None:
        kind = registry.lookup("tool", node.tool)
        assert kind is not None, "validated before compiling"
        params = kind.params.model_validate(context.tool_params(spec, name))
        return kind.build(context, params)
    agent = context.agent(node.agent or "", node.params)
    kind = registry.lookup("role", agent.spec.role)
    assert kind is not None, "validated before compiling"
    return kind.build(context, agent, kind.params.model_validate(agent.spec.settings))


class _Node(Runnable[GraphState, dict[str, Any]]):
    """A node as LangGraph runs it: counted, added to the path, in a telemetry span.

    A plain ``Runnable`` rather than a ``RunnableLambda``: LangGraph already runs every node
    inside its own callback run and config context, and the lambda's second layer (a child
    run, signature inspection on every call) cost more per case than most nodes do.
    """

    def __init__(
        self,
        name: str,
        sync: Callable[[GraphState], dict[str, Any] | None] | None,
        async_: Callable[[GraphState], Awaitable[dict[str, Any] | None]] | None,
        inline: InlinePolicy | None,
    ) -> None:
        self.name = self._name = name
        self._sync = sync
        self._async = async_
        self._inline = inline

    def _stamp(self, update: dict[str, Any] | None) -> dict[str, Any]:
        update = {**(update or {}), "path": [self._name], "visits": {self._name: 1}}
        if "usage" in update:  # a node reports its own usage; it is booked under the node
            update["usage"] = {self._name: next(iter(update["usage"].values()))}
        return update

    def invoke(
        self, input: GraphState, config: RunnableConfig | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        with node_span(self._name) as span:
            if self._sync is None:
                assert self._async is not None
                reply = asyncio.run(_awaited(self._async(input)))
            else:
                reply = self._sync(input)
            update = self._stamp(reply)
            span.set({"kilab.node.outcome": update.get("outcome")})
            return update

    async def ainvoke(
        self, input: GraphState, config: RunnableConfig | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        with node_span(self._name) as span:
            if self._async is not None:
                reply = await self._async(input)
            elif self._inline is not None and self._inline.inline:
                started = time.perf_counter()
                reply = self._sync(input)  # type: ignore[misc]
                self._inline.record(time.perf_counter() - started)
            else:
                reply = await asyncio.to_thread(self._timed, input)
            update = self._stamp(reply)
            span.set({"kilab.node.outcome": update.get("outcome")})
            return update

    def _timed(self, state: GraphState) -> dict[str, Any] | None:
        assert self._sync is not None
        started = time.perf_counter()
        reply = self._sync(state)
        if self._inline is not None:
            self._inline.record(time.perf_counter() - started)
        return reply


async def _awaited(value: Awaitable[dict[str, Any] | None]) -> dict[str, Any] | None:
    return await value


def _stamped(name: str, impl: Any) -> _Node:
    """Wrap a node so that every visit is counted and added to the path."""
    sync: Callable[[GraphState], dict[str, Any] | None] | None = getattr(impl, "invoke", None)
    async_: Callable[[GraphState], Any] | None = getattr(impl, "ainvoke", None)
    if sync is None and async_ is None:
        if inspect.iscoroutinefunction(impl):
            async_ = impl
        else:
            sync = impl
    inline = None
    if sync is not None and is_cpu_only(impl):
        # A pure-CPU node gains nothing from its own thread hop: its sync side runs under
        # the inline policy even when it has an async one.
        inline, async_ = InlinePolicy(), None
    return _Node(name, sync, async_, inline)


def _limit_reached(limits: dict[str, int]) -> Callable[[GraphState], dict[str, Any]]:
    def record(state: GraphState) -> dict[str, Any]:
        visits = state.get("visits", {})
        spent = [n for n, most in limits.items() if visits.get(n, 0) >= most]
        return {"errors": [f"loop limit reached: {', '.join(spent)}"], "path": [LIMIT_NODE]}

    return record


class _Route(Runnable[GraphState, str]):
    """A routing function as LangGraph calls it. Given a plain function, LangGraph would
    trace it as a run of its own at every step; routes are too small to be worth one."""

    def __init__(self, route: Callable[[GraphState], str]) -> None:
        self.name = route.__name__
        self._route = route

    def invoke(self, input: GraphState, config: RunnableConfig | None = None, **kwargs: Any) -> str:
        return self._route(input)

    async def ainvoke(
        self, input: GraphState, config: RunnableConfig | None = None, **kwargs: Any
    ) -> str:
        return self._route(input)


def _router(
    source: str, targets: dict[str, str] | None, default: str | None, limits: dict[str, int]
) -> Callable[[GraphState], str]:
    """Pick the next node from the outcome (or the plain edge), respecting loop limits."""

    def route(state: GraphState) -> str:
        target = default if targets is None else targets.get(state.get("outcome", ""), END)
        assert target is not None
        if target in limits and state.get("visits", {}).get(target, 0) >= limits[target]:
            return LIMIT_NODE
        return _TERMINALS.get(target, target)

    route.__name__ = f"route_{source}"
    return route


def compile_graph(
    context: BuildContext, graph_name: str, checkpointer: Checkpointer = None
) -> CompiledGraph:
    """Build every node and wire edges, routes and loop limits into a LangGraph graph."""
    spec = context.project.graph(graph_name)
    builder: StateGraph[GraphState, Any, GraphState, GraphState] = StateGraph(GraphState)
    set_ups: list[SetUp] = []
    for name in spec.nodes:
        impl = _node_impl(context, spec, name)
        if (set_up := set_up_of(impl)) is not None:
            set_ups.append(set_up)
        builder.add_node(name, _stamped(name, impl))
    if spec.limits:
        builder.add_node(
            LIMIT_NODE, RunnableLambda(_limit_reached(dict(spec.limits)), name=LIMIT_NODE)
        )
        builder.add_edge(LIMIT_NODE, LG_END)

    plain: dict[str, list[str]] = {}
    for source, target in spec.edges:
        plain.setdefault(source, []).append(target)
    for source, targets in plain.items():
        for target in targets:
            if target in spec.limits:
                destinations = [_TERMINALS.get(target, target), LIMIT_NODE]
                builder.add_conditional_edges(
                    _TERMINALS.get(source, source),
                    _Route(_router(source, None, target, dict(spec.limits))),
                    destinations,
                )
            else:
                builder.add_edge(_TERMINALS.get(source, source), _TERMINALS.get(target, target))
    for source, cases in spec.routes.items():
        destinations = sorted({_TERMINALS.get(t, t) for t in cases.values()} | {LG_END})
        if spec.limits:
            destinations.append(LIMIT_NODE)
        builder.add_conditional_edges(
            source, _Route(_router(source, dict(cases), None, dict(spec.limits))), destinations
        )
    # A backstop for LangGraph's own step counter: every node at its limit, plus slack.
    most_visits = sum(spec.limits.values()) + len(spec.nodes)
    return CompiledGraph(
        spec,
        context.variant_name,
        builder.compile(checkpointer=checkpointer, name=spec.name),
        recursion_limit=max(25, 4 * most_visits),
        set_ups=tuple(set_ups),
    )


def compile_pilot(
    project: Project,
    pilot_name: str,
    variant: str = "baseline",
    *,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    checkpointer: Checkpointer = None,
) -> CompiledGraph:
    """Compile a pilot's graph with one of its variants applied."""
    pilot = project.pilot(pilot_name)
    context = BuildContext.for_pilot(
        project, pilot, variant, cache_dir=cache_dir, use_cache=use_cache
    )
    return compile_graph(context, pilot.graph, checkpointer)
