"""Graph structure: edges and routes name real nodes and outcomes, every node is reachable
and can finish, and every loop has a bound."""

from __future__ import annotations

from collections.abc import Iterator

from kilab.core.errors import Problem, did_you_mean
from kilab.graphs import registry
from kilab.graphs.project import Project, Sourced
from kilab.graphs.specs import END, START, GraphSpec


def node_kind(project: Project, graph: GraphSpec, node: str) -> registry.NodeKind | None:
    """The registered kind behind a graph node (a tool, or an agent's role)."""
    spec = graph.nodes[node]
    if spec.tool is not None:
        return registry.lookup("tool", spec.tool)
    agent = project.agents.get(spec.agent or "")
    return registry.lookup("role", agent.spec.role) if agent else None


def successors(spec: GraphSpec) -> dict[str, set[str]]:
    """Node → every node an edge or route can lead to (START and END included)."""
    following: dict[str, set[str]] = {name: set() for name in [START, *spec.nodes, END]}
    for source, target in spec.edges:
        following.setdefault(source, set()).add(target)
    for source, cases in spec.routes.items():
        following.setdefault(source, set()).update(cases.values())
    return following


def check_structure(project: Project, graph: Sourced[GraphSpec]) -> list[Problem]:
    spec = graph.spec
    problems: list[Problem] = []
    known = set(spec.nodes)
    choices = sorted(known)
    for i, (source, target) in enumerate(spec.edges):
        for j, (name, allowed_extra) in enumerate(((source, START), (target, END))):
            if name not in known and name != allowed_extra:
                problems.append(
                    Problem(
                        graph.locate("edges", i, j),
                        f"unknown node {name!r}",
                        f"edges.{i}",
                        [*choices, allowed_extra],
                        did_you_mean(name, choices),
                    )
                )
    routed_with_edges = {s for s, _ in spec.edges} & set(spec.routes)
    for source in sorted(routed_with_edges):
        problems.append(
            Problem(
                graph.locate("routes", source),
                "a node has either plain edges or routes, not both",
                f"routes.{source}",
            )
        )
    for source, cases in spec.routes.items():
        if source not in known:
            problems.append(
                Problem(
                    graph.locate("routes", source),
                    f"unknown node {source!r}",
                    "routes",
                    choices,
                    did_you_mean(source, choices),
                )
            )
            continue
        kind = node_kind(project, spec, source)
        outcomes = list(kind.outcomes) if kind else []
        if kind is not None and not outcomes:
            problems.append(
                Problem(
                    graph.locate("routes", source),
                    f"node {source!r} has no outcomes to route on",
                    f"routes.{source}",
                )
            )
        for outcome, target in cases.items():
            if outcomes and outcome not in outcomes:
                problems.append(
                    Problem(
                        graph.locate("routes", source, outcome),
                        f"unknown outcome {outcome!r}",
                        f"routes.{source}.{outcome}",
                        outcomes,
                        did_you_mean(outcome, outcomes),
                    )
                )
            if target not in known and target != END:
                problems.append(
                    Problem(
                        graph.locate("routes", source, outcome),
                        f"unknown node {target!r}",
                        f"routes.{source}.{outcome}",
                        [*choices, END],
                        did_you_mean(target, choices),
                    )
                )
        missing = [o for o in outcomes if o not in cases]
        if missing and kind is not None:
            problems.append(
                Problem(
                    graph.locate("routes", source),
                    f"no route for outcome(s) {', '.join(missing)}",
                    f"routes.{source}",
                    outcomes,
                )
            )
    for name in spec.limits:
        if name not in known:
            problems.append(
                Problem(
                    graph.locate("limits", name),
                    f"unknown node {name!r}",
                    "limits",
                    choices,
                    did_you_mean(name, choices),
                )
            )
    if problems:
        return problems  # reachability on a graph with dangling names would only add noise

    following = successors(spec)
    reachable = _reach(START, following)
    preceding: dict[str, set[str]] = {name: set() for name in following}
    for source, targets in following.items():
        for target in targets:
            preceding.setdefault(target, set()).add(source)
    finishing = _reach(END, preceding)
    for name in spec.nodes:
        if name not in reachable:
            problems.append(
                Problem(
                    graph.locate("nodes", name),
                    f"node {name!r} cannot be reached from START",
                    f"nodes.{name}",
                )
            )
        elif name not in finishing:
            problems.append(
                Problem(
                    graph.locate("nodes", name),
                    f"node {name!r} has no path to END",
                    f"nodes.{name}",
                )
            )
    for cycle in _cycles(following):
        if not any(node in spec.limits for node in cycle):
            first = sorted(cycle)[0]
            problems.append(
                Problem(
                    graph.locate("nodes", first),
                    f"loop {' → '.join(sorted(cycle))} has no bound: add 'limits: {{{first}: 3}}'",
                    "limits",
                )
            )
    return problems


def _reach(start: str, following: dict[str, set[str]]) -> set[str]:
    seen, stack = {start}, [start]
    while stack:
        for target in following.get(stack.pop(), ()):
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


def _cycles(following: dict[str, set[str]]) -> Iterator[set[str]]:
    """Strongly connected components that form a loop (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> Iterator[set[str]]:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in following.get(node, ()):
            if target not in index:
                yield from visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1 or node in following.get(node, ()):
                yield component

    for node in list(following):
        if node not in index:
            yield from visit(node)
