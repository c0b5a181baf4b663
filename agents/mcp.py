"""Tools of MCP servers for an agent, through langchain-mcp-adapters.

Servers are declared as other MCP clients declare them (``mcpServers``: ``command``/``args``/
``env`` for a local server over stdio, ``url``/``transport`` for one over HTTP); an agent
gets only the tools its allowlist names (glob patterns over ``tool`` or ``server.tool``).
Every result passes the injection screen (``kilab.agents.tools.screen``, as kilab's own tools'
replies do) before the model sees it: a result that tries to instruct the model is withheld
and the call marked in its span.

Each call opens its own session (the adapters' default): a stdio server is started per call,
which keeps no process or state between cases at the price of its start-up time.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import fnmatch
from collections.abc import Awaitable, Coroutine, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import structlog
from langchain_core.tools import BaseTool, StructuredTool

from kilab.agents.mcp_config import McpServer
from kilab.agents.tools import WITHHELD, reply_text, screen
from kilab.core import telemetry
from kilab.core.errors import UserError

log = structlog.get_logger("kilab.agents.mcp")
T = TypeVar("T")


def allowed(server: str, tool: str, patterns: Sequence[str]) -> bool:
    """Whether a tool is on the allowlist (a pattern matches ``tool`` or ``server.tool``)."""
    return any(
        fnmatch.fnmatchcase(tool, p) or fnmatch.fnmatchcase(f"{server}.{tool}", p) for p in patterns
    )


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end from synchronous code, also under a running event loop
    (then in a thread of its own, since the loop cannot be re-entered)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def screened(tool: BaseTool, server: str) -> BaseTool:
    """The tool with every result screened for injected instructions, in a tool span, and
    callable from synchronous code too. The reply carries no artifact: what an MCP server
    returns is text for the model, never passages for citations."""
    call = getattr(tool, "coroutine", None)
    if call is None:
        raise UserError(f"MCP tool {tool.name!r} of server {server!r} cannot be awaited")
    inner: Any = call

    async def run(**kwargs: Any) -> tuple[str, list[Any]]:
        with telemetry.tool_span(
            tool.name, {"kilab.tool.server": server, "kilab.tool.source": "mcp"}
        ) as span:
            reply = await inner(**kwargs)
            content, _, withheld = screen(reply[0] if isinstance(reply, tuple) else reply, None)
            if withheld:
                log.warning("mcp_result_withheld", server=server, tool=tool.name)
                span.set({"kilab.tool.withheld": True})
                return WITHHELD, []
            text = reply_text(content)
            span.set_io(input=kwargs, output=text)
            return text, []

    def run_blocking(**kwargs: Any) -> tuple[str, list[Any]]:
        return run_sync(run(**kwargs))

    return StructuredTool(
        name=tool.name,
        description=tool.description,
        args_schema=tool.args_schema,
        func=run_blocking,
        coroutine=run,
        response_format="content_and_artifact",
        metadata={**(tool.metadata or {}), "mcp_server": server},
    )


async def _listed(connections: Mapping[str, dict[str, Any]]) -> dict[str, list[BaseTool]]:
    from langchain_mcp_adapters.client import MultiServerMCPClient

    client = MultiServerMCPClient(dict(connections))  # type: ignore[arg-type]
    listings: list[Awaitable[list[BaseTool]]] = [
        client.get_tools(server_name=name) for name in connections
    ]
    return dict(zip(connections, await asyncio.gather(*listings), strict=True))


def mcp_tools(
    servers: Mapping[str, McpServer],
    patterns: Sequence[str],
    folder: Path,
    agent: str = "",
) -> list[BaseTool]:
    """The allowed tools of an agent's MCP servers, each screened (see ``screened``).

    Raises:
        UserError: A server cannot be reached or listed, a pattern matches no tool, or two
            servers offer a tool of the same allowed name.
    """
    if not servers:
        return []
    connections = {name: server.connection(folder) for name, server in servers.items()}
    try:
        listed = run_sync(_listed(connections))
    except Exception as exc:  # a server that does not start is the user's to fix
        raise UserError(
            f"agent {agent!r}: could not list the tools of its MCP servers "
            f"({', '.join(servers)}): {type(exc).__name__}: {exc}"
        ) from None
    tools: dict[str, BaseTool] = {}
    for server, offered in listed.items():
        for tool in offered:
            if not allowed(server, tool.name, patterns):
                continue
            if tool.name in tools:
                raise UserError(
                    f"agent {agent!r}: MCP tool {tool.name!r} is offered by two servers; "
                    f"allow it as {server}.{tool.name} from one of them only"
                )
            tools[tool.name] = screened(tool, server)
    offered_names = [(s, t.name) for s, ts in listed.items() for t in ts]
    for pattern in patterns:
        if not any(allowed(s, t, [pattern]) for s, t in offered_names):
            names = ", ".join(f"{s}.{t}" for s, t in offered_names) or "none"
            raise UserError(
                f"agent {agent!r}: mcp_tools pattern {pattern!r} matches no tool of its MCP "
                f"servers (they offer: {names})"
            )
    return list(tools.values())


__all__ = ["WITHHELD", "McpServer", "allowed", "mcp_tools", "run_sync", "screened"]
