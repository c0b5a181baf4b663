"""The tools an agent may name: kilab's built-ins and those plugins register.

The built-ins live in ``kilab.agents.tools`` and are declared in the node registry under the
category ``agent-tool`` (``kilab.graphs.nodes``, by name, so that validating an agent does not
import LangChain); plugins add more with ``@kilab.graphs.registry.agent_tool(name)`` (loaded like
every other kind: built-ins on first lookup, plugins through the ``kilab.nodes`` entry points).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kilab.core.errors import UserError, suggesting
from kilab.graphs import registry
from kilab.graphs.specs import AgentSpec

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

    from kilab.agents.tools import ToolEnv


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
    from kilab.agents.tools import traced

    return [traced(_build_one(name, env)) for name in names]


def build_agent_tools(
    spec: AgentSpec, env: ToolEnv, folder: Path, agent: str = ""
) -> list[BaseTool]:
    """Every tool an agent may call: the named ones, then the allowed tools of its MCP
    servers (``kilab.agents.mcp``; relative paths there are from ``folder``, the agent's).

    Raises:
        UserError: A named tool is not an agent tool, or an MCP server or pattern fails.
    """
    tools = build_tools(spec.tools, env, agent)
    if not spec.mcp_servers:
        return tools
    from kilab.agents.mcp import mcp_tools

    remote = mcp_tools(spec.mcp_servers, spec.mcp_tools, folder, agent)
    clash = sorted({t.name for t in tools} & {t.name for t in remote})
    if clash:
        raise UserError(
            f"agent {agent!r}: MCP tool {clash[0]!r} has the name of a kilab tool; "
            "leave it out of mcp_tools or out of tools"
        )
    return [*tools, *remote]


def _build_one(name: str, env: ToolEnv) -> BaseTool:
    kind = registry.lookup("agent-tool", name)
    assert kind is not None, "checked by build_tools"
    built: BaseTool = kind.build(env)
    return built


__all__ = ["agent_tool_names", "build_agent_tools", "build_tools"]
