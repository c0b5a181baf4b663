"""How an agent's MCP servers are declared: the ``mcpServers`` entries other MCP clients use.

Kept apart from ``kilab.agents.mcp`` (which loads the tools) so that reading a config does not
import LangChain's tool machinery.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kilab.core.errors import UserError
from kilab.core.settings import environment_value

Transport = Literal["stdio", "streamable_http", "http", "sse"]
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class McpServer(BaseModel):
    """One entry of ``mcpServers``: a local server (``command``) or a remote one (``url``).

    ``${NAME}`` in ``env`` and ``headers`` values is replaced by the environment variable
    NAME when the tools are loaded (so keys stay out of YAML), and NAME's value is masked in
    logs and spans from then on.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    command: str | None = Field(None, description="Program that serves MCP over stdio.")
    args: list[str] = Field(default_factory=list, description="Its arguments.")
    env: dict[str, str] = Field(default_factory=dict, description="More environment for it.")
    cwd: str | None = Field(None, description="Its working folder (default: this file's).")
    url: str | None = Field(None, description="Address of a server reached over HTTP.")
    transport: Transport | None = Field(
        None, description="stdio (with command); streamable_http, http or sse (with url)."
    )
    headers: dict[str, str] = Field(default_factory=dict, description="HTTP headers.")

    @model_validator(mode="after")
    def _one_kind(self) -> McpServer:
        if (self.command is None) == (self.url is None):
            raise ValueError("an MCP server has exactly one of 'command' (stdio) or 'url' (HTTP)")
        if self.command is not None:
            if self.transport not in (None, "stdio"):
                raise ValueError(f"transport {self.transport!r} needs 'url', not 'command'")
            if self.headers:
                raise ValueError("'headers' are for a server with 'url'")
        else:
            if self.transport == "stdio":
                raise ValueError("transport 'stdio' needs 'command', not 'url'")
            if self.args or self.env or self.cwd:
                raise ValueError("'args', 'env' and 'cwd' are for a server with 'command'")
            if not (self.url or "").startswith(("http://", "https://")):
                raise ValueError(f"url {self.url!r} must start with http:// or https://")
        return self

    def connection(self, folder: Path) -> dict[str, Any]:
        """The adapters' connection for this server; relative paths from ``folder``."""
        if self.command is not None:
            cwd = folder / self.cwd if self.cwd else folder
            stdio: dict[str, Any] = {
                "transport": "stdio",
                "command": self.command,
                "args": list(self.args),
                "cwd": str(cwd),
            }
            if self.env:
                stdio["env"] = {k: _expand(v) for k, v in self.env.items()}
            return stdio
        transport = "streamable_http" if self.transport in (None, "http") else self.transport
        remote: dict[str, Any] = {"transport": transport, "url": self.url}
        if self.headers:
            remote["headers"] = {k: _expand(v) for k, v in self.headers.items()}
        return remote


def _expand(value: str) -> str:
    from kilab.core.telemetry import register_secret_env

    def variable(match: re.Match[str]) -> str:
        name = match.group(1)
        found = environment_value(name)
        if not found:
            raise UserError(f"MCP server settings name ${{{name}}}, which is not set")
        register_secret_env(name)
        return found

    return _VARIABLE.sub(variable, value)
