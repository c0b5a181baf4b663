"""A llama.cpp server on 127.0.0.1, in this process, through the ``xllamacpp`` package.

``ensure_server`` starts one server per local model on first use and stops it when the
process ends; ``KILAB_LOCAL_BASE_URL`` points the local profile at a server started
elsewhere (``kilab models serve``) instead.
"""

from __future__ import annotations

import atexit
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from kilab.agents.local.pull import locate
from kilab.agents.profiles import ModelProfile
from kilab.core.errors import MissingExtraError, ModelError
from kilab.core.settings import settings

HOST = "127.0.0.1"


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_ready(base: str, timeout_s: float = 180.0) -> None:
    """Poll ``/health`` until the server has loaded its model and answers 200."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise ModelError(f"the local llama.cpp server at {base} did not answer in {timeout_s:.0f} s")


class LocalServer:
    """One GGUF model behind llama.cpp's OpenAI-compatible HTTP server.

    Args:
        model_path: The GGUF file.
        port: Port on 127.0.0.1 (default: a free one).
        context_size: The context window in tokens.
        threads: CPU threads (default: half the cores; llama.cpp's threads spin-wait on each
            other, and on two busy cores two threads ran 5-8x slower than one).
        parallel: Requests decoded at once.
    """

    def __init__(
        self,
        model_path: Path,
        *,
        port: int | None = None,
        context_size: int = 4096,
        threads: int | None = None,
        parallel: int = 1,
    ) -> None:
        self.model_path = model_path
        self.port = port or free_port()
        self.context_size = context_size
        self.threads = threads or max(1, (os.cpu_count() or 2) // 2)
        self.parallel = parallel
        self._server: Any = None

    @property
    def root(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL (``…/v1``)."""
        return f"{self.root}/v1"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> str:
        """Load the model, start serving and wait until it answers; returns the base URL."""
        try:
            import xllamacpp
        except ImportError:
            raise MissingExtraError("xllamacpp", "local") from None
        params = xllamacpp.CommonParams()
        params.model.path = str(self.model_path)
        params.hostnames = [HOST]  # never listen beyond this machine
        params.port = self.port
        params.use_jinja = True
        params.n_ctx = self.context_size * self.parallel
        params.n_parallel = self.parallel
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        params.warmup = False
        if not settings().local_verbose:
            params.verbosity = -1  # llama.cpp logs every slot and token timing to stderr
        self._server = xllamacpp.Server(params)
        try:
            wait_until_ready(self.root)
        except ModelError:
            self.stop()
            raise
        return self.base_url

    def stop(self) -> None:
        """Stop serving; the model is freed with the server object."""
        self._server = None

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


_SERVERS: dict[str, LocalServer] = {}
_LOCK = threading.Lock()


def ensure_server(profile: ModelProfile) -> str:
    """The base URL of a running server for a local profile, started on first use."""
    if external := settings().local_base_url:
        return external
    name = profile.gguf or profile.model
    with _LOCK:
        server = _SERVERS.get(name)
        if server is None or not server.running:
            server = LocalServer(
                locate(name),
                context_size=profile.context_size,
                threads=profile.threads,
                parallel=profile.max_concurrency,
            )
            server.start()
            _SERVERS[name] = server
        return server.base_url


@atexit.register
def stop_servers() -> None:
    """Stop every server ``ensure_server`` started."""
    with _LOCK:
        for server in _SERVERS.values():
            server.stop()
        _SERVERS.clear()
