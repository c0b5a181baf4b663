"""A fake OpenAI-compatible server that counts requests per question and the most in flight
at once (for tests/evals/test_ray_*.py); the cluster is ``kilab.evals.executors.ray_testing``.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

ANSWER = "Utleieren kan kreve depositum på opptil seks måneders leie. [mini#1]"


# ---------------------------------------------------------------- the fake model server


@dataclass
class FakeServer:
    """A chat-completions endpoint on 127.0.0.1 that answers after ``delay_s``."""

    delay_s: float = 0.1
    port: int = 0
    in_flight: int = 0
    peak: int = 0
    questions: Counter[str] = field(default_factory=Counter)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeServer:
        ready = threading.Event()

        def serve() -> None:
            loop = self._loop = asyncio.new_event_loop()
            server = loop.run_until_complete(
                asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=1024)
            )
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            server.close()
            pending = asyncio.all_tasks(loop)  # open connections: close them on this loop
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(server.wait_closed())
            loop.close()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = json.loads(await reader.readexactly(length)) if length else {}
                self.in_flight += 1
                self.peak = max(self.peak, self.in_flight)
                try:
                    await asyncio.sleep(self.delay_s)
                finally:
                    self.in_flight -= 1
                user = [m["content"] for m in body.get("messages", []) if m["role"] == "user"]
                self.questions[_question(user[-1] if user else "")] += 1
                writer.write(_RESPONSE)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def _question(prompt: str) -> str:
    """The case's question inside the drafter's prompt (the line after 'Spørsmål:')."""
    for marker in ("Spørsmål:", "Question:"):
        if marker in prompt:
            return prompt.split(marker, 1)[1].strip().splitlines()[0].strip()
    return prompt.strip().splitlines()[0] if prompt.strip() else ""


_BODY = json.dumps(
    {
        "id": "chatcmpl-ray",
        "object": "chat.completion",
        "created": 0,
        "model": "fake",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": ANSWER},
            }
        ],
        "usage": {"prompt_tokens": 60, "completion_tokens": 20, "total_tokens": 80},
    }
).encode()
_RESPONSE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
    b"content-length: " + str(len(_BODY)).encode() + b"\r\n\r\n" + _BODY
)


def served(fake: FakeServer) -> Iterator[FakeServer]:
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
