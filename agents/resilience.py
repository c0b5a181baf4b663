"""Retries with backoff, and the per-profile limits shared by every role in the process.

LangChain's own retries are switched off (``max_retries=0`` on the client) so that the policy
here is the only one, and can be tested: which failures are retried, how long to wait
(``Retry-After`` first, else exponential backoff with jitter), and how many calls may be in
flight or start per minute for one profile.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx
import openai

from kilab.agents.profiles import ModelProfile

RETRYABLE_STATUS = frozenset({408, 409, 429})
MAX_RETRY_AFTER_S = 120.0


def status_of(exc: BaseException) -> int | None:
    """The HTTP status behind an exception, when there is one."""
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code
    return None


def is_retryable(exc: BaseException) -> bool:
    """Rate limits, server errors, time-outs and dropped connections are worth another try."""
    status = status_of(exc)
    if status is not None:
        return status in RETRYABLE_STATUS or status >= 500
    return isinstance(exc, openai.APIConnectionError | httpx.TransportError | TimeoutError)


def retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (``Retry-After`` or ``retry-after-ms``), if any."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry a failed call."""

    max_retries: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 20.0

    def delay(self, attempt: int, exc: BaseException, rng: random.Random) -> float:
        """Wait before retry number ``attempt`` (0-based): the server's wish, else backoff."""
        asked = retry_after(exc)
        if asked is not None:
            return min(asked, MAX_RETRY_AFTER_S)
        ceiling = min(self.max_delay_s, self.base_delay_s * 2.0**attempt)
        return ceiling * rng.uniform(0.5, 1.0)  # jitter keeps parallel callers apart


class RateLimiter:
    """At most ``per_minute`` call starts in any sliding minute.

    ``reserve`` books the earliest free start and says how long to wait for it; the caller
    sleeps (in a thread or on an event loop) outside the lock.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._starts: deque[float] = deque()
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Book a start and return the seconds to wait before it."""
        with self._lock:
            now = self._clock()
            while self._starts and self._starts[0] <= now - 60.0:
                self._starts.popleft()
            start = now
            if len(self._starts) >= self.per_minute:
                start = max(now, self._starts[-self.per_minute] + 60.0)
            self._starts.append(start)
            return start - now


class ConcurrencyLimit:
    """A counter that threads and any event loop can share (``asyncio`` primitives cannot)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0
        self._cond = threading.Condition()

    def _try_acquire(self) -> bool:
        with self._cond:
            if self.in_flight < self.limit:
                self.in_flight += 1
                return True
            return False

    def acquire(self) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self.in_flight < self.limit)
            self.in_flight += 1

    async def aacquire(self) -> None:
        pause = 0.001
        while not self._try_acquire():
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)

    def release(self) -> None:
        with self._cond:
            self.in_flight -= 1
            self._cond.notify()


@dataclass(slots=True)
class ProfileLimits:
    """The shared limits of one profile."""

    concurrency: ConcurrencyLimit
    rate: RateLimiter | None = None
    structured_method: str | None = None  # the structured-output method the server accepted


LimitsFactory = Callable[[ModelProfile], ProfileLimits]

_LIMITS: dict[ModelProfile, ProfileLimits] = {}
_LIMITS_LOCK = threading.Lock()
_FACTORY: LimitsFactory | None = None


def process_limits(profile: ModelProfile) -> ProfileLimits:
    """New limits of a profile that hold within this process (the default)."""
    rate = RateLimiter(profile.requests_per_minute) if profile.requests_per_minute else None
    return ProfileLimits(ConcurrencyLimit(profile.max_concurrency), rate)


def limits_for(profile: ModelProfile) -> ProfileLimits:
    """The limits every role on this profile shares within the process."""
    with _LIMITS_LOCK:
        limits = _LIMITS.get(profile)
        if limits is None:
            limits = (_FACTORY or process_limits)(profile)
            _LIMITS[profile] = limits
        return limits


def use_limits(factory: LimitsFactory | None) -> None:
    """Make every profile's limits with ``factory`` from now on (None: ``process_limits``).

    A distributed executor installs limits shared by a whole cluster here (ConcurrencyLimit
    and RateLimiter subclasses that ask a coordinator), so that a profile's rate limit and
    concurrency hold for all workers together; clients built later pick them up.
    """
    global _FACTORY
    with _LIMITS_LOCK:
        _FACTORY = factory
        _LIMITS.clear()


def reset_limits() -> None:
    """Forget every profile's limits and learnt structured-output method (for tests)."""
    with _LIMITS_LOCK:
        _LIMITS.clear()
