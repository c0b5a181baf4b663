"""A real two-node Ray cluster on this machine, and a fake OpenAI-compatible server that
counts requests per question and the most in flight at once (for tests/evals/test_ray_*.py).

The cluster is two ``ray start --block`` processes (a head and a second node joining it);
stopping them by their pids (SIGTERM) makes Ray shut its own processes down. Ray resolves
127.0.0.1 to the machine's own address, so the nodes also show that address: nothing here
leaves the machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

RAY = Path(sys.executable).parent / "ray"
ANSWER = "Utleieren kan kreve depositum på opptil seks måneders leie. [mini#1]"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Cluster:
    address: str
    processes: list[subprocess.Popen[bytes]]
    temp: Path
    env: dict[str, str]

    def stop(self) -> None:
        import ray

        ray.shutdown()
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(self.temp, ignore_errors=True)


def start_cluster(cpus_per_node: int = 2, env: dict[str, str] | None = None) -> Cluster:
    """``ray start --head`` and a second ``ray start --address``; returns when both are up,
    with this process connected as a driver."""
    # Short: Ray puts unix sockets under it, whose paths may not exceed 107 bytes.
    temp = Path(tempfile.mkdtemp(prefix="kr", dir="/tmp"))
    port = free_port()
    # No token: the cluster is on this machine only, and its driver is this process, which
    # would otherwise need the token a ``ray start`` may have written to ~/.ray.
    os.environ["RAY_AUTH_MODE"] = "disabled"
    environment = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", **(env or {})}
    common = [
        "--block",
        "--node-ip-address=127.0.0.1",
        f"--num-cpus={cpus_per_node}",
        "--disable-usage-stats",
    ]
    head = _start(
        [
            str(RAY),
            "start",
            "--head",
            f"--port={port}",
            "--include-dashboard=false",
            f"--temp-dir={temp}",
            *common,
        ],
        environment,
        temp / "head.log",
    )
    cluster = Cluster(f"127.0.0.1:{port}", [head], temp, environment)
    try:
        deadline = time.monotonic() + 120
        while not _listening(port):
            if head.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((temp / "head.log").read_text(errors="replace"))
            time.sleep(0.2)
        node = _start(
            [str(RAY), "start", f"--address={cluster.address}", *common],
            environment,
            temp / "node.log",
        )
        cluster.processes.append(node)
        import ray

        # This process is the driver of the tests: connected once, for the whole module.
        ray.init(address=cluster.address, logging_level="ERROR", log_to_driver=False)
        while sum(1 for n in ray.nodes() if n["Alive"]) < 2:
            if node.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((temp / "node.log").read_text(errors="replace"))
            time.sleep(0.5)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:  # the child keeps its own descriptor
        return subprocess.Popen(args, env=env, stdout=output, stderr=subprocess.STDOUT)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def shard_workers() -> list[int]:
    """Pids of the Ray worker processes computing a kilab shard right now (their process
    title is ``ray::kilab-shard``)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if title.startswith(b"ray::kilab-shard"):
            pids.append(int(entry.name))
    return pids


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
            self._loop = asyncio.new_event_loop()
            server = self._loop.run_until_complete(
                asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=1024)
            )
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()
            server.close()
            self._loop.run_until_complete(server.wait_closed())

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
