"""Plain text calls go through the openai SDK directly (``kilab.agents.completions``): the
request must be the one langchain-openai sends for the same profile, and only plain
conversations take that path."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import respx
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from kilab.agents.client import ModelClient
from kilab.agents.completions import plain_messages
from kilab.agents.models import chat_model
from kilab.agents.profiles import ModelProfile
from kilab.agents.testing import CHAT, FAKE_KEY, ok, sent, stream
from kilab.core.errors import ModelError

MESSAGES = [
    SystemMessage("Du er en hjelper."),
    HumanMessage("Hva er depositum?"),
    AIMessage("Seks måneders leie."),
    HumanMessage("Og for en bolig?"),
]
AZURE = "http://azure.test"
AZURE_CHAT = re.compile(rf"{re.escape(AZURE)}/openai/deployments/gpt-4o-mini/chat/completions.*")

# Headers that may differ while the request is the same: the body's length (key order), the
# SDK's retry count and time-out, the flag of LangChain asking for the raw response, and the
# client's name (LangChain's Azure model calls itself "langchain-partner-python-azure-openai").
_VARYING = {
    "content-length",
    "user-agent",
    "x-stainless-retry-count",
    "x-stainless-read-timeout",
    "x-stainless-raw-response",
}


def _azure(monkeypatch: pytest.MonkeyPatch) -> ModelProfile:
    monkeypatch.setenv("KILAB_AZURE_KEY", FAKE_KEY)
    return ModelProfile(
        provider="azure",
        model="gpt-4o-mini",
        base_url=AZURE,
        api_key_env="KILAB_AZURE_KEY",
        api_version="2024-10-21",
        max_tokens=300,
    )


def _sent_both(
    mock: respx.MockRouter, route: Any, profile: ModelProfile, reply: httpx.Response, **params: Any
) -> tuple[httpx.Request, httpx.Request]:
    """The request of the direct path and langchain-openai's for the same call."""
    route.mock(return_value=reply)
    ModelClient(profile, use_cache=False).complete(MESSAGES, **params)
    direct = route.calls.last.request
    reference = ModelClient(profile, use_cache=False, model=chat_model(profile))
    reference.complete(MESSAGES, **params)
    return direct, route.calls.last.request


def _same(direct: httpx.Request, reference: httpx.Request) -> None:
    assert direct.url == reference.url
    assert sent(direct) == sent(reference)
    headers = {k: v for k, v in direct.headers.items() if k not in _VARYING}
    assert headers == {k: v for k, v in reference.headers.items() if k not in _VARYING}


@pytest.mark.parametrize("max_tokens", [None, 200])
def test_openai_compatible_request_is_langchain_openais(
    mock: respx.MockRouter, profile: ModelProfile, max_tokens: int | None
) -> None:
    profile = profile.model_copy(update={"max_tokens": max_tokens})
    direct, reference = _sent_both(mock, mock.post(CHAT), profile, ok("Ja."))
    _same(direct, reference)
    assert sent(direct)["messages"][2] == {"role": "assistant", "content": "Seks måneders leie."}
    assert ("max_completion_tokens" in sent(direct)) == (max_tokens is not None)


def test_per_call_temperature_is_sent_as_langchain_openai_sends_it(
    mock: respx.MockRouter, profile: ModelProfile
) -> None:
    direct, reference = _sent_both(mock, mock.post(CHAT), profile, ok("Ja."), temperature=0.7)
    _same(direct, reference)
    assert sent(direct)["temperature"] == 0.7


def test_streamed_request_is_langchain_openais(
    mock: respx.MockRouter, profile: ModelProfile
) -> None:
    profile = profile.model_copy(update={"stream": True})
    direct, reference = _sent_both(mock, mock.post(CHAT), profile, stream(["Seks ", "leie."]))
    _same(direct, reference)


def test_azure_request_is_langchain_openais(
    mock: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    direct, reference = _sent_both(mock, mock.post(AZURE_CHAT), _azure(monkeypatch), ok("Ja."))
    _same(direct, reference)
    assert direct.headers["api-key"] == FAKE_KEY


def test_replies_read_alike_on_both_paths(mock: respx.MockRouter, profile: ModelProfile) -> None:
    mock.post(CHAT).mock(return_value=ok("Hei.", prompt_tokens=12, completion_tokens=3))
    direct = ModelClient(profile, use_cache=False).complete(MESSAGES)
    reference = ModelClient(profile, use_cache=False, model=chat_model(profile)).complete(MESSAGES)
    assert direct == reference
    assert (direct.text, direct.usage.input_tokens, direct.usage.output_tokens) == ("Hei.", 12, 3)


async def test_async_stream_reads_text_and_usage(
    mock: respx.MockRouter, profile: ModelProfile
) -> None:
    mock.post(CHAT).mock(return_value=stream(["Seks ", "måneders ", "leie."]))
    client = ModelClient(profile.model_copy(update={"stream": True}), use_cache=False)
    reply = await client.acomplete(MESSAGES)
    assert (reply.text, reply.usage.input_tokens, reply.usage.output_tokens) == (
        "Seks måneders leie.",
        30,
        7,
    )


def test_plain_text_calls_do_not_build_a_chat_model(
    mock: respx.MockRouter, profile: ModelProfile
) -> None:
    mock.post(CHAT).mock(return_value=ok("Ja."))
    client = ModelClient(profile, use_cache=False)
    client.set_up()
    client.complete(MESSAGES)
    assert client._model is None


@pytest.mark.parametrize(
    "odd",
    [
        HumanMessage("Hei", name="saksbehandler"),
        HumanMessage([{"type": "text", "text": "Hei"}]),
        AIMessage("", tool_calls=[{"name": "search", "args": {}, "id": "c1"}]),
        ToolMessage("treff", tool_call_id="c1"),
        HumanMessage("Hei", additional_kwargs={"metadata": 1}),
    ],
)
def test_messages_beyond_plain_text_go_through_the_chat_model(odd: Any) -> None:
    assert plain_messages([SystemMessage("x"), HumanMessage("y")]) is not None
    assert plain_messages([SystemMessage("x"), odd]) is None


def test_a_message_with_a_name_reaches_the_endpoint_through_langchain(
    mock: respx.MockRouter, profile: ModelProfile
) -> None:
    route = mock.post(CHAT).mock(return_value=ok("Ja."))
    client = ModelClient(profile, use_cache=False)
    assert client.complete([HumanMessage("Hei", name="saksbehandler")]).text == "Ja."
    assert sent(route.calls.last.request)["messages"][0]["name"] == "saksbehandler"
    assert client._model is not None


def test_an_error_object_with_status_200_is_a_model_error(
    mock: respx.MockRouter, profile: ModelProfile
) -> None:
    mock.post(CHAT).mock(return_value=httpx.Response(200, json={"error": {"message": "overload"}}))
    with pytest.raises(ModelError, match=r"not a chat completion.*overload"):
        ModelClient(profile, use_cache=False).complete(MESSAGES)


def test_a_reply_without_content_is_empty_text(
    mock: respx.MockRouter, profile: ModelProfile
) -> None:
    mock.post(CHAT).mock(return_value=ok(None))
    reply = ModelClient(profile, use_cache=False).complete(MESSAGES)
    assert reply.text == "" and reply.usage.calls == 1
