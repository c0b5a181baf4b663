"""Helpers for testing code that talks to a model: OpenAI chat-completions replies as the
wire carries them, for respx (which mocks the classic httpx clients the factory hands the SDK),
and real OpenAI-compatible servers on 127.0.0.1: ``FakeOpenAIServer`` (threads; it can hold
calls until released) and ``AsyncFakeOpenAIServer`` (one event loop; many concurrent calls,
each answered after a delay).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
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


def completion_body(
    reply: str | dict[str, Any], request: dict[str, Any], prompt_tokens: int, completion_tokens: int
) -> dict[str, Any]:
    """What a fake server sends for ``reply`` to ``request``: a whole body as given, a call of
    the request's first tool with ``reply`` (JSON) as its arguments, or a text reply."""
    if isinstance(reply, dict):
        return reply
    if tools := request.get("tools") or []:
        return completion(
            None,
            tool_args=json.loads(reply),
            tool_name=tools[0]["function"]["name"],
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )
    return completion(reply, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)


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


# A request body → the assistant's text, or the whole ``chat.completion`` body to send.
Reply = Callable[[dict[str, Any]], str | dict[str, Any]]


def _fixed(reply: Reply | str) -> Reply:
    if not isinstance(reply, str):
        return reply
    text = reply

    def fixed(_body: dict[str, Any]) -> str:
        return text

    return fixed


class FakeOpenAIServer:
    """A real OpenAI-compatible HTTP server on 127.0.0.1 with scripted replies.

    ``POST /v1/chat/completions`` answers with ``reply(body)`` as the assistant's text (as a
    tool call when the request asks for tools, so structured output works by any method), or
    sends it as it is when it is a whole completion body;
    every request body is kept in ``requests`` as it arrives. ``hold()`` makes calls wait
    (they have arrived, and are counted) until ``release()``, so a test can act while a call
    is in flight (``wait_for_calls``). Use it as a context manager; ``base_url`` is its
    ``/v1`` address on a free port.
    """

    def __init__(
        self, reply: Reply | str = "Svar.", *, prompt_tokens: int = 100, completion_tokens: int = 20
    ) -> None:
        self.reply: Reply = _fixed(reply)
        self.prompt_tokens, self.completion_tokens = prompt_tokens, completion_tokens
        self.requests: list[dict[str, Any]] = []
        self._arrived = threading.Condition()
        self._open = threading.Event()
        self._open.set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake server is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    @property
    def calls(self) -> int:
        """Calls that reached the server, answered or held."""
        return len(self.requests)

    def hold(self) -> None:
        """Make the calls from now on wait until ``release()``."""
        self._open.clear()

    def release(self) -> None:
        """Answer the held calls, and every later one at once."""
        self._open.set()

    def wait_for_calls(self, count: int, timeout: float = 120) -> None:
        """Wait until ``count`` calls have reached the server (a bound, not a measurement).

        Raises:
            TimeoutError: Fewer had arrived after ``timeout`` seconds.
        """
        with self._arrived:
            if not self._arrived.wait_for(lambda: self.calls >= count, timeout):
                raise TimeoutError(f"{self.calls} calls of {count} reached the fake server")

    def _answer(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._arrived:
            self.requests.append(body)
            self._arrived.notify_all()
        self._open.wait()
        return completion_body(self.reply(body), body, self.prompt_tokens, self.completion_tokens)

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
        self.release()  # a held call must not keep its thread
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


# ------------------------------------------------ AsyncFakeOpenAIServer: many calls at once


class AsyncFakeOpenAIServer:
    """An OpenAI-compatible server on 127.0.0.1 on its own event loop (in a thread), for
    many concurrent calls: each is answered with ``reply(body)`` (text, or a whole completion
    body) after ``delay_s``
    (which a test may change between runs). It keeps the body of every call it answered in
    ``requests``, and the most calls it held at once in ``peak``. Plain HTTP/1.1 with
    keep-alive, any path; use it as a context manager."""

    def __init__(
        self,
        reply: Reply | str = "Svar.",
        *,
        delay_s: float = 0.1,
        prompt_tokens: int = 60,
        completion_tokens: int = 20,
    ) -> None:
        self.reply: Reply = _fixed(reply)
        self.delay_s = delay_s
        self.prompt_tokens, self.completion_tokens = prompt_tokens, completion_tokens
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.peak = 0
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if not self.port:
            raise RuntimeError("the fake server is not running")
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> AsyncFakeOpenAIServer:
        ready = threading.Event()

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
            # A deep listen queue, or connections are refused at high concurrency.
            server = loop.run_until_complete(
                asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=4096)
            )
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            loop.run_until_complete(close(server))
            loop.close()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fake server did not start")
        return self

    def __exit__(self, *_: object) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self.port = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:  # one request after the other on a kept-alive connection
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
                self.requests.append(body)
                reply = completion_body(
                    self.reply(body), body, self.prompt_tokens, self.completion_tokens
                )
                payload = json.dumps(reply).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    b"content-length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except asyncio.CancelledError:  # stopping: end quietly (asyncio logs a cancelled handler)
            pass
        finally:
            writer.close()
