"""The asyncio fake server answers real HTTP after its delay and keeps what it was asked."""

from __future__ import annotations

import asyncio

from openai import AsyncOpenAI

from kilab.agents.testing import AsyncFakeOpenAIServer


def test_answers_every_request_after_its_delay_and_counts_the_peak() -> None:
    async def ask(base_url: str) -> list[str | None]:
        client = AsyncOpenAI(base_url=base_url, api_key="x", max_retries=0)
        try:
            replies = await asyncio.gather(
                *(
                    client.chat.completions.create(
                        model="m", messages=[{"role": "user", "content": f"nr {i}"}]
                    )
                    for i in range(4)
                )
            )
        finally:
            await client.close()
        return [r.choices[0].message.content for r in replies]

    with AsyncFakeOpenAIServer("Svar.", delay_s=0.05) as server:
        answers = asyncio.run(ask(server.base_url))
        assert answers == ["Svar."] * 4
        asked = sorted(body["messages"][-1]["content"] for body in server.requests)
        assert asked == ["nr 0", "nr 1", "nr 2", "nr 3"]
        # All four were held at once: each waited the delay while the others arrived.
        assert server.peak == 4 and server.in_flight == 0
