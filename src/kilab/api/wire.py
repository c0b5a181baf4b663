"""The OpenAI chat-completions wire format, as far as the service speaks it.

Requests accept what chat front-ends send (extra fields such as ``temperature`` are ignored:
a pilot's answers come from its promoted configuration, not from the client). Answers are
ordinary chat completions with two additions clients may read or ignore: ``citations`` (the
sources, structured) and ``kilab`` (the pilot, its promotion record, the thread and whether a
person must approve first).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kilab.core.errors import UserError


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str = "text"
    text: str = ""


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        return "\n".join(p.text for p in self.content or [] if p.type == "text")


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    user: str = ""

    def question(self) -> str:
        """The question: the last user message (earlier turns do not change a pilot's
        answer, which is drawn from its sources for one question at a time)."""
        for message in reversed(self.messages):
            if message.role == "user" and message.text().strip():
                return message.text().strip()
        raise UserError("the request has no user message with text")


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="The chat completion's id.")
    rating: Literal["up", "down"]
    comment: str = ""


class ResumeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["approve", "revise", "reject"]
    comment: str = ""
    reviewer: str = ""


def _field(passage: Any, name: str) -> str:
    value = passage.get(name, "") if isinstance(passage, Mapping) else getattr(passage, name, "")
    return str(value or "")


def citation_objects(ids: list[str], passages: list[Any]) -> list[dict[str, str]]:
    """The structured citations of an answer: id, title, url and source of each cited passage."""
    by_id = {_field(p, "id"): p for p in passages}
    found = []
    for cited in ids:
        passage = by_id.get(cited, {})
        found.append(
            {
                "id": cited,
                "title": _field(passage, "title"),
                "url": _field(passage, "url"),
                "source": _field(passage, "source"),
            }
        )
    return found


def completion(
    request_id: str,
    model: str,
    content: str,
    citations: list[dict[str, Any]],
    meta: dict[str, Any],
    usage: dict[str, int],
) -> dict[str, Any]:
    """A whole chat completion."""
    return {
        "id": request_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
            }
        ],
        "usage": usage,
        "citations": citations,
        "kilab": meta,
    }


def chunk(
    request_id: str,
    model: str,
    delta: dict[str, Any],
    finish_reason: str | None = None,
    **extra: Any,
) -> str:
    """One server-sent event of a streamed completion."""
    body = {
        "id": request_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        **extra,
    }
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


DONE = "data: [DONE]\n\n"


def error_body(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    """An error as OpenAI clients expect it."""
    return {"error": {"message": message, "type": kind, "code": code}}
