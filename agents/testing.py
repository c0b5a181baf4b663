"""Helpers for testing code that talks to a model: OpenAI chat-completions replies as the
wire carries them, for respx (which mocks the classic httpx clients the factory hands the SDK),
and two real servers on 127.0.0.1: ``FakeOpenAIServer`` (scripted replies) and
``DelayedOpenAIServer`` (one fixed reply after a fixed delay, for load: benchmarks, Ray tests).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

BASE = "http://llm.test/v1"
CHAT = f"{BASE}/chat/completions"
FAKE_KEY = "sk-kilab-FAKE-KEY-0000-do-not-leak-1234"


def completion(
    content: str | None = None,
    *,
    tool_args: dict[str, Any] | None = None,
    tool_name: str = "VerdictModel",
    prompt_tokens: int = 100,
    completion_tokens: int = 20,
) -> dict[str, Any]:
    """A ``chat.completion`` body with a text reply or one tool call."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_args is not None:
        message["tool_calls"] = [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": tool_name, "arguments": json.dumps(tool_args)},
            }
        ]
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if tool_args is not None else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def ok(content: str | None = None, **kwargs: Any) -> httpx.Response:
    return httpx.Response(200, json=completion(content, **kwargs))


def json_reply(data: dict[str, Any], **kwargs: Any) -> httpx.Response:
    return ok(json.dumps(data, ensure_ascii=False), **kwargs)


def stream(
    pieces: list[str], prompt_tokens: int = 30, completion_tokens: int = 7
) -> httpx.Response:
    """A server-sent-events stream of chunks, then a usage chunk, then ``[DONE]``."""

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        body = {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(body)}\n\n"

    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": piece}) for piece in pieces]
    events.append(chunk({}, "stop"))
    usage = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
    events.append(f"data: {json.dumps(usage)}\n\n")
    events.append("data: [DONE]\n\n")
    return httpx.Response(200, text="".join(events), headers={"content-type": "text/event-stream"})


def error(
    status: int, message: str = "boom", headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(
        status, json={"error": {"message": message, "type": "x"}}, headers=headers or {}
    )


def sent(request: httpx.Request) -> dict[str, Any]:
    """The JSON body a request carried."""
    body: dict[str, Any] = json.loads(request.content)
    return body


Reply = Callable[[dict[str, Any]], str]


class FakeOpenAIServer:
    """A real OpenAI-compatible HTTP server on 127.0.0.1 with scripted replies.

    ``POST /v1/chat/completions`` answers with ``reply(body)`` as the assistant's text (as a
    tool call when the request asks for tools, so structured output works by any method);
    every request body is kept in ``requests``. Use it as a context manager; ``base_url``
    is its ``/v1`` address on a free port.
    """

    def __init__(self, reply: Reply | str = "Svar.") -> None:
        if isinstance(reply, str):
            text = reply

            def fixed(_body: dict[str, Any]) -> str:
                return text

            reply = fixed
        self.reply: Reply = reply
        self.requests: list[dict[str, Any]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake server is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def _answer(self, body: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(body)
        text = self.reply(body)
        tools = body.get("tools") or []
        if tools:
            name = tools[0]["function"]["name"]
            return completion(None, tool_args=json.loads(text), tool_name=name)
        return completion(text)

    def __enter__(self) -> FakeOpenAIServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                if not self.path.endswith("/chat/completions"):
                    self.send_error(404)
                    return
                payload = json.dumps(fake._answer(body)).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_: Any) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


DELAYED_ANSWER = "Utleieren kan kreve depositum på opptil seks måneders leie. [mini#1]"


def _wire(body: dict[str, Any]) -> bytes:
    payload = json.dumps(body).encode()
    head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(payload)}"
    return head.encode() + b"\r\n\r\n" + payload


def prompt_question(prompt: str) -> str:
    """The case's question inside a drafter's prompt (the line after 'Spørsmål:')."""
    for marker in ("Spørsmål:", "Question:"):
        if marker in prompt:
            return prompt.split(marker, 1)[1].strip().splitlines()[0].strip()
    return prompt.strip().splitlines()[0] if prompt.strip() else ""


@dataclass
class DelayedOpenAIServer:
    """A chat-completions endpoint on 127.0.0.1 that answers ``answer`` after ``delay_s``.

    An asyncio server on a thread of its own, keep-alive, with a deep listen queue, so it
    holds hundreds of requests in flight. It counts ``requests`` answered, the ``peak`` in
    flight at once and ``questions`` (``prompt_question`` of each last user message). Start
    with ``start()`` (or ``with``), stop with ``stop()``.
    """

    delay_s: float = 0.1
    answer: str = DELAYED_ANSWER
    port: int = 0
    requests: int = 0
    in_flight: int = 0
    peak: int = 0
    questions: Counter[str] = field(default_factory=Counter)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> DelayedOpenAIServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> DelayedOpenAIServer:
        ready = threading.Event()
        response = _wire(completion(self.answer, prompt_tokens=60, completion_tokens=20))

        async def close(server: asyncio.Server) -> None:
            server.close()
            current = asyncio.current_task()
            pending = [t for t in asyncio.all_tasks() if t is not current]
            for task in pending:  # open connections: close them on this loop
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            await server.wait_closed()

        def serve() -> None:
            loop = self._loop = asyncio.new_event_loop()
            server = loop.run_until_complete(
                asyncio.start_server(
                    lambda r, w: self._handle(r, w, response), "127.0.0.1", 0, backlog=4096
                )
            )
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            loop.run_until_complete(close(server))
            loop.close()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the delayed model server did not start within 10 s")
        return self

    def stop(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    async def _handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, response: bytes
    ) -> None:
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
                messages = body.get("messages", [])
                user = [m.get("content") for m in messages if m.get("role") == "user"]
                last = user[-1] if user and isinstance(user[-1], str) else ""
                self.questions[prompt_question(last)] += 1
                self.requests += 1
                writer.write(response)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except asyncio.CancelledError:  # stopping: end quietly (asyncio logs a cancelled handler)
            pass
        finally:
            writer.close()
