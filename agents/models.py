"""The one factory that turns a model profile into a langchain-openai chat model.

Keys come only from the environment variables a profile names; they are wrapped in
``SecretStr`` at once and never logged, cached or put in an error message.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import ssl
import threading
from typing import Any

import httpx
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_openai import AzureChatOpenAI, ChatOpenAI
from pydantic import SecretStr

from kilab.agents.profiles import ModelProfile
from kilab.core.errors import UserError
from kilab.core.settings import environment_value, settings


class _Client(httpx.Client):
    """Closes its connections when collected, so no socket outlives its chat model."""

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


class _AsyncClient(httpx.AsyncClient):
    """Closes its connections when collected, on the event loop that opened them.

    Connections belong to the loop they were made on: closing them from a later
    ``asyncio.run`` fails with "Event loop is closed", so a client collected elsewhere leaves
    them to the garbage collector.
    """

    _loop: asyncio.AbstractEventLoop | None = None

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return await super().send(request, **kwargs)

    def __del__(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):
            if asyncio.get_running_loop() is loop:
                loop.create_task(self.aclose())


class _LoopClients(httpx.AsyncClient):
    """One async client per event loop behind one object, so a chat model built once serves
    every ``asyncio.run`` (tests and the CLI call it several times) and every thread's loop.

    Each loop's requests go through that loop's own ``_AsyncClient`` and pool; the pool of a
    loop that has closed is dropped (its sockets died with the loop) when a new loop appears.
    This object's own pool serves no request.
    """

    def __init__(self, *, timeout: float, limits: httpx.Limits, verify: ssl.SSLContext) -> None:
        super().__init__(timeout=timeout, limits=limits, verify=verify)
        self._options: dict[str, Any] = {"timeout": timeout, "limits": limits, "verify": verify}
        self._by_loop: dict[asyncio.AbstractEventLoop, _AsyncClient] = {}
        self._lock = threading.Lock()

    def for_loop(self) -> httpx.AsyncClient:
        """The client of the running loop (made on its first request)."""
        loop = asyncio.get_running_loop()
        client = self._by_loop.get(loop)
        if client is None:
            with self._lock:
                for closed in [known for known in self._by_loop if known.is_closed()]:
                    del self._by_loop[closed]
                client = self._by_loop.setdefault(loop, _AsyncClient(**self._options))
        return client

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        return await self.for_loop().send(request, **kwargs)

    async def aclose(self) -> None:
        """Close the running loop's connections (the shared object stays usable)."""
        client = self._by_loop.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()


@functools.cache
def _tls() -> ssl.SSLContext:
    # Building a context loads the CA bundle (tens of ms); every client of the process shares one.
    return httpx.create_ssl_context()


_CLIENTS_LOCK = threading.Lock()
_SYNC_CLIENTS: dict[tuple[int, ModelProfile], httpx.Client] = {}
_ASYNC_CLIENTS: dict[tuple[int, ModelProfile], _LoopClients] = {}


def _pool_limits(profile: ModelProfile) -> httpx.Limits:
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
    with _CLIENTS_LOCK:
        sync = _SYNC_CLIENTS.get(key)
        if sync is None:
            options: dict[str, Any] = {
                "timeout": profile.timeout_s,
                "limits": _pool_limits(profile),
                "verify": _tls(),
            }
            sync = _SYNC_CLIENTS[key] = _Client(**options)
            _ASYNC_CLIENTS[key] = _LoopClients(**options)
        return sync, _ASYNC_CLIENTS[key]


# Local and most self-hosted servers want no key, but the OpenAI client insists on one.
_NO_KEY = "not-needed"


def _env(name: str, what: str) -> str:
    value = environment_value(name)
    if not value:
        raise UserError(f"environment variable {name} is not set ({what})")
    return value


def _key(profile: ModelProfile, required: bool) -> SecretStr:
    if profile.api_key_env:
        if required or environment_value(profile.api_key_env):
            return SecretStr(_env(profile.api_key_env, f"the API key of {profile.provider!r}"))
    elif required:
        raise UserError(f"profile with provider {profile.provider!r} names no api_key_env")
    return SecretStr(_NO_KEY)


OPENAI_DEFAULT_URL = "https://api.openai.com/v1"


def endpoint_of(profile: ModelProfile) -> str:
    """Where the profile's requests go: part of the cache key, never a secret.

    It is the URL the chat model is built with (``chat_model`` passes it on), so that a reply
    cached from one server is never served for another: for provider ``openai`` without a
    ``base_url`` that is ``OPENAI_BASE_URL`` when set, which the SDK would otherwise read
    behind kilab's back. A local server that kilab starts changes port from run to run, so
    its identity is the model file; a server named by ``KILAB_LOCAL_BASE_URL`` is its URL.
    """
    if profile.provider == "local":
        external = settings().local_base_url
        return external.rstrip("/") if external else f"local:{profile.gguf or profile.model}"
    if profile.provider == "azure":
        if profile.azure_endpoint_env:
            return _env(profile.azure_endpoint_env, "the Azure OpenAI endpoint").rstrip("/")
        return (profile.base_url or "").rstrip("/")
    if profile.base_url:
        return profile.base_url.rstrip("/")
    if profile.provider == "openai":
        return (settings().openai_base_url or OPENAI_DEFAULT_URL).rstrip("/")
    return ""


def chat_model(profile: ModelProfile, *, base_url: str | None = None) -> BaseChatModel:
    """A chat model for any profile but ``offline``.

    Args:
        profile: The profile to reach.
        base_url: Overrides the profile's URL (a local server passes the address it got).

    Raises:
        UserError: For the offline profile, a missing variable or a missing base URL.
    """
    if profile.provider == "offline":
        raise UserError("the offline profile has no chat model; its roles run without one")
    http_client, http_async_client = shared_clients(profile)
    common: dict[str, Any] = {
        # Classic httpx clients (the SDK accepts them): the project pins httpx, and respx
        # tests the wire format through them. One pool per profile, shared by its chat models.
        "http_client": http_client,
        "http_async_client": http_async_client,
        "temperature": profile.temperature,
        "max_tokens": profile.max_tokens,
        "timeout": profile.timeout_s,
        "max_retries": 0,  # retries are ours: kilab.agents.resilience
        "stream_usage": True,
    }
    if profile.provider == "azure":
        return AzureChatOpenAI(
            azure_deployment=profile.model,
            azure_endpoint=endpoint_of(profile),
            api_version=profile.api_version,
            api_key=_key(profile, required=True),
            **common,
        )
    # The URL the cache key names (endpoint_of), so a key and its request never disagree.
    url = base_url or (profile.base_url if profile.provider == "local" else endpoint_of(profile))
    if profile.provider == "local" and url is None:
        from kilab.agents.local.server import ensure_server

        url = ensure_server(profile)
    if profile.provider in ("openai-compatible", "local") and not url:
        raise UserError(f"profile with provider {profile.provider!r} needs a base_url")
    return ChatOpenAI(
        model=profile.model or "default",
        base_url=url,
        api_key=_key(profile, required=profile.provider == "openai"),
        **common,
    )
