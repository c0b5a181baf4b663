"""The benchmarks' model server: ``kilab.agents.testing.AsyncFakeOpenAIServer`` (a fixed reply
after a fixed delay) in a process of its own, so its work is not the client's CPU time."""

from __future__ import annotations

import multiprocessing
from multiprocessing.connection import Connection
from types import TracebackType

DELAY_S = 0.1
ANSWER = "Utleieren kan kreve depositum på opptil seks måneders leie. [mini#1]"


def _serve(commands: Connection, delay_s: float) -> None:
    from kilab.agents.testing import AsyncFakeOpenAIServer

    with AsyncFakeOpenAIServer(ANSWER, delay_s=delay_s) as server:
        commands.send(server.port)
        while commands.recv() == "count":
            commands.send(len(server.requests))


class ModelServer:
    """``with ModelServer() as server``: ``server.base_url``; ``server.requests()`` answered."""

    def __init__(self, delay_s: float = DELAY_S) -> None:
        self.delay_s = delay_s
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, delay_s), daemon=True)
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def requests(self) -> int:
        """Chat completions answered so far."""
        self._pipe.send("count")
        count: int = self._pipe.recv()
        return count

    def __enter__(self) -> ModelServer:
        self._process.start()
        self.port = self._pipe.recv()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._pipe.send("stop")
        self._process.join(10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()
