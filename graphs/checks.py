"""Cross-file checks: names resolve, parameters fit their node kind, graphs are well formed."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from kilab.core.errors import Problem, did_you_mean
from kilab.graphs import registry
from kilab.graphs.agent_tools import agent_tool_names
from kilab.graphs.overrides import OverrideError, resolve_override
from kilab.graphs.paths import check_paths, is_outside
from kilab.graphs.project import Project, Sourced, pydantic_problems
from kilab.graphs.specs import END, START, AgentSpec, GraphSpec, PilotSpec
from kilab.graphs.structure import check_structure, node_kind


def check_project(project: Project) -> list[Problem]:
    """Every cross-file problem of a loaded project."""
    problems: list[Problem] = []
    for agent in project.agents.values():
        problems.extend(_check_agent(project, agent))
    for graph in project.graphs.values():
        problems.extend(_check_graph(project, graph))
    for pilot in project.pilots.values():
        problems.extend(_check_pilot(project, pilot))
    problems.extend(check_paths(project))
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
    if (
        spec.prompt
        and not is_outside(project, agent, spec.prompt)  # reported by check_paths
        and not agent.resolve(spec.prompt).is_file()
    ):
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
    problems.extend(check_structure(project, graph))
    return problems


def _check_pilot(project: Project, pilot: Sourced[PilotSpec]) -> list[Problem]:
    spec = pilot.spec
    problems = _name_problem(project, pilot, ("graph",), "graph", spec.graph)
    for role, file in spec.dataset_files().items():
        if not is_outside(project, pilot, file) and not pilot.resolve(file).is_file():
            where = ("dataset",) if role == "dataset" else ("dataset", role)
            key = ".".join(where)
            problems.append(Problem(pilot.locate(*where), f"dataset file {file!r} not found", key))
    graph = project.graphs.get(spec.graph)
    if graph is not None:
        for name, target in spec.tune.items():
            try:
                resolve_override(project, spec, target)
            except OverrideError as exc:
                problems.append(Problem(pilot.locate("tune", name), str(exc), f"tune.{name}"))
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
