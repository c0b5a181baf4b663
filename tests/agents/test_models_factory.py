"""The factory's async HTTP client closes its connections only on the loop that opened them."""

from __future__ import annotations

import asyncio

import httpx
import respx

from kilab.agents.httpclients import _AsyncClient


def test_a_client_collected_in_a_later_loop_schedules_nothing() -> None:
    client = _AsyncClient()

    async def use() -> None:
        with respx.mock() as mock:
            mock.get("http://127.0.0.1:9/x").mock(return_value=httpx.Response(200))
            await client.get("http://127.0.0.1:9/x")

    asyncio.run(use())  # the client's loop is now closed

    async def later() -> int:
        before = len(asyncio.all_tasks())
        client.__del__()  # what garbage collection would do inside this loop
        return len(asyncio.all_tasks()) - before

    assert asyncio.run(later()) == 0


def test_a_client_collected_on_its_own_loop_closes_there() -> None:
    async def scenario() -> bool:
        client = _AsyncClient()
        with respx.mock() as mock:
            mock.get("http://127.0.0.1:9/x").mock(return_value=httpx.Response(200))
            await client.get("http://127.0.0.1:9/x")
        client.__del__()
        await asyncio.sleep(0)  # let the scheduled aclose run
        return client.is_closed

    assert asyncio.run(scenario())
