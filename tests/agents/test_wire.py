"""The OpenAI wire format through the model client: replies, streams, errors, usage."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx
from langchain_core.messages import HumanMessage, SystemMessage

from kilab.agents.profiles import ModelProfile
from kilab.agents.structured import VerdictModel
from kilab.agents.testing import CHAT, FAKE_KEY, completion, error, json_reply, ok, sent, stream
from kilab.core.errors import ModelError

MESSAGES = [SystemMessage("Du er en hjelper."), HumanMessage("Hva er depositum?")]


def test_plain_reply_text_usage_and_cost(make_client, mock: respx.MockRouter) -> None:
    route = mock.post(CHAT).mock(return_value=ok("Hei.", prompt_tokens=1000, completion_tokens=500))
    reply = make_client().complete(MESSAGES)
    assert reply.text == "Hei."
    assert (reply.usage.calls, reply.usage.input_tokens, reply.usage.output_tokens) == (
        1,
        1000,
        500,
    )
    assert reply.usage.cost == pytest.approx((1000 * 2.0 + 500 * 8.0) / 1e6)
    request = route.calls.last.request
    assert request.headers["authorization"] == f"Bearer {FAKE_KEY}"
    body = sent(request)
    assert body["model"] == "test-model"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["temperature"] == 0.0


def test_streaming_joins_chunks_and_reads_usage(
    make_client, mock: respx.MockRouter, profile: ModelProfile
) -> None:
    route = mock.post(CHAT).mock(return_value=stream(["Seks ", "måneders ", "leie."]))
    client = make_client(profile.model_copy(update={"stream": True}))
    reply = client.complete(MESSAGES)
    assert reply.text == "Seks måneders leie."
    assert (reply.usage.input_tokens, reply.usage.output_tokens) == (30, 7)
    body = sent(route.calls.last.request)
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


async def test_async_streaming(make_client, mock: respx.MockRouter, profile: ModelProfile) -> None:
    mock.post(CHAT).mock(return_value=stream(["a", "b"]))
    reply = await make_client(profile.model_copy(update={"stream": True})).acomplete(MESSAGES)
    assert (reply.text, reply.usage.output_tokens) == ("ab", 7)


def test_429_honours_retry_after(make_client, mock: respx.MockRouter, sleeps) -> None:
    route = mock.post(CHAT).mock(
        side_effect=[error(429, "slow down", {"retry-after": "7"}), ok("Ja.")]
    )
    assert make_client().complete(MESSAGES).text == "Ja."
    assert route.call_count == 2
    assert sleeps == [7.0]


def test_500_then_success_backs_off_with_jitter(
    make_client, mock: respx.MockRouter, sleeps
) -> None:
    route = mock.post(CHAT).mock(side_effect=[error(500), error(503), ok("Ja.")])
    assert make_client().complete(MESSAGES).text == "Ja."
    assert route.call_count == 3
    # base 0.5 s doubling, each wait jittered into [half, full] of its ceiling
    assert 0.25 <= sleeps[0] <= 0.5
    assert 0.5 <= sleeps[1] <= 1.0


def test_timeouts_exhaust_retries_into_model_error(
    make_client, mock: respx.MockRouter, sleeps
) -> None:
    route = mock.post(CHAT).mock(side_effect=httpx.ReadTimeout("too slow"))
    with pytest.raises(ModelError, match="after 4 attempts"):
        make_client().complete(MESSAGES)
    assert route.call_count == 4  # first try + max_retries=3
    assert len(sleeps) == 3


def test_dropped_connection_is_retried(make_client, mock: respx.MockRouter) -> None:
    route = mock.post(CHAT).mock(side_effect=[httpx.RemoteProtocolError("dropped"), ok("Ja.")])
    assert make_client().complete(MESSAGES).text == "Ja."
    assert route.call_count == 2


def test_client_errors_are_not_retried(make_client, mock: respx.MockRouter) -> None:
    route = mock.post(CHAT).mock(return_value=error(401, "bad key"))
    with pytest.raises(ModelError, match="HTTP 401"):
        make_client().complete(MESSAGES)
    assert route.call_count == 1


async def test_async_retries_and_usage(make_client, mock: respx.MockRouter, sleeps) -> None:
    mock.post(CHAT).mock(side_effect=[error(502), ok("Ja.", prompt_tokens=5, completion_tokens=2)])
    reply = await make_client().acomplete(MESSAGES)
    assert (reply.text, reply.usage.input_tokens, reply.usage.output_tokens) == ("Ja.", 5, 2)
    assert len(sleeps) == 1


# -- structured output --------------------------------------------------------------------

VERDICT = {"verdict": "revise", "findings": [{"message": "mangler kilde", "sentence": "X."}]}


def test_json_schema_first(make_client, mock: respx.MockRouter) -> None:
    route = mock.post(CHAT).mock(return_value=json_reply(VERDICT))
    verdict, usage = make_client().structured(MESSAGES, VerdictModel)
    assert verdict.verdict == "revise" and verdict.findings[0].sentence == "X."
    assert usage.calls == 1
    body = sent(route.calls.last.request)
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["name"] == "VerdictModel"


def test_falls_back_to_function_calling_and_remembers(make_client, mock: respx.MockRouter) -> None:
    route = mock.post(CHAT).mock(
        side_effect=[
            error(400, "response_format json_schema is not supported"),
            ok(None, tool_args=VERDICT),
            ok(None, tool_args={"verdict": "approved", "findings": []}),
        ]
    )
    client = make_client()
    verdict, _ = client.structured(MESSAGES, VerdictModel)
    assert verdict.verdict == "revise"
    second = sent(route.calls[1].request)
    assert "response_format" not in second
    assert second["tools"][0]["function"]["name"] == "VerdictModel"
    # The next call goes straight to the method that worked.
    verdict, _ = make_client().structured([HumanMessage("igjen")], VerdictModel)
    assert verdict.verdict == "approved"
    assert route.call_count == 3
    assert "tools" in sent(route.calls[2].request)


def test_falls_back_to_json_mode_with_schema_in_prompt(make_client, mock: respx.MockRouter) -> None:
    route = mock.post(CHAT).mock(
        side_effect=[error(400, "no json_schema"), error(422, "no tools"), json_reply(VERDICT)]
    )
    verdict, _ = make_client().structured(MESSAGES, VerdictModel)
    assert verdict.verdict == "revise"
    body = sent(route.calls[2].request)
    assert body["response_format"] == {"type": "json_object"}
    assert "JSON-skjemaet" in body["messages"][-1]["content"]
    assert '"verdict"' in body["messages"][-1]["content"]


def test_every_method_rejected_is_a_model_error(make_client, mock: respx.MockRouter) -> None:
    route = mock.post(CHAT).mock(return_value=error(400, "nope"))
    with pytest.raises(ModelError, match="rejected every structured-output method"):
        make_client().structured(MESSAGES, VerdictModel)
    assert route.call_count == 3


def test_malformed_json_is_retried_once(make_client, mock: respx.MockRouter) -> None:
    route = mock.post(CHAT).mock(side_effect=[ok('{"verdict": "appro'), json_reply(VERDICT)])
    verdict, usage = make_client().structured(MESSAGES, VerdictModel)
    assert verdict.verdict == "revise"
    assert route.call_count == 2
    assert usage.calls == 2


def test_malformed_json_twice_is_a_model_error(make_client, mock: respx.MockRouter) -> None:
    route = mock.post(CHAT).mock(side_effect=[ok("ikke json"), ok('{"verdict": "kanskje"}')])
    with pytest.raises(ModelError, match="does not parse"):
        make_client().structured(MESSAGES, VerdictModel)
    assert route.call_count == 2


def test_forced_method_is_the_only_one_tried(
    make_client, mock: respx.MockRouter, profile: ModelProfile
) -> None:
    route = mock.post(CHAT).mock(return_value=ok(None, tool_args=VERDICT))
    client = make_client(profile.model_copy(update={"structured_method": "function_calling"}))
    assert client.structured(MESSAGES, VerdictModel)[0].verdict == "revise"
    assert route.call_count == 1 and "tools" in sent(route.calls.last.request)


async def test_async_structured_fallback(make_client, mock: respx.MockRouter) -> None:
    mock.post(CHAT).mock(side_effect=[error(400), ok(None, tool_args=VERDICT)])
    verdict, usage = await make_client().astructured(MESSAGES, VerdictModel)
    assert verdict.verdict == "revise" and usage.calls == 1


async def test_concurrency_limit_holds_under_gather(
    make_client, mock: respx.MockRouter, profile: ModelProfile
) -> None:
    client = make_client(profile.model_copy(update={"max_concurrency": 2}))
    peak = 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal peak
        peak = max(peak, client.limits.concurrency.in_flight)
        await asyncio.sleep(0.01)
        return ok("Ja.")

    mock.post(CHAT).mock(side_effect=slow)
    await asyncio.gather(*(client.acomplete([HumanMessage(str(i))]) for i in range(6)))
    assert peak == 2
    assert client.limits.concurrency.in_flight == 0


def test_completion_shape_is_openai(make_client) -> None:
    assert completion("x")["choices"][0]["message"]["content"] == "x"
