"""The HTTP clients under every chat model: one sync and one async client per model profile
and process, their pool as large as the profile's ``max_concurrency``.

Classic ``httpx`` clients (the SDK accepts them): the project pins httpx, and respx tests the
wire format through them. Their pool (httpcore 1.0) re-scans every connection for every
connection on each request and closes idle connections as soon as the pool holds more than
``max_keepalive_connections`` in all; at 32 calls in flight that scan was a quarter of a
case's CPU. ``_LinearAssignment`` replaces it with one pass (the algorithm httpcore2 adopted).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import ssl
import threading
from collections.abc import AsyncIterator
from typing import Any

import httpcore
import httpx

from kilab.agents.profiles import ModelProfile


class _LinearAssignment:
    """``_assign_requests_to_connections`` of httpcore's pools in one pass over the
    connections: drop closed ones and close idle ones beyond the keep-alive limit, then hand
    each queued request a free connection (an idle one that has not expired, at most once,
    and not one another request was given and has not used yet) or a new one."""

    _connections: list[Any]
    _requests: list[Any]
    _max_connections: int
    _max_keepalive_connections: int
    create_connection: Any  # the pool's own (this class comes first in the pools' MRO)

    def _assign_requests_to_connections(self) -> list[Any]:
        reserved = {id(r.connection) for r in self._requests if r.connection is not None}
        closing: list[Any] = []
        # Whether an idle connection has expired is asked only when it is about to be used
        # (asking polls its socket: one system call per connection per request otherwise).
        kept = [c for c in self._connections if not c.is_closed()]
        idle = [c for c in kept if c.is_idle() and id(c) not in reserved]
        surplus = len(idle) - self._max_keepalive_connections
        if surplus > 0:
            dropped = {id(c) for c in idle[:surplus]}
            closing.extend(idle[:surplus])
            kept = [c for c in kept if id(c) not in dropped]
            idle = idle[surplus:]
        self._connections = kept
        queued = [r for r in self._requests if r.is_queued()]
        if not queued:
            return closing
        # Free: idle and not promised to a request (HTTP/1.1 takes one request at a time).
        free = list(idle)
        for request in queued:
            origin = request.request.url.origin
            while (found := _usable(free, origin)) is not None:
                free.remove(found)
                if not found.has_expired():
                    request.assign_to_connection(found)
                    break
                closing.append(found)  # the server closed it, or it idled too long
                self._connections.remove(found)
            else:
                if len(self._connections) >= self._max_connections:
                    if not free:
                        break  # every connection is busy: the rest stay queued
                    closing.append(replaced := free.pop(0))
                    self._connections.remove(replaced)
                connection = self.create_connection(origin)
                self._connections.append(connection)
                request.assign_to_connection(connection)
        return closing


def _usable(free: list[Any], origin: httpcore.Origin) -> Any:
    """The first free connection to ``origin``, or None."""
    return next((c for c in free if c.can_handle_request(origin)), None)


class _AsyncPool(_LinearAssignment, httpcore.AsyncConnectionPool):
    pass


class _SyncPool(_LinearAssignment, httpcore.ConnectionPool):
    pass


def _linear(transport: httpx.HTTPTransport | httpx.AsyncHTTPTransport) -> None:
    """Give the transport's plain pool the one-pass assignment (a proxy pool keeps its own)."""
    if not httpcore.__version__.startswith("1.0."):
        return  # the private method it replaces is httpcore 1.0's: any other keeps its own
    pool = transport._pool
    if type(pool) is httpcore.AsyncConnectionPool:
        pool.__class__ = _AsyncPool
    elif type(pool) is httpcore.ConnectionPool:
        pool.__class__ = _SyncPool


class _Client(httpx.Client):
    """A profile's sync client, its pool given the one-pass assignment."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        _linear(self._transport)  # type: ignore[arg-type]


class _AsyncClient(httpx.AsyncClient):
    """One event loop's client of a profile, its pool given the one-pass assignment; closed
    by ``_LoopClients`` as its loop shuts down."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        _linear(self._transport)  # type: ignore[arg-type]


class _LoopClients(httpx.AsyncClient):
    """One async client per event loop behind one object, so a chat model built once serves
    every ``asyncio.run`` (tests and the CLI call it several times) and every thread's loop.

    Each loop's requests go through that loop's own ``_AsyncClient`` and pool, closed while
    the loop shuts down: a suspended async generator is started on the loop, and
    ``asyncio.run`` (like any ``asyncio.Runner``) finalises every live async generator
    before it closes the loop, which closes the loop's connections on the loop that opened
    them. This object's own pool serves no request.
    """

    def __init__(self, *, timeout: float, limits: httpx.Limits, verify: ssl.SSLContext) -> None:
        super().__init__(timeout=timeout, limits=limits, verify=verify)
        self._options: dict[str, Any] = {"timeout": timeout, "limits": limits, "verify": verify}
        # A loop's client, and the generator that closes it (held here: the loop's own
        # reference to it is weak).
        self._by_loop: dict[asyncio.AbstractEventLoop, tuple[_AsyncClient, Any]] = {}
        self._lock = threading.Lock()

    async def _until_loop_ends(
        self, loop: asyncio.AbstractEventLoop, client: _AsyncClient
    ) -> AsyncIterator[None]:
        try:
            yield
        finally:
            with self._lock:
                if self._by_loop.get(loop, (None,))[0] is client:
                    del self._by_loop[loop]
            if not loop.is_closed():  # closed without a Runner: its sockets went with it
                await client.aclose()

    async def for_loop(self) -> httpx.AsyncClient:
        """The client of the running loop (made on its first request)."""
        loop = asyncio.get_running_loop()
        known = self._by_loop.get(loop)
        if known is not None:
            return known[0]
        client = _AsyncClient(**self._options)
        closer = self._until_loop_ends(loop, client)
        with self._lock:
            # Loops closed without a Runner: their closers are finished below, off the lock.
            gone = [
                self._by_loop.pop(other)[1] for other in list(self._by_loop) if other.is_closed()
            ]
            known = self._by_loop.setdefault(loop, (client, closer))
        for stale in gone:
            _finish(stale)
        if known[0] is client:
            await anext(closer)  # suspended at its yield until the loop shuts down
        return known[0]

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        return await (await self.for_loop()).send(request, **kwargs)

    async def aclose(self) -> None:
        """Close the running loop's connections (the shared object stays usable)."""
        with self._lock:
            known = self._by_loop.pop(asyncio.get_running_loop(), None)
        if known is not None:
            await known[1].aclose()
            await known[0].aclose()


def _finish(closer: Any) -> None:
    """Run a closed loop's closer to its end here and now: collected unfinished, it would ask
    its (closed) loop to finalise it, which fails noisily."""
    step = closer.aclose()
    with contextlib.suppress(StopIteration):
        step.send(None)


@functools.cache
def _tls() -> ssl.SSLContext:
    # Building a context loads the CA bundle (tens of ms); every client of the process shares one.
    return httpx.create_ssl_context()


_LOCK = threading.Lock()
_SYNC: dict[tuple[int, ModelProfile], httpx.Client] = {}
_ASYNC: dict[tuple[int, ModelProfile], _LoopClients] = {}


def pool_limits(profile: ModelProfile) -> httpx.Limits:
    """A pool as large as the calls the profile lets into flight (``max_concurrency``), so
    that no call waits for a connection or closes one another call will reopen."""
    # A local server costs nothing to reconnect to; without keep-alive no socket outlives
    # the event loop that opened it.
    keep = 0 if profile.provider == "local" else profile.max_concurrency
    return httpx.Limits(max_connections=profile.max_concurrency, max_keepalive_connections=keep)


def shared_clients(profile: ModelProfile) -> tuple[httpx.Client, httpx.AsyncClient]:
    """The sync and async HTTP clients every chat model of ``profile`` in this process uses.

    Keyed by process id too: a forked worker (Ray, multiprocessing) opens its own sockets.
    """
    key = (os.getpid(), profile)
    with _LOCK:
        sync = _SYNC.get(key)
        if sync is None:
            options: dict[str, Any] = {
                "timeout": profile.timeout_s,
                "limits": pool_limits(profile),
                "verify": _tls(),
            }
            sync = _SYNC[key] = _Client(**options)
            _ASYNC[key] = _LoopClients(**options)
        return sync, _ASYNC[key]
