"""The delayed OpenAI-compatible server answers real HTTP with its fixed reply and counts."""

from __future__ import annotations

import asyncio

from openai import AsyncOpenAI

from kilab.agents.testing import DELAYED_ANSWER, DelayedOpenAIServer


def test_answers_every_request_and_counts_questions() -> None:
    async def ask(base_url: str) -> list[str | None]:
        client = AsyncOpenAI(base_url=base_url, api_key="x", max_retries=0)
        try:
            replies = await asyncio.gather(
                *(
                    client.chat.completions.create(
                        model="m",
                        messages=[{"role": "user", "content": f"Kontekst\nSpørsmål: nr {i}\n"}],
                    )
                    for i in range(3)
                ),
                client.chat.completions.create(
                    model="m", messages=[{"role": "user", "content": "nr 0"}]
                ),
            )
        finally:
            await client.close()
        return [r.choices[0].message.content for r in replies]

    with DelayedOpenAIServer(delay_s=0.01) as server:
        answers = asyncio.run(ask(server.base_url))
        assert answers == [DELAYED_ANSWER] * 4
        assert server.requests == 4
        assert server.questions == {"nr 0": 2, "nr 1": 1, "nr 2": 1}
        assert 1 <= server.peak <= 4 and server.in_flight == 0
