"""Chat models of one profile share one HTTP pool, sized to the profile's concurrency, across
event loops: tested against a real keep-alive HTTP server on 127.0.0.1 that counts the TCP
connections it accepts."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Iterator

import pytest
from langchain_core.messages import HumanMessage

from kilab.agents.models import chat_model
from kilab.agents.profiles import ModelProfile
from kilab.agents.testing import completion


class KeepAliveServer:
    """An OpenAI-compatible server speaking HTTP/1.1 keep-alive, with a short delay per
    reply so that calls overlap; ``connections`` counts accepted TCP connections."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        body = json.dumps(completion("Svar.")).encode()
        reply = (
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        await reader.readexactly(int(line.split(b":", 1)[1]))
                await asyncio.sleep(0.02)
                self.requests += 1
                writer.write(reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=256)
        )
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()
        for task in asyncio.all_tasks(self._loop):  # the open connections' handlers
            task.cancel()
        self._loop.run_until_complete(asyncio.sleep(0.05))  # let them close their writers
        self._loop.run_until_complete(server.wait_closed())
        self._loop.close()

    def __enter__(self) -> KeepAliveServer:
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *_: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


@pytest.fixture
def server() -> Iterator[KeepAliveServer]:
    with KeepAliveServer() as running:
        yield running


def _profile(server: KeepAliveServer, concurrency: int) -> ModelProfile:
    return ModelProfile(
        provider="openai-compatible",
        model=f"pool-{concurrency}",  # a profile of its own: the pool is per profile
        base_url=f"http://127.0.0.1:{server.port}/v1",
        max_concurrency=concurrency,
    )


async def _calls(profile: ModelProfile, n: int, in_flight: int) -> list[str]:
    model = chat_model(profile)
    gate = asyncio.Semaphore(in_flight)

    async def one(i: int) -> str:
        async with gate:
            reply = await model.ainvoke([HumanMessage(f"spørsmål {i}")])
            return str(reply.content)

    return await asyncio.gather(*(one(i) for i in range(n)))


def test_chat_models_of_a_profile_share_one_client(server: KeepAliveServer) -> None:
    profile = _profile(server, 8)
    first, second = chat_model(profile), chat_model(profile)
    assert first.http_async_client is second.http_async_client  # type: ignore[attr-defined]
    assert first.http_client is second.http_client  # type: ignore[attr-defined]
    other = chat_model(_profile(server, 9))
    assert other.http_async_client is not first.http_async_client  # type: ignore[attr-defined]


def test_connections_are_kept_and_reused_up_to_the_concurrency(server: KeepAliveServer) -> None:
    replies = asyncio.run(_calls(_profile(server, 8), 60, 8))
    assert replies == ["Svar."] * 60
    assert server.requests == 60
    assert server.connections <= 8  # httpx's default pool kept 20 and churned past that


def test_more_calls_than_the_pool_wait_for_a_connection(server: KeepAliveServer) -> None:
    replies = asyncio.run(_calls(_profile(server, 3), 30, 12))
    assert replies == ["Svar."] * 30
    assert server.connections <= 3


def test_one_chat_model_serves_one_event_loop_after_another(server: KeepAliveServer) -> None:
    profile = _profile(server, 4)
    model = chat_model(profile)

    async def ask() -> str:
        return str((await model.ainvoke([HumanMessage("hei")])).content)

    # Each asyncio.run has its own loop; the connections of a closed loop are not reused.
    assert [asyncio.run(ask()) for _ in range(3)] == ["Svar."] * 3
    assert model.invoke([HumanMessage("hei")]).content == "Svar."  # the sync client too
