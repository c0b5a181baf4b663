"""Plain text calls skip LangChain's run machinery (``kilab.agents.completions``): the
request must be the one langchain-openai sends for the same profile, and only plain
conversations, on models whose request that path can send, take it."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import pytest
import respx
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from kilab.agents.client import ModelClient
from kilab.agents.completions import is_plain
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


@pytest.fixture
def azure(profile: ModelProfile) -> ModelProfile:
    """The test profile as an Azure deployment (same key variable)."""
    update = {"provider": "azure", "model": "gpt-4o-mini", "base_url": AZURE, "max_tokens": 300}
    return profile.model_copy(update={**update, "api_version": "2024-10-21"})


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


def test_azure_request_is_langchain_openais(mock: respx.MockRouter, azure: ModelProfile) -> None:
    direct, reference = _sent_both(mock, mock.post(AZURE_CHAT), azure, ok("Ja."))
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


def test_set_up_prepares_the_text_path(mock: respx.MockRouter, profile: ModelProfile) -> None:
    mock.post(CHAT).mock(return_value=ok("Ja."))
    client = ModelClient(profile, use_cache=False)
    client.set_up()
    assert client.direct is not None
    assert client.complete(MESSAGES).text == "Ja."


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
def test_messages_beyond_plain_text_are_not_plain(odd: Any) -> None:
    assert is_plain([SystemMessage("x"), HumanMessage("y"), AIMessage("z")])
    assert not is_plain([SystemMessage("x"), odd])


def test_a_message_with_a_name_reaches_the_endpoint_through_langchain(
    mock: respx.MockRouter, profile: ModelProfile
) -> None:
    route = mock.post(CHAT).mock(return_value=ok("Ja."))
    client = ModelClient(profile, use_cache=False)
    assert client.complete([HumanMessage("Hei", name="saksbehandler")]).text == "Ja."
    assert sent(route.calls.last.request)["messages"][0]["name"] == "saksbehandler"


def test_an_error_object_with_status_200_is_a_model_error(
    mock: respx.MockRouter, profile: ModelProfile
) -> None:
    mock.post(CHAT).mock(return_value=httpx.Response(200, json={"error": {"message": "overload"}}))
    with pytest.raises(ModelError, match=r"not a chat completion.*overload"):
        ModelClient(profile, use_cache=False).complete(MESSAGES)


def test_a_reply_without_choices_is_a_model_error_not_an_empty_answer(
    mock: respx.MockRouter, profile: ModelProfile, tmp_path: Any
) -> None:
    body = {"id": "c", "object": "chat.completion", "model": "m", "choices": []}
    mock.post(CHAT).mock(return_value=httpx.Response(200, json=body))
    client = ModelClient(profile, cache_dir=tmp_path)
    with pytest.raises(ModelError, match="with a choice"):
        client.complete(MESSAGES)
    assert client.cache is not None and not list(client.cache.stored())


def test_a_reply_without_content_is_empty_text(
    mock: respx.MockRouter, profile: ModelProfile
) -> None:
    mock.post(CHAT).mock(return_value=ok(None))
    reply = ModelClient(profile, use_cache=False).complete(MESSAGES)
    assert reply.text == "" and reply.usage.calls == 1


@pytest.mark.parametrize("model", ["gpt-4o-mini", "gpt-5-mini", "o3", "gpt-5-chat-latest"])
def test_model_rules_of_langchain_openai_apply_on_the_direct_path(
    mock: respx.MockRouter, profile: ModelProfile, model: str
) -> None:
    """ChatOpenAI drops a temperature gpt-5 models refuse and gives o-series models a
    developer message instead of a system one; the direct path sends what it would."""
    profile = profile.model_copy(update={"model": model})
    direct, reference = _sent_both(mock, mock.post(CHAT), profile, ok("Ja."))
    _same(direct, reference)
    body = sent(direct)
    assert ("temperature" in body) == (model != "gpt-5-mini")
    assert body["messages"][0]["role"] == ("developer" if model == "o3" else "system")


def test_a_model_langchain_openai_sends_to_the_responses_api_keeps_its_path(
    profile: ModelProfile,
) -> None:
    assert ModelClient(profile.model_copy(update={"model": "gpt-5-pro"})).direct is None
    assert ModelClient(profile).direct is not None


def test_a_chat_model_handed_in_answers_every_call(profile: ModelProfile) -> None:
    assert ModelClient(profile, model=chat_model(profile)).direct is None


def test_sync_stream_reads_text_and_usage(mock: respx.MockRouter, profile: ModelProfile) -> None:
    mock.post(CHAT).mock(return_value=stream(["Seks ", "leie."], completion_tokens=4))
    client = ModelClient(profile.model_copy(update={"stream": True}), use_cache=False)
    reply = client.complete(MESSAGES)
    assert (reply.text, reply.usage.input_tokens, reply.usage.output_tokens) == (
        "Seks leie.",
        30,
        4,
    )


def _azure_stream_with_filter_chunks() -> httpx.Response:
    """Azure's content filter sends chunks with no delta between the text ones."""
    text = stream(["Seks ", "leie."]).text.split("\n\n")
    filtered = {
        "id": "",
        "object": "",
        "created": 0,
        "model": "",
        "choices": [{"index": 0, "finish_reason": None, "content_filter_results": {}}],
    }
    events = [text[0], f"data: {json.dumps(filtered)}", *text[1:]]
    return httpx.Response(
        200, text="\n\n".join(events), headers={"content-type": "text/event-stream"}
    )


async def test_azure_stream_skips_chunks_without_a_delta(
    mock: respx.MockRouter, azure: ModelProfile
) -> None:
    profile = azure.model_copy(update={"stream": True})
    mock.post(AZURE_CHAT).mock(return_value=_azure_stream_with_filter_chunks())
    reply = await ModelClient(profile, use_cache=False).acomplete(MESSAGES)
    assert (reply.text, reply.usage.output_tokens) == ("Seks leie.", 7)


def test_one_client_answers_on_one_event_loop_after_another(
    mock: respx.MockRouter, profile: ModelProfile
) -> None:
    route = mock.post(CHAT).mock(return_value=ok("Ja."))
    client = ModelClient(profile, use_cache=False)
    for _ in range(2):
        assert asyncio.run(client.acomplete(MESSAGES)).text == "Ja."
    assert route.call_count == 2
