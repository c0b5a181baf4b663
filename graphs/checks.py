"""Cross-file checks: names resolve, parameters fit their node kind, graphs are well formed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ValidationError

from graphs import registry
from graphs.agent_tools import agent_tool_names
from graphs.project import Project, Sourced, pydantic_problems
from graphs.specs import END, START, AgentSpec, GraphSpec, PilotSpec
from kilab.errors import Problem, did_you_mean


def check_project(project: Project) -> list[Problem]:
    """Every cross-file problem of a loaded project."""
    problems: list[Problem] = []
    for agent in project.agents.values():
        problems.extend(_check_agent(project, agent))
    for graph in project.graphs.values():
        problems.extend(_check_graph(project, graph))
    for pilot in project.pilots.values():
        problems.extend(_check_pilot(project, pilot))
    return problems


def _name_problem(
    project: Project, where: Sourced[Any], path: tuple[str | int, ...], kind: str, name: str
) -> list[Problem]:
    known = list(project.by_kind(kind)) if kind != "profile" else project.profile_names()
    if name in known:
        return []
    return [
        Problem(
            where.locate(*path),
            f"no {kind} named {name!r}",
            ".".join(map(str, path)),
            sorted(known),
            did_you_mean(name, known),
        )
    ]


def _check_params(
    project: Project,
    where: Sourced[Any],
    path: tuple[str | int, ...],
    params: type[BaseModel],
    values: dict[str, Any],
) -> list[Problem]:
    try:
        parsed = params.model_validate(values)
    except ValidationError as exc:
        return pydantic_problems(exc, params, where.source, path)
    problems = []
    for field_name, kind in registry.references(params).items():
        value = getattr(parsed, field_name)
        if value is not None:
            problems.extend(_name_problem(project, where, (*path, field_name), kind, value))
    return problems


def _check_agent(project: Project, agent: Sourced[AgentSpec]) -> list[Problem]:
    spec = agent.spec
    problems = _name_problem(project, agent, ("model",), "profile", spec.model)
    kind = registry.lookup("role", spec.role)
    if kind is None:
        roles = registry.names("role")
        problems.append(
            Problem(
                agent.locate("role"),
                f"no role named {spec.role!r}",
                "role",
                roles,
                did_you_mean(spec.role, roles),
            )
        )
    else:
        problems.extend(_check_params(project, agent, ("settings",), kind.params, spec.settings))
    if spec.prompt and not agent.resolve(spec.prompt).is_file():
        problems.append(
            Problem(agent.locate("prompt"), f"prompt file {spec.prompt!r} not found", "prompt")
        )
    registry.names("tool")  # loads built-in kinds and plugins, which add their agent tools
    tools = agent_tool_names()
    for i, tool in enumerate(spec.tools):
        if tool not in tools:
            problems.append(
                Problem(
                    agent.locate("tools", i),
                    f"no tool named {tool!r} that an agent can call",
                    f"tools.{i}",
                    tools,
                    did_you_mean(tool, tools),
                )
            )
    return problems


def node_kind(project: Project, graph: GraphSpec, node: str) -> registry.NodeKind | None:
    """The registered kind behind a graph node (a tool, or an agent's role)."""
    spec = graph.nodes[node]
    if spec.tool is not None:
        return registry.lookup("tool", spec.tool)
    agent = project.agents.get(spec.agent or "")
    return registry.lookup("role", agent.spec.role) if agent else None


def _check_graph(project: Project, graph: Sourced[GraphSpec]) -> list[Problem]:
    spec = graph.spec
    problems: list[Problem] = []
    for name, node in spec.nodes.items():
        if name in (START, END):
            problems.append(
                Problem(graph.locate("nodes", name), f"{name} is reserved", f"nodes.{name}")
            )
        if node.tool is not None:
            kind = registry.lookup("tool", node.tool)
            if kind is None:
                tools = registry.names("tool")
                problems.append(
                    Problem(
                        graph.locate("nodes", name, "tool"),
                        f"no tool named {node.tool!r}",
                        f"nodes.{name}.tool",
                        tools,
                        did_you_mean(node.tool, tools),
                    )
                )
                continue
            problems.extend(
                _check_params(project, graph, ("nodes", name, "with"), kind.params, node.params)
            )
        else:
            problems.extend(
                _name_problem(project, graph, ("nodes", name, "agent"), "agent", node.agent or "")
            )
            role_kind = node_kind(project, spec, name)
            if role_kind is not None and node.params:
                agent = project.agents[node.agent or ""].spec
                problems.extend(
                    _check_params(
                        project,
                        graph,
                        ("nodes", name, "with"),
                        role_kind.params,
                        {**agent.settings, **node.params},
                    )
                )
    problems.extend(_check_structure(project, graph))
    return problems


def successors(spec: GraphSpec) -> dict[str, set[str]]:
    """Node → every node an edge or route can lead to (START and END included)."""
    following: dict[str, set[str]] = {name: set() for name in [START, *spec.nodes, END]}
    for source, target in spec.edges:
        following.setdefault(source, set()).add(target)
    for source, cases in spec.routes.items():
        following.setdefault(source, set()).update(cases.values())
    return following


def _check_structure(project: Project, graph: Sourced[GraphSpec]) -> list[Problem]:
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


def _check_pilot(project: Project, pilot: Sourced[PilotSpec]) -> list[Problem]:
    spec = pilot.spec
    problems = _name_problem(project, pilot, ("graph",), "graph", spec.graph)
    if not pilot.resolve(spec.dataset).is_file():
        problems.append(
            Problem(pilot.locate("dataset"), f"dataset file {spec.dataset!r} not found", "dataset")
        )
    graph = project.graphs.get(spec.graph)
    for variant_name, variant in spec.variants.items():
        base = ("variants", variant_name)
        for node_name, overrides in variant.nodes.items():
            if graph is None:
                break
            if node_name not in graph.spec.nodes:
                nodes = sorted(graph.spec.nodes)
                problems.append(
                    Problem(
                        pilot.locate(*base, "nodes", node_name),
                        f"graph {spec.graph!r} has no node {node_name!r}",
                        f"variants.{variant_name}.nodes",
                        nodes,
                        did_you_mean(node_name, nodes),
                    )
                )
                continue
            kind = node_kind(project, graph.spec, node_name)
            node = graph.spec.nodes[node_name]
            if kind is not None and node.tool is not None:
                problems.extend(
                    _check_params(
                        project,
                        pilot,
                        (*base, "nodes", node_name),
                        kind.params,
                        {**node.params, **overrides},
                    )
                )
        for agent_name, override in variant.agents.items():
            path = (*base, "agents", agent_name)
            problems.extend(_name_problem(project, pilot, path, "agent", agent_name))
            if override.model:
                problems.extend(
                    _name_problem(project, pilot, (*path, "model"), "profile", override.model)
                )
            agent = project.agents.get(agent_name)
            kind = registry.lookup("role", agent.spec.role) if agent else None
            if agent and kind:
                problems.extend(
                    _check_params(
                        project,
                        pilot,
                        (*path, "settings"),
                        kind.params,
                        {**agent.spec.settings, **override.settings},
                    )
                )
    return problems
