"""One setting of a pilot's graph named as ``NODE.PARAM`` or ``AGENT.SETTING``, and a variant
that changes it: what ``tune:`` declares and ``kilab tune`` sweeps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from kilab.core.errors import did_you_mean
from kilab.graphs import registry
from kilab.graphs.project import Project
from kilab.graphs.specs import AgentOverride, PilotSpec, VariantSpec


class OverrideError(ValueError):
    """A target that names no tool node parameter or agent setting of the pilot's graph."""


@dataclass(frozen=True, slots=True)
class Override:
    """A tool node's parameter or an agent's setting, as a variant overrides it."""

    scope: Literal["node", "agent"]
    name: str
    key: str

    def applied(self, variant: VariantSpec, value: Any) -> VariantSpec:
        """``variant`` with this setting set to ``value`` (its other overrides kept)."""
        if self.scope == "node":
            nodes = dict(variant.nodes)
            nodes[self.name] = {**nodes.get(self.name, {}), self.key: value}
            return variant.model_copy(update={"nodes": nodes})
        agents = dict(variant.agents)
        before = agents.get(self.name, AgentOverride())
        agents[self.name] = before.model_copy(
            update={"settings": {**before.settings, self.key: value}}
        )
        return variant.model_copy(update={"agents": agents})


def resolve_override(project: Project, pilot: PilotSpec, target: str) -> Override:
    """The setting ``target`` names: a tool node of the pilot's graph and one of its
    parameters, or an agent of the graph and one of its role's settings.

    Raises:
        OverrideError: With what was allowed and a suggestion.
    """
    name, dot, key = target.partition(".")
    if not dot or not key:
        raise OverrideError(f"{target!r} is not NODE.PARAM or AGENT.SETTING")
    graph = project.graph(pilot.graph)
    tools = {n: node.tool for n, node in graph.nodes.items() if node.tool}
    agents = {node.agent for node in graph.nodes.values() if node.agent}
    if name in tools:
        kind = registry.lookup("tool", tools[name])
        scope: Literal["node", "agent"] = "node"
    elif name in agents:
        kind = registry.lookup("role", project.agent(name).role)
        scope = "agent"
    else:
        allowed = sorted({*tools, *agents})
        raise OverrideError(
            f"no tool node or agent {name!r} in graph {pilot.graph!r} "
            f"(allowed: {', '.join(allowed)}){_suggest(name, allowed)}"
        )
    if kind is None:  # an unknown tool or role: the graph's own checks report it
        return Override(scope, name, key)
    fields = sorted(kind.params.model_fields)
    if key not in fields:
        raise OverrideError(
            f"{name} has no setting {key!r} (allowed: {', '.join(fields)}){_suggest(key, fields)}"
        )
    return Override(scope, name, key)


def _suggest(word: str, allowed: list[str]) -> str:
    near = did_you_mean(word, allowed)
    return f"; did you mean {near!r}?" if near else ""
