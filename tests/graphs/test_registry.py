"""The registry: kinds register by name, agents may list registered agent tools."""

from __future__ import annotations

from pathlib import Path

import pytest
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


def test_the_declared_agent_tools_are_the_built_ins() -> None:
    """``kilab.graphs.nodes`` declares the built-in agent tools by name; they stay in step."""
    from kilab.agents.tools import BUILTIN_TOOLS

    declared = {n for n in registry.names("agent-tool") if not n.startswith("test-")}
    assert declared == set(BUILTIN_TOOLS)
    (tool,) = build_tools(["fetch"], ToolEnv(retriever=None))  # the builder loads on use
    assert tool.name == "fetch"


def test_a_declared_kind_loads_its_builder_on_first_call() -> None:
    from pydantic import BaseModel

    class Params(BaseModel):
        text: str = ""

    registry.declare("tool", "test-declared", Params, "textwrap:dedent", description="Dedent.")
    kind = registry.lookup("tool", "test-declared")
    assert kind is not None and kind.description == "Dedent." and kind.params is Params
    assert kind.build("  a\n  b") == "a\nb"
    with pytest.raises(ValueError, match="module:function"):
        registry.declare("tool", "test-bad", Params, "textwrap.dedent")
