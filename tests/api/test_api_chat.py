"""``kilab api keys create`` then ``kilab api serve``: the OpenAI Python client and a raw SSE
reader ask a promoted pilot, on the embedded default (SQLite) and on PostgreSQL."""

from __future__ import annotations

import contextlib

import httpx
import openai
import pytest
from conftest import Backend

from kilab.api.store import ServiceStore
from kilab.api.testing import Promoted, create_key, serving, sse_events

pytestmark = pytest.mark.integration
QUESTION = "Hvor mye depositum kan utleier kreve?"


def test_promoted_pilot_answers_with_citations(promoted: Promoted, backend: Backend) -> None:
    key = create_key(backend.home, backend.env, "kd")
    assert key["key"].startswith(f"kl_{key['id']}_") and key["tenant"] == "kd"
    records = promoted.records()
    with contextlib.ExitStack() as stack:
        replica = stack.enter_context(serving(promoted, backend.home, backend.env))
        assert httpx.get(f"{replica.url}/healthz").json()["status"] == "ok"
        ready = httpx.get(f"{replica.url}/readyz").json()
        assert ready["status"] == "ready"
        assert ready["pilots"] == ["mini", "mini-godkjenn", "mini-modell"]
        client = openai.OpenAI(base_url=replica.v1, api_key=key["key"], max_retries=0)
        stack.enter_context(client)

        models = {m.id: m for m in client.models.list()}
        assert sorted(models) == ["mini", "mini-godkjenn", "mini-modell"]
        assert models["mini"].model_extra is not None
        assert models["mini"].model_extra["stage"] == "pilot"
        assert models["mini"].model_extra["config_hash"] == records["mini"]["config_hash"]

        answer = client.chat.completions.create(
            model="mini", messages=[{"role": "user", "content": QUESTION}]
        )
        text = answer.choices[0].message.content or ""
        assert "seks måneders leie" in text and "[mini#1]" in text
        extra = answer.model_extra or {}
        assert extra["citations"][0] == {
            "id": "mini#1",
            "title": "Depositum",
            "url": "",
            "source": "mini",
        }
        meta = extra["kilab"]
        assert meta["record"]["hash"] == records["mini"]["hash"]
        assert meta["record"]["seq"] == records["mini"]["seq"]
        assert meta["status"] == "completed" and meta["changed_since_promotion"] == []

        # the same through the client's stream: the text arrives in pieces, citations last
        pieces, last = [], None
        for event in client.chat.completions.create(
            model="mini", messages=[{"role": "user", "content": QUESTION}], stream=True
        ):
            pieces.append(event.choices[0].delta.content or "")
            last = event
        assert "".join(pieces) == text and len([p for p in pieces if p]) > 1
        assert last is not None and last.choices[0].finish_reason == "stop"
        assert (last.model_extra or {})["citations"] == extra["citations"]

        # and through a raw SSE reader
        body = {
            "model": "mini",
            "stream": True,
            "messages": [{"role": "user", "content": QUESTION}],
        }
        headers = {"Authorization": f"Bearer {key['key']}"}
        with httpx.stream(
            "POST", f"{replica.v1}/chat/completions", json=body, headers=headers, timeout=60
        ) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            events = sse_events(response)
        assert events[-1] == "[DONE]" and events[0]["choices"][0]["delta"]["role"] == "assistant"
        streamed = "".join(e["choices"][0]["delta"].get("content", "") for e in events[:-1])
        assert streamed == text
        assert events[-2]["citations"] == extra["citations"]
        assert events[-2]["kilab"]["record"]["hash"] == records["mini"]["hash"]

        # a question outside the sources is declined as an ordinary answer
        declined = client.chat.completions.create(
            model="mini",
            messages=[{"role": "user", "content": "Hvordan søker jeg om pass til barnet mitt?"}],
        )
        assert (declined.model_extra or {})["kilab"]["declined"] is True
        assert (declined.model_extra or {})["citations"] == []
        assert declined.choices[0].message.content

    store = ServiceStore(backend.store)
    try:
        entries = store.audit_entries(pilot="mini")
    finally:
        store.close()
    assert [e.status for e in entries] == ["completed"] * 4
    assert [e.stream for e in entries] == [False, True, True, False]
    assert entries[0].request_id == answer.id and entries[0].record_hash == records["mini"]["hash"]
    assert entries[0].citations == [c["id"] for c in extra["citations"]]  # what the user was given
    assert entries[0].citations[0] == "mini#1" and entries[0].tenant == "kd"
    assert entries[3].declined and all(e.latency_s > 0 for e in entries)
