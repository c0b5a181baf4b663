"""Model-profile limits that hold for a whole Ray cluster: one actor counts for every worker.

``ClusterLimiter`` is the actor (one per run, owned by the driver): per profile, the calls in
flight and the starts in the last minute (the process-local ``RateLimiter``, reused). The
workers install ``cluster_limits`` as the factory of ``kilab.agents.resilience``, so every
model client they build asks the actor before a call and tells it after.

A worker killed mid-call never releases its slots. Every slot is therefore held in the name
of the shard that took it, and the driver calls ``release_holder`` when a shard dies: its
slots come free and a late acquire in its name is refused.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from kilab.agents.profiles import ModelProfile
from kilab.agents.resilience import (
    ConcurrencyLimit,
    LimitsFactory,
    ProfileLimits,
    RateLimiter,
)
from kilab.evals import keys


class ClusterLimiter:
    """The actor's state (wrapped with ``ray.remote`` by the executor; async methods, so a
    waiting acquire does not block the others)."""

    def __init__(self) -> None:
        self._in_flight: Counter[str] = Counter()
        self._held: dict[str, Counter[str]] = {}
        self._gone: set[str] = set()
        self._rates: dict[str, RateLimiter] = {}
        self._peak: Counter[str] = Counter()
        self._changed = asyncio.Condition()

    async def acquire(self, profile: str, limit: int, holder: str) -> bool:
        """Wait for a free slot of ``profile``; False when ``holder`` is gone meanwhile."""
        async with self._changed:
            await self._changed.wait_for(
                lambda: holder in self._gone or self._in_flight[profile] < limit
            )
            if holder in self._gone:
                return False
            self._in_flight[profile] += 1
            self._held.setdefault(holder, Counter())[profile] += 1
            self._peak[profile] = max(self._peak[profile], self._in_flight[profile])
            return True

    async def release(self, profile: str, holder: str) -> None:
        """Give back one slot ``holder`` took."""
        async with self._changed:
            held = self._held.get(holder)
            if not held or held[profile] <= 0:
                return  # released already by release_holder
            held[profile] -= 1
            self._in_flight[profile] -= 1
            self._changed.notify_all()

    async def release_holder(self, holder: str) -> int:
        """Free every slot of a dead shard; returns how many it held."""
        async with self._changed:
            self._gone.add(holder)
            held = self._held.pop(holder, Counter())
            for profile, count in held.items():
                self._in_flight[profile] -= count
            self._changed.notify_all()
            return sum(held.values())

    async def reserve(self, profile: str, per_minute: int) -> float:
        """Book a call start of ``profile``; the seconds to wait for it."""
        rate = self._rates.setdefault(profile, RateLimiter(per_minute))
        return rate.reserve()

    async def stats(self) -> dict[str, dict[str, int]]:
        """Per profile: calls in flight now and the most ever in flight at once."""
        return {
            profile: {"in_flight": self._in_flight[profile], "peak": self._peak[profile]}
            for profile in self._peak
        }


# ------------------------------------------------------------------ the workers' side

_holder = ""  # the shard this worker process computes now (one at a time per process)


def set_holder(holder: str) -> None:
    """Name the shard whose calls take slots from now on."""
    global _holder
    _holder = holder


def profile_key(profile: ModelProfile) -> str:
    """A profile's name at the actor: equal profiles share limits, as within a process."""
    return keys.digest(profile.model_dump(mode="json"))


class ClusterConcurrency(ConcurrencyLimit):
    """A profile's concurrency, counted by the cluster's actor instead of this process."""

    def __init__(self, actor: Any, profile: str, limit: int) -> None:
        super().__init__(limit)
        self._actor, self._profile = actor, profile

    def acquire(self) -> None:
        import ray

        ray.get(self._actor.acquire.remote(self._profile, self.limit, _holder))
        self._count(+1)

    async def aacquire(self) -> None:
        await self._actor.acquire.remote(self._profile, self.limit, _holder)
        self._count(+1)

    def release(self) -> None:
        self._count(-1)
        # The calls of a shard end before its worker takes the next shard, so the holder
        # is still the one that acquired. Not waited for: the actor keeps the order.
        self._actor.release.remote(self._profile, _holder)

    def _count(self, step: int) -> None:
        with self._cond:
            self.in_flight += step


class ClusterRate(RateLimiter):
    """A profile's requests per minute, booked at the cluster's actor."""

    def __init__(self, actor: Any, profile: str, per_minute: int) -> None:
        super().__init__(per_minute)
        self._actor, self._profile = actor, profile

    def reserve(self) -> float:
        import ray

        wait: float = ray.get(self._actor.reserve.remote(self._profile, self.per_minute))
        return wait


def cluster_limits(actor: Any) -> LimitsFactory:
    """The limits factory of ``kilab.agents.resilience.use_limits`` that asks ``actor``."""

    def make(profile: ModelProfile) -> ProfileLimits:
        key = profile_key(profile)
        rate = profile.requests_per_minute
        return ProfileLimits(
            ClusterConcurrency(actor, key, profile.max_concurrency),
            ClusterRate(actor, key, rate) if rate else None,
        )

    return make
