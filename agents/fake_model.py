"""A chat model with scripted replies, for tests and demos of tool-using agents.

It ships with the package (like LangChain's fakes) so that a plugin author can test an agent
loop without a model service: give it the replies (text, or tool calls), and read back what
it was sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, Field


def tool_call(name: str, args: dict[str, Any], id: str = "", tokens: int = 0) -> AIMessage:
    """A scripted reply that calls one tool (``tokens``: input tokens it reports using)."""
    return AIMessage(
        content="",
        tool_calls=[{"name": name, "args": args, "id": id or f"call_{name}", "type": "tool_call"}],
        usage_metadata={"input_tokens": tokens, "output_tokens": 0, "total_tokens": tokens},
    )


def answer(text: str, tokens: int = 0) -> AIMessage:
    """A scripted final reply without tool calls."""
    return AIMessage(
        content=text,
        usage_metadata={"input_tokens": tokens, "output_tokens": 0, "total_tokens": tokens},
    )


class ScriptedChatModel(BaseChatModel):
    """Replies with the next scripted message each call; repeats the last one when out.

    Attributes:
        replies: What to answer, in order.
        seen: Every message list it was sent, in order.
        bound_tools: Names of the tools it was bound to.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    replies: list[AIMessage]
    seen: list[list[BaseMessage]] = Field(default_factory=list)
    bound_tools: list[str] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.seen.append(list(messages))
        turn = len(self.seen)
        reply = self.replies[min(turn, len(self.replies)) - 1]
        # Every call gets its own tool-call ids, as a real model's would, also on repeats.
        calls = [{**c, "id": f"{c['id']}-{turn}"} for c in reply.tool_calls]
        message = reply.model_copy(update={"tool_calls": calls})
        return ChatResult(generations=[ChatGeneration(message=message)])

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any
    ) -> ScriptedChatModel:
        self.bound_tools = [getattr(t, "name", str(t)) for t in tools]
        return self
