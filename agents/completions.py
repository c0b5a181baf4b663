"""Plain text calls with ChatOpenAI's request, without LangChain's run machinery.

A text call whose messages are plain system, user and assistant text needs nothing of
LangChain's chat-model run (callback managers, run trees, generation objects) nor of the SDK's
typed request building (``chat.completions.create`` walks every message through the parameter
types): together about a millisecond of CPU a call, a third of what an eval case costs. Such a
call goes here: the request is the one the profile's ``ChatOpenAI`` (or ``AzureChatOpenAI``)
builds, with its own payload builder (model rules included: o-series ``developer`` role,
``max_completion_tokens``, gpt-5 sampling), sent with its own SDK client (URL, key,
organisation, Azure deployment, time-out) through the SDK's generic request, the SDK's
documented way to reach any endpoint. A streamed reply uses the client's
``chat.completions.create``.

What ChatOpenAI would send elsewhere (the Responses API) or with request options, and every
call with tools, structured output or other messages, stays on the chat model.
``tests/agents/test_completions.py`` compares the requests of both paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import BaseMessage

_PLAIN_TYPES = frozenset({"system", "human", "ai"})
_PATH = "/chat/completions"
# Keys of a payload that are options of the SDK call rather than fields of the request body.
_CALL_OPTIONS = frozenset({"extra_body", "extra_headers", "extra_query", "timeout"})


def is_plain(messages: Sequence[BaseMessage]) -> bool:
    """A conversation of plain text: system, user and assistant messages with string content
    and nothing more (no name, tool calls, parts or extra fields)."""
    return all(
        m.type in _PLAIN_TYPES
        and isinstance(m.content, str)
        and not m.name
        and not m.additional_kwargs
        and not getattr(m, "tool_calls", None)
        for m in messages
    )


@dataclass(frozen=True, slots=True)
class Reply:
    """The text of a completion and its token counts."""

    text: str
    input_tokens: int
    output_tokens: int


def _tokens(usage: Any) -> tuple[int, int]:
    """Prompt and completion tokens of a usage object or its JSON (zeros when absent)."""
    if not usage:
        return 0, 0
    if isinstance(usage, dict):
        return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
    return int(usage.prompt_tokens or 0), int(usage.completion_tokens or 0)


def _from_json(data: Any) -> Reply:
    """The reply in a chat completion's JSON; an error object or no choice raises, as it
    does through ChatOpenAI."""
    if not isinstance(data, dict) or data.get("error") or not data.get("choices"):
        raise ValueError(f"not a chat completion with a choice: {str(data)[:200]}")
    text = (data["choices"][0].get("message") or {}).get("content") or ""
    return Reply(text, *_tokens(data.get("usage")))


class _Joined:
    """Streamed chunks gathered into one reply (the last chunk carries the usage; Azure's
    content filter sends chunks without a delta)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.usage: Any = None

    def add(self, chunk: Any) -> None:
        delta = chunk.choices[0].delta if chunk.choices else None
        if delta is not None and delta.content:
            self.parts.append(delta.content)
        if chunk.usage is not None:
            self.usage = chunk.usage

    def reply(self) -> Reply:
        return Reply("".join(self.parts), *_tokens(self.usage))


class DirectChat:
    """Plain text calls of one chat model (``langchain_openai.ChatOpenAI`` or its Azure kind)
    sent with its own payload and SDK clients; ``usable`` says whether its calls can be."""

    def __init__(self, chat: BaseChatModel, *, stream: bool) -> None:
        self._chat: Any = chat  # the payload builder and clients are langchain-openai's
        self._stream = stream
        self.usable = self._usable()

    def _usable(self) -> bool:
        try:
            probe = self.payload([], None)
            routed_elsewhere = bool(self._chat._use_responses_api(probe))
            clients = (self._chat.root_client, self._chat.root_async_client)
        except Exception:  # another langchain-openai: its own path stays right
            return False
        return not routed_elsewhere and None not in clients and not _CALL_OPTIONS & probe.keys()

    def payload(self, messages: list[BaseMessage], temperature: float | None) -> dict[str, Any]:
        """ChatOpenAI's request for the messages (at a per-call temperature, when given)."""
        options: dict[str, Any] = {}
        if temperature is not None:
            options["temperature"] = temperature
        if self._stream:
            options |= {"stream": True, "stream_options": {"include_usage": True}}
        payload: dict[str, Any] = self._chat._get_request_payload(messages, **options)
        return payload

    def complete(self, messages: list[BaseMessage], temperature: float | None) -> Reply:
        """One completion (streamed when the profile says so)."""
        payload = self.payload(messages, temperature)
        client = self._chat.root_client
        if not self._stream:
            return _from_json(client.post(_PATH, cast_to=httpx.Response, body=payload).json())
        joined = _Joined()
        with client.chat.completions.create(**payload) as chunks:
            for chunk in chunks:
                joined.add(chunk)
        return joined.reply()

    async def acomplete(self, messages: list[BaseMessage], temperature: float | None) -> Reply:
        """``complete`` on the event loop."""
        payload = self.payload(messages, temperature)
        client = self._chat.root_async_client
        if not self._stream:
            response = await client.post(_PATH, cast_to=httpx.Response, body=payload)
            return _from_json(response.json())
        joined = _Joined()
        async with await client.chat.completions.create(**payload) as chunks:
            async for chunk in chunks:
                joined.add(chunk)
        return joined.reply()
