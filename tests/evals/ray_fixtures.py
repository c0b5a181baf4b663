"""The fake model of tests/evals/test_ray_*.py: ``kilab.agents.testing.AsyncFakeOpenAIServer``
(many calls at once, each after a delay), counting the calls per case question; the cluster
is ``kilab.evals.executors.ray_testing``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from kilab.agents.testing import AsyncFakeOpenAIServer

ANSWER = "Utleieren kan kreve depositum på opptil seks måneders leie. [mini#1]"


class FakeServer(AsyncFakeOpenAIServer):
    """The server answering every drafter call with one cited sentence about the deposit."""

    def __init__(self, delay_s: float = 0.1) -> None:
        super().__init__(ANSWER, delay_s=delay_s)

    @property
    def questions(self) -> Counter[str]:
        """How often each case's question was answered."""
        return Counter(_question(_user_text(body)) for body in self.requests)


def _user_text(body: dict[str, object]) -> str:
    messages = body.get("messages")
    users = [
        str(m.get("content", ""))
        for m in (messages if isinstance(messages, list) else [])
        if isinstance(m, dict) and m.get("role") == "user"
    ]
    return users[-1] if users else ""


def _question(prompt: str) -> str:
    """The case's question inside the drafter's prompt (the line after 'Spørsmål:')."""
    for marker in ("Spørsmål:", "Question:"):
        if marker in prompt:
            return prompt.split(marker, 1)[1].strip().splitlines()[0].strip()
    return prompt.strip().splitlines()[0] if prompt.strip() else ""


def served(fake: FakeServer) -> Iterator[FakeServer]:
    with fake:
        yield fake
