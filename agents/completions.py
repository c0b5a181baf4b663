"""Plain chat completions straight through the openai SDK.

A text call whose messages are plain system, user and assistant text needs nothing of
LangChain's chat-model path (callback managers, run trees, generation objects, the message
conversion): measured against the same server, that path costs about 0.6 ms of CPU a call on
top of the SDK call it wraps, and importing langchain-openai 0.08 s. Such calls go here;
structured output, tool calls, other messages and a chat model handed in stay on the chat
model. The request sent is the one ``ChatOpenAI`` (or ``AzureChatOpenAI``) would send for the
same profile; ``tests/agents/test_completions.py`` compares the two bodies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from kilab.agents.profiles import ModelProfile

if TYPE_CHECKING:
    import openai
    from langchain_core.messages import BaseMessage

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def plain_messages(messages: Sequence[BaseMessage]) -> list[dict[str, str]] | None:
    """The OpenAI messages of a conversation of plain text, or None when a message carries
    more (a name, tool calls, parts, extra fields) and needs LangChain's conversion."""
    converted = []
    for message in messages:
        role = _ROLES.get(message.type)
        if (
            role is None
            or not isinstance(message.content, str)
            or message.name
            or message.additional_kwargs
            or getattr(message, "tool_calls", None)
        ):
            return None
        converted.append({"role": role, "content": message.content})
    return converted


@dataclass(frozen=True, slots=True)
class Reply:
    """The text of a completion and its token counts."""

    text: str
    input_tokens: int
    output_tokens: int


def _usage(usage: Any) -> tuple[int, int]:
    if usage is None:
        return 0, 0
    return int(usage.prompt_tokens or 0), int(usage.completion_tokens or 0)


# A reply that is not streamed is asked for with the SDK's generic request, its documented way
# to reach any endpoint, rather than ``chat.completions.create``: the same URL, headers, body,
# time-out and errors, without walking the request through the SDK's parameter types and the
# reply into its models (0.65 ms of CPU a call of the ~2 ms the SDK costs, by benchmark).
_PATH = "/chat/completions"


def _reply(data: Any) -> Reply:
    """The reply in a chat completion's JSON (a server's error object raises)."""
    if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
        raise ValueError(f"not a chat completion: {str(data)[:200]}")
    choice = data["choices"][0] if data["choices"] else {}
    text = (choice.get("message") or {}).get("content") or ""
    usage = data.get("usage") or {}
    return Reply(
        text, int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
    )


class _Joined:
    """Streamed chunks gathered into one reply (the last chunk carries the usage)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.usage: Any = None

    def add(self, chunk: Any) -> None:
        if chunk.choices and (text := chunk.choices[0].delta.content):
            self.parts.append(text)
        if chunk.usage is not None:
            self.usage = chunk.usage

    def reply(self) -> Reply:
        return Reply("".join(self.parts), *_usage(self.usage))


class DirectChat:
    """Chat completions for one profile through the SDK's clients.

    Args:
        profile: The profile (model, sampling, streaming).
        sync, async_: The SDK clients (``kilab.agents.models.sdk_clients``).
        model: The ``model`` field of the request (None for Azure, whose URL names the
            deployment: langchain-openai sends a null there too).
    """

    def __init__(
        self,
        profile: ModelProfile,
        sync: openai.OpenAI,
        async_: openai.AsyncOpenAI,
        *,
        model: str | None,
    ) -> None:
        self.profile = profile
        self._sync = sync
        self._async = async_
        self._model = model

    def _request(self, messages: list[dict[str, str]], temperature: float) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self._model,
            "messages": messages,
            "stream": self.profile.stream,
        }
        if self.profile.max_tokens is not None:
            request["max_completion_tokens"] = self.profile.max_tokens
        request["temperature"] = temperature
        if self.profile.stream:
            request["stream_options"] = {"include_usage": True}
        return request

    def complete(self, messages: list[dict[str, str]], temperature: float) -> Reply:
        """One completion (streamed when the profile says so)."""
        request = self._request(messages, temperature)
        if not self.profile.stream:
            return _reply(self._sync.post(_PATH, cast_to=httpx.Response, body=request).json())
        joined = _Joined()
        for chunk in self._sync.chat.completions.create(**request):
            joined.add(chunk)
        return joined.reply()

    async def acomplete(self, messages: list[dict[str, str]], temperature: float) -> Reply:
        """``complete`` on the event loop."""
        request = self._request(messages, temperature)
        if not self.profile.stream:
            response = await self._async.post(_PATH, cast_to=httpx.Response, body=request)
            return _reply(response.json())
        joined = _Joined()
        async for chunk in await self._async.chat.completions.create(**request):
            joined.add(chunk)
        return joined.reply()
