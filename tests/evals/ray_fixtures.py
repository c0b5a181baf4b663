"""The delayed OpenAI-compatible server of the Ray tests (tests/evals/test_ray_*.py): it counts
requests per question and the most in flight at once; the cluster is
``kilab.evals.executors.ray_testing``."""

from __future__ import annotations

from collections.abc import Iterator

from kilab.agents.testing import DELAYED_ANSWER as ANSWER
from kilab.agents.testing import DelayedOpenAIServer as FakeServer

__all__ = ["ANSWER", "FakeServer", "served"]


def served(fake: FakeServer) -> Iterator[FakeServer]:
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
