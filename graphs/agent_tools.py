"""The tools an agent may name: kilab's built-ins and those plugins register.

The built-ins live in ``kilab.agents.tools``; here they join the node registry under the
category ``agent-tool``, so plugins add more with ``@kilab.graphs.registry.agent_tool(name)``
(loaded like every other kind: built-ins on first lookup, plugins through the ``kilab.nodes``
entry points).
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.tools import BaseTool

from kilab.agents.tools import BUILTIN_TOOLS, ToolEnv, traced
from kilab.core.errors import UserError, suggesting
from kilab.graphs import registry

for _name, _build in BUILTIN_TOOLS.items():
    registry.agent_tool(_name)(_build)


def agent_tool_names() -> list[str]:
    """Every name an agent may list in ``tools``."""
    return registry.names("agent-tool")


def build_tools(names: Sequence[str], env: ToolEnv, agent: str = "") -> list[BaseTool]:
    """The tools an agent declared, built for its corpus.

    Raises:
        UserError: A listed tool is a node tool that an agent cannot call.
    """
    known = agent_tool_names()
    unknown = [n for n in names if n not in known]
    if unknown:
        message = f"agent {agent!r}: tool {unknown[0]!r} cannot be called by an agent"
        raise UserError(suggesting(message, unknown[0], known, "agent tools"))
    return [traced(_build_one(name, env)) for name in names]


def _build_one(name: str, env: ToolEnv) -> BaseTool:
    kind = registry.lookup("agent-tool", name)
    assert kind is not None, "checked by build_tools"
    built: BaseTool = kind.build(env)
    return built


__all__ = ["agent_tool_names", "build_tools"]
