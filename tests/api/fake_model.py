"""A real OpenAI-compatible chat server on 127.0.0.1, in a thread of the test process.

It answers every call with one cited sentence about the deposit, and it can be told to *hold*
calls (they wait until released), so a test can kill a replica while a request is in flight.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ANSWER = "Utleieren kan kreve depositum på opptil seks måneders leie. [mini#1]"


class FakeModel:
    """The server; ``hold()`` makes calls wait, ``release()`` lets them through."""

    def __init__(self) -> None:
        self._open = threading.Event()
        self._open.set()
        self._arrived = threading.Condition()
        self.calls = 0  # calls that reached the server (answered or held)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                self.rfile.read(length)
                with fake._arrived:
                    fake.calls += 1
                    fake._arrived.notify_all()
                fake._open.wait()
                body = json.dumps(_completion()).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def wait_for_call(self, count: int, timeout: float = 120) -> None:
        """Wait until ``count`` calls have reached the server (a bound, not a measurement)."""
        with self._arrived:
            assert self._arrived.wait_for(lambda: self.calls >= count, timeout), self.calls

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def close(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()


def _completion() -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
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
        "usage": {"prompt_tokens": 120, "completion_tokens": 20, "total_tokens": 140},
    }
