"""Retry decisions, Retry-After parsing and the per-minute limit, on a fake clock."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import openai
import pytest

from kilab.agents.profiles import ModelProfile
from kilab.agents.resilience import RateLimiter, RetryPolicy, is_retryable, limits_for, retry_after


def status_error(status: int, headers: dict[str, str] | None = None) -> openai.APIStatusError:
    request = httpx.Request("POST", "http://llm.test/v1/chat/completions")
    response = httpx.Response(status, headers=headers or {}, request=request)
    return openai.APIStatusError("x", response=response, body=None)


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        (429, True),
        (500, True),
        (503, True),
        (408, True),
        (400, False),
        (401, False),
        (404, False),
        (422, False),
    ],
)
def test_which_statuses_are_retried(status: int, retry: bool) -> None:
    assert is_retryable(status_error(status)) is retry


def test_transport_failures_are_retried() -> None:
    assert is_retryable(httpx.ReadTimeout("slow"))
    assert is_retryable(httpx.ConnectError("refused"))
    assert not is_retryable(ValueError("bad json"))


def test_retry_after_forms() -> None:
    assert retry_after(status_error(429, {"retry-after": "3"})) == 3.0
    assert retry_after(status_error(429, {"retry-after-ms": "250"})) == 0.25
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 < (retry_after(status_error(429, {"retry-after": later})) or 0) <= 30
    assert retry_after(status_error(429, {"retry-after": "soon"})) is None
    assert retry_after(status_error(500)) is None


def test_backoff_doubles_with_jitter_and_caps() -> None:
    policy = RetryPolicy(max_retries=8, base_delay_s=1.0, max_delay_s=5.0)
    rng = random.Random(0)
    delays = [policy.delay(n, status_error(500), rng) for n in range(6)]
    for n, delay in enumerate(delays):
        ceiling = min(5.0, 2.0**n)
        assert ceiling / 2 <= delay <= ceiling
    assert policy.delay(0, status_error(429, {"retry-after": "9999"}), rng) == 120.0


def test_rate_limiter_spreads_starts_over_the_minute() -> None:
    now = [1000.0]
    limiter = RateLimiter(3, clock=lambda: now[0])
    assert [limiter.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.reserve() == pytest.approx(60.0)
    now[0] += 30
    assert limiter.reserve() == pytest.approx(30.0)  # booked behind the fourth
    now[0] += 100
    assert limiter.reserve() == 0.0


def test_limits_are_shared_per_profile() -> None:
    a = ModelProfile(
        provider="openai-compatible",
        model="m",
        base_url="http://x/v1",
        max_concurrency=3,
        requests_per_minute=10,
    )
    assert limits_for(a) is limits_for(a.model_copy())
    assert limits_for(a).concurrency.limit == 3
    assert limits_for(a).rate is not None and limits_for(a).rate.per_minute == 10
    assert limits_for(a.model_copy(update={"model": "n"})) is not limits_for(a)
