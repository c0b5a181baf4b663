"""Router mode: a model that cannot call tools reliably picks the next tool as structured output.

Small local models often garble native tool calls, but follow a JSON schema well (llama.cpp
constrains the output to it). The router shows the model the tools and their arguments, asks
for ``{"tool": …, "arguments": {…}, "answer": …}``, and turns the choice into an ordinary tool
call, so the same loop, ``ToolNode`` validation, limits and trace apply.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field

FINISH = "finish"


class NextStep(BaseModel):
    """The model's choice of what to do next."""

    model_config = ConfigDict(extra="ignore")

    tool: str = Field(description=f"Name of the tool to call, or '{FINISH}' when done.")
    arguments: dict[str, Any] = Field(default_factory=dict, description="The tool's arguments.")
    answer: str = Field(default="", description=f"With '{FINISH}': the final answer.")


def tool_menu(tools: Sequence[BaseTool]) -> str:
    """The tools, their descriptions and argument schemas, as the router prompt lists them."""
    lines = ["Du kan bruke disse verktøyene:"]
    for t in tools:
        fields: dict[str, Any] = t.args
        args = ", ".join(f"{k}: {v.get('type', 'any')}" for k, v in fields.items())
        lines.append(f"- {t.name}({args}): {t.description}")
    lines.append(
        f'Svar bare med JSON: {{"tool": navn eller "{FINISH}", "arguments": {{...}}, '
        '"answer": tekst når du er ferdig}.'
    )
    return "\n".join(lines)


def _plain(messages: Sequence[BaseMessage], menu: str) -> list[BaseMessage]:
    """The conversation without native tool messages, which small servers may not accept."""
    plain: list[BaseMessage] = []
    for m in messages:
        if isinstance(m, AIMessage) and m.tool_calls:
            chosen = [{"tool": c["name"], "arguments": c["args"]} for c in m.tool_calls]
            plain.append(AIMessage(json.dumps(chosen[0], ensure_ascii=False)))
        elif isinstance(m, ToolMessage):
            plain.append(HumanMessage(f"Resultat fra {m.name or 'verktøyet'}:\n{m.content}"))
        else:
            plain.append(m)
    system = [m for m in plain if isinstance(m, SystemMessage)]
    rest = [m for m in plain if not isinstance(m, SystemMessage)]
    prompt = "\n\n".join([*(str(m.content) for m in system), menu])
    return [SystemMessage(prompt), *rest]


class RouterModel:
    """Wraps a chat model so that its structured choice becomes a tool call."""

    def __init__(
        self, chat: BaseChatModel, tools: Sequence[BaseTool], method: str = "json_schema"
    ) -> None:
        self.menu = tool_menu(tools)
        self.runnable = chat.with_structured_output(
            NextStep,
            method=method,
            include_raw=True,
        )

    @staticmethod
    def _reply(result: Any, turn: int) -> AIMessage:
        raw = result.get("raw")
        parsed = result.get("parsed")
        usage = raw.usage_metadata if isinstance(raw, AIMessage) else None
        if not isinstance(parsed, NextStep):
            text = str(raw.content) if isinstance(raw, AIMessage) else ""
            return AIMessage(content=text, usage_metadata=usage)
        if parsed.tool == FINISH:
            return AIMessage(content=parsed.answer, usage_metadata=usage)
        call = {
            "name": parsed.tool,
            "args": parsed.arguments,
            "id": f"route_{turn}",
            "type": "tool_call",
        }
        return AIMessage(content="", tool_calls=[call], usage_metadata=usage)

    def invoke(self, input: list[BaseMessage]) -> BaseMessage:
        return self._reply(self.runnable.invoke(_plain(input, self.menu)), _turn(input))

    async def ainvoke(self, input: list[BaseMessage]) -> BaseMessage:
        return self._reply(await self.runnable.ainvoke(_plain(input, self.menu)), _turn(input))


def _turn(messages: Sequence[BaseMessage]) -> int:
    return sum(isinstance(m, AIMessage) for m in messages)
