"""The registry: kinds register by name, agents may list registered agent tools."""

from __future__ import annotations

from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool

from kilab.agents.tools import ToolEnv
from kilab.graphs import registry
from kilab.graphs.agent_tools import build_tools
from kilab.graphs.project import load_project


@registry.agent_tool("test-echo")
def _echo(env: ToolEnv) -> BaseTool:
    """``test-echo(text)``: says the text back."""

    def echo(text: str) -> str:
        return text

    return StructuredTool.from_function(echo, name="test-echo", description="Echo.")


def test_a_registered_agent_tool_validates_and_builds(configs: Path) -> None:
    agent = configs / "agents" / "researcher.yaml"
    text = agent.read_text(encoding="utf-8")
    agent.write_text(text.replace("tools: [", "tools: [test-echo, "), encoding="utf-8")
    project = load_project([configs], root=configs)  # no "no tool named 'test-echo'"
    assert "test-echo" in project.agents["researcher"].spec.tools
    assert "test-echo" in registry.names("agent-tool")
    assert "test-echo" not in registry.names("tool")  # graphs cannot use it as a node
    (tool,) = build_tools(["test-echo"], ToolEnv(retriever=None))
    assert tool.invoke({"text": "hei"}) == "hei"
