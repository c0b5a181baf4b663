"""The response cache: hits, misses, what changes the key, and no secrets on disk."""

from __future__ import annotations

from pathlib import Path

import respx
from langchain_core.messages import HumanMessage

from kilab.agents.profiles import ModelProfile
from kilab.agents.structured import VerdictModel
from kilab.agents.testing import CHAT, FAKE_KEY, json_reply, ok

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


def test_cache_files_hold_no_key(make_client, mock: respx.MockRouter, tmp_path: Path) -> None:
    mock.post(CHAT).mock(return_value=ok("Svar."))
    make_client(use_cache=True).complete(MESSAGES)
    files = list((tmp_path / "cache").rglob("*.json"))
    assert len(files) == 1
    assert FAKE_KEY not in files[0].read_text(encoding="utf-8")


def test_a_corrupt_entry_is_a_miss(make_client, mock: respx.MockRouter, tmp_path: Path) -> None:
    route = mock.post(CHAT).mock(return_value=ok("Svar."))
    make_client(use_cache=True).complete(MESSAGES)
    for file in (tmp_path / "cache").rglob("*.json"):
        file.write_text("{not json", encoding="utf-8")
    assert make_client(use_cache=True).complete(MESSAGES).text == "Svar."
    assert route.call_count == 2
