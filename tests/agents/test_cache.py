"""The response cache: hits, misses, what changes the key, and no secrets on disk."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import respx
from langchain_core.messages import HumanMessage

from kilab.agents.cache import ResponseCache
from kilab.agents.client import ModelClient
from kilab.agents.models import chat_model, endpoint_of
from kilab.agents.profiles import ModelProfile
from kilab.agents.structured import VerdictModel
from kilab.agents.testing import CHAT, FAKE_KEY, FakeOpenAIServer, json_reply, ok
from kilab.core.errors import ModelError

MESSAGES = [HumanMessage("Hva er depositum?")]


def test_hit_skips_the_endpoint_and_costs_nothing(make_client, mock: respx.MockRouter) -> None:
    route = mock.post(CHAT).mock(
        return_value=ok("Seks måneder.", prompt_tokens=40, completion_tokens=4)
    )
    first = make_client(use_cache=True).complete(MESSAGES)
    second = make_client(use_cache=True).complete(MESSAGES)
    assert route.call_count == 1
    assert second.text == first.text
    assert (second.usage.input_tokens, second.usage.output_tokens) == (40, 4)
    assert first.usage.cost > 0 and second.usage.cost == 0.0


def test_anything_that_changes_the_answer_changes_the_key(
    make_client, mock: respx.MockRouter, profile: ModelProfile
) -> None:
    route = mock.post(CHAT).mock(return_value=ok("Svar."))
    make_client(use_cache=True).complete(MESSAGES)
    make_client(use_cache=True).complete([HumanMessage("Noe annet?")])
    make_client(profile.model_copy(update={"temperature": 0.5}), use_cache=True).complete(MESSAGES)
    make_client(profile.model_copy(update={"model": "other"}), use_cache=True).complete(MESSAGES)
    make_client(profile.model_copy(update={"max_tokens": 10}), use_cache=True).complete(MESSAGES)
    assert route.call_count == 5
    other_url = profile.model_copy(update={"base_url": "http://other.test/v1"})
    mock.post("http://other.test/v1/chat/completions").mock(return_value=ok("Svar."))
    make_client(other_url, use_cache=True).complete(MESSAGES)
    assert route.call_count == 5  # the other URL got its own call, this one none
    make_client(use_cache=True).complete(MESSAGES, temperature=0.9)
    assert route.call_count == 6


def test_structured_replies_are_cached_by_schema(make_client, mock: respx.MockRouter) -> None:
    route = mock.post(CHAT).mock(return_value=json_reply({"verdict": "approved", "findings": []}))
    first, _ = make_client(use_cache=True).structured(MESSAGES, VerdictModel)
    again, usage = make_client(use_cache=True).structured(MESSAGES, VerdictModel)
    assert again == first and usage.cost == 0.0 and route.call_count == 1
    make_client(use_cache=True).complete(MESSAGES)  # same messages, no schema: a miss
    assert route.call_count == 2


def test_no_cache_bypasses(make_client, mock: respx.MockRouter, tmp_path: Path) -> None:
    route = mock.post(CHAT).mock(return_value=ok("Svar."))
    make_client(use_cache=False).complete(MESSAGES)
    make_client(use_cache=False).complete(MESSAGES)
    assert route.call_count == 2
    assert not (tmp_path / "cache").exists()


def test_the_cache_holds_no_key(make_client, mock: respx.MockRouter, tmp_path: Path) -> None:
    mock.post(CHAT).mock(return_value=ok("Svar."))
    make_client(use_cache=True).complete(MESSAGES)
    stored = list(ResponseCache(tmp_path / "cache").stored())
    assert len(stored) == 1 and "Svar." in stored[0]
    on_disk = b"".join(f.read_bytes() for f in (tmp_path / "cache").rglob("*") if f.is_file())
    assert FAKE_KEY.encode() not in on_disk


def test_a_corrupt_entry_is_a_miss(make_client, mock: respx.MockRouter, tmp_path: Path) -> None:
    route = mock.post(CHAT).mock(return_value=ok("Svar."))
    make_client(use_cache=True).complete(MESSAGES)
    with sqlite3.connect(tmp_path / "cache" / "responses.sqlite") as db:
        db.execute("UPDATE responses SET reply = '{not json'")
    assert make_client(use_cache=True).complete(MESSAGES).text == "Svar."
    assert route.call_count == 2
    assert make_client(use_cache=True).complete(MESSAGES).text == "Svar."
    assert route.call_count == 2  # the fresh reply replaced the corrupt one


def test_a_file_that_is_no_database_only_turns_the_cache_off(
    make_client, mock: respx.MockRouter, tmp_path: Path
) -> None:
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "responses.sqlite").write_text("not a database", encoding="utf-8")
    route = mock.post(CHAT).mock(return_value=ok("Svar."))
    assert make_client(use_cache=True).complete(MESSAGES).text == "Svar."
    assert make_client(use_cache=True).complete(MESSAGES).text == "Svar."
    assert route.call_count == 2
    assert (tmp_path / "cache" / "responses.sqlite").read_text(encoding="utf-8") == (
        "not a database"
    )


def _openai_profile(**update: object) -> ModelProfile:
    return ModelProfile(
        provider="openai", model="gpt-test", api_key_env="KILAB_TEST_KEY"
    ).model_copy(update=update)


def test_two_servers_never_share_a_cached_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same question to two fake servers on two ports: the second is asked itself, also
    when the URL comes from OPENAI_BASE_URL (which the key once ignored)."""
    monkeypatch.setenv("KILAB_TEST_KEY", FAKE_KEY)
    with FakeOpenAIServer("Svar fra A.") as a, FakeOpenAIServer("Svar fra B.") as b:
        monkeypatch.setenv("OPENAI_BASE_URL", a.base_url)
        first = ModelClient(_openai_profile(), cache_dir=tmp_path).complete(MESSAGES)
        again = ModelClient(_openai_profile(), cache_dir=tmp_path).complete(MESSAGES)
        monkeypatch.setenv("OPENAI_BASE_URL", b.base_url)
        second = ModelClient(_openai_profile(), cache_dir=tmp_path).complete(MESSAGES)
        by_profile = ModelClient(
            _openai_profile(provider="openai-compatible", base_url=a.base_url), cache_dir=tmp_path
        ).complete(MESSAGES)
    assert (first.text, again.text, second.text) == ("Svar fra A.", "Svar fra A.", "Svar fra B.")
    assert len(a.requests) == 1 and len(b.requests) == 1  # A's second answer came from disk
    assert by_profile.text == "Svar fra A." and by_profile.usage.cost == 0.0


def test_a_dead_endpoint_is_not_answered_from_another_servers_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KILAB_TEST_KEY", FAKE_KEY)
    with FakeOpenAIServer("Svar.") as live:
        monkeypatch.setenv("OPENAI_BASE_URL", live.base_url)
        ModelClient(_openai_profile(), cache_dir=tmp_path).complete(MESSAGES)
        dead = live.base_url
    monkeypatch.setenv("OPENAI_BASE_URL", dead.replace("/v1", "/other/v1"))
    profile = _openai_profile(max_retries=0)
    with pytest.raises(ModelError):
        ModelClient(profile, cache_dir=tmp_path).complete(MESSAGES)


def test_the_key_names_the_url_requests_go_to(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1/")
    assert endpoint_of(_openai_profile()) == "http://127.0.0.1:9/v1"
    monkeypatch.setenv("KILAB_TEST_KEY", FAKE_KEY)
    model = chat_model(_openai_profile())
    assert model.openai_api_base == "http://127.0.0.1:9/v1"  # type: ignore[attr-defined]
    monkeypatch.delenv("OPENAI_BASE_URL")
    assert endpoint_of(_openai_profile()) == "https://api.openai.com/v1"
    monkeypatch.setenv("KILAB_LOCAL_BASE_URL", "http://127.0.0.1:8081/v1")
    local = ModelProfile(provider="local", model="qwen", gguf="qwen")
    assert endpoint_of(local) == "http://127.0.0.1:8081/v1"
    monkeypatch.delenv("KILAB_LOCAL_BASE_URL")
    assert endpoint_of(local) == "local:qwen"
