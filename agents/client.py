"""Calls to one model profile: cache, limits, retries, structured output and usage.

The roles (drafter, reviewer, judge) talk to a model only through a ``ModelClient``.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import structlog
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from pydantic import BaseModel

from kilab.agents.cache import CachedReply, CacheKey, ResponseCache
from kilab.agents.completions import DirectChat, Reply, is_plain
from kilab.agents.cost import tokens_of, usage_of
from kilab.agents.models import chat_model, endpoint_of
from kilab.agents.profiles import ModelProfile
from kilab.agents.resilience import RetryPolicy, is_retryable, limits_for, status_of
from kilab.agents.structured import (
    METHODS,
    Method,
    is_parse_failure,
    is_rejection,
    json_mode_messages,
)
from kilab.agents.types import ModelUsage
from kilab.core.errors import ModelError
from kilab.core.settings import environment_value, settings
from kilab.core.telemetry import traced_model_call

if TYPE_CHECKING:
    # Only for types: the classes are imported where a chat model is built (agents/models.py).
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.runnables import Runnable

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")
log = structlog.get_logger("kilab.agents.client")


@dataclass(frozen=True, slots=True)
class Completion:
    """A text reply and what it used."""

    text: str
    usage: ModelUsage


def _redact(text: str, profile: ModelProfile) -> str:
    secret = environment_value(profile.api_key_env) if profile.api_key_env else ""
    return text.replace(secret, "***") if len(secret) >= 4 else text


def _describe(exc: BaseException, profile: ModelProfile) -> str:
    status = status_of(exc)
    what = f"HTTP {status}" if status is not None else type(exc).__name__
    return _redact(f"{what}: {str(exc)[:300]}", profile)


def _wire(messages: list[BaseMessage]) -> list[tuple[str, str]]:
    return [
        (m.type, m.content if isinstance(m.content, str) else repr(m.content)) for m in messages
    ]


class ModelClient:
    """Everything between a role and a chat model for one profile.

    Args:
        profile: The profile to call.
        use_cache: Answer unchanged calls from ``cache_dir``.
        cache_dir: Root of the response cache.
        model: A ready chat model (default: built from the profile on first use).
        sleep, asleep: How to wait between retries (tests record instead of waiting).
        seed: Seed of the backoff jitter.
    """

    def __init__(
        self,
        profile: ModelProfile,
        *,
        use_cache: bool = True,
        cache_dir: Path | None = None,
        model: BaseChatModel | None = None,
        sleep: Callable[[float], None] = time.sleep,
        asleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        seed: int | None = None,
    ) -> None:
        self.profile = profile
        self.cache = ResponseCache(cache_dir or settings().cache_dir) if use_cache else None
        self.policy = RetryPolicy(
            max_retries=profile.max_retries, base_delay_s=profile.retry_base_delay_s
        )
        self.limits = limits_for(profile)
        self._model = model
        self._handed_model = model is not None
        self._direct: DirectChat | None = None
        # A chat model handed in answers from its own URL, which the cache key must name.
        handed_url = getattr(model, "openai_api_base", None) if model is not None else None
        self._handed_url = handed_url.rstrip("/") if isinstance(handed_url, str) else ""
        self._sleep = sleep
        self._asleep = asleep
        self._rng = random.Random(seed)

    @property
    def model(self) -> BaseChatModel:
        if self._model is None:
            self._model = chat_model(self.profile)
        return self._model

    @property
    def direct(self) -> DirectChat | None:
        """The path of plain text calls (``kilab.agents.completions``), or None where the chat
        model must answer them: one handed in, or one whose request that path cannot send."""
        if self._handed_model:
            return None
        if self._direct is None:
            self._direct = DirectChat(self.model, stream=self.profile.stream)
        return self._direct if self._direct.usable else None

    def set_up(self) -> None:
        """Build the chat model, the path of text calls and their HTTP clients now rather
        than on the first call."""
        _ = self.model, self.direct

    # -- keys and bookkeeping ------------------------------------------------------------

    def _key(
        self, messages: list[BaseMessage], params: dict[str, Any], schema: type[BaseModel] | None
    ) -> str | None:
        """The digest of the call's cache key, or None without a cache (building one costs on
        every call)."""
        if self.cache is None:
            return None
        return CacheKey(
            model=self.profile.model,
            endpoint=self._endpoint(),
            messages=_wire(messages),
            params={
                "temperature": self.profile.temperature,
                "max_tokens": self.profile.max_tokens,
                **params,
            },
            output_schema=_json_schema(schema) if schema else None,
        ).digest()

    def _endpoint(self) -> str:
        """The URL requests go to (see ``endpoint_of``; a chat model handed in: its own)."""
        return self._handed_url or endpoint_of(self.profile)

    def _lookup(self, key: str | None) -> CachedReply | None:
        return self.cache.get(key) if self.cache and key is not None else None

    def _store(self, key: str | None, reply: Callable[[], CachedReply]) -> None:
        if self.cache and key is not None:
            self.cache.put(key, reply())

    def _bound(self, params: dict[str, Any]) -> BaseChatModel:
        """The model with a per-call temperature (a copy shares the clients)."""
        if "temperature" not in params:
            return self.model
        return self.model.model_copy(update={"temperature": params["temperature"]})

    def _failed(self, exc: BaseException, attempts: int) -> ModelError:
        return ModelError(
            f"model {self.profile.model!r} ({self.profile.provider}) failed after "
            f"{attempts} attempt{'s' if attempts != 1 else ''}: {_describe(exc, self.profile)}"
        )

    def _next_delay(self, attempt: int, exc: BaseException) -> float:
        delay = self.policy.delay(attempt, exc, self._rng)
        log.warning(
            "model_call_retry",
            provider=self.profile.provider,
            model=self.profile.model,
            attempt=attempt + 1,
            status=status_of(exc),
            error=type(exc).__name__,
            delay_s=round(delay, 3),
        )
        return delay

    # -- one call with retries -----------------------------------------------------------

    def _call(self, fn: Callable[[], R]) -> R:
        """Run one request under the profile's limits, retrying what is worth retrying."""
        for attempt in range(self.policy.max_retries + 1):
            if self.limits.rate and (wait := self.limits.rate.reserve()) > 0:
                self._sleep(wait)
            self.limits.concurrency.acquire()
            try:
                return fn()
            except Exception as exc:
                if not is_retryable(exc):
                    raise
                if attempt == self.policy.max_retries:
                    raise self._failed(exc, attempt + 1) from None
                failure = exc
            finally:
                self.limits.concurrency.release()
            self._sleep(self._next_delay(attempt, failure))
        raise AssertionError("unreachable")

    async def _acall(self, fn: Callable[[], Awaitable[R]]) -> R:
        for attempt in range(self.policy.max_retries + 1):
            if self.limits.rate and (wait := self.limits.rate.reserve()) > 0:
                await self._asleep(wait)
            await self.limits.concurrency.aacquire()
            try:
                return await fn()
            except Exception as exc:
                if not is_retryable(exc):
                    raise
                if attempt == self.policy.max_retries:
                    raise self._failed(exc, attempt + 1) from None
                failure = exc
            finally:
                self.limits.concurrency.release()
            await self._asleep(self._next_delay(attempt, failure))
        raise AssertionError("unreachable")

    # -- text ----------------------------------------------------------------------------

    @traced_model_call
    def complete(self, messages: list[BaseMessage], **params: Any) -> Completion:
        """A text reply (streamed when the profile says so)."""
        key = self._key(messages, params, None)
        if (hit := self._lookup(key)) is not None:
            return Completion(
                hit.text, usage_of(self.profile, hit.input_tokens, hit.output_tokens, cached=True)
            )
        direct, temperature = self.direct if is_plain(messages) else None, params.get("temperature")

        def invoke() -> Reply:
            if direct is not None:
                return direct.complete(messages, temperature)
            runnable = self._bound(params)
            if self.profile.stream:
                return _reply(_joined(list(runnable.stream(messages))))
            return _reply(runnable.invoke(messages))

        try:
            reply = self._call(invoke)
        except ModelError:
            raise
        except Exception as exc:
            raise self._failed(exc, 1) from None
        return self._completion(key, reply)

    @traced_model_call
    async def acomplete(self, messages: list[BaseMessage], **params: Any) -> Completion:
        """``complete`` on the event loop."""
        key = self._key(messages, params, None)
        if (hit := self._lookup(key)) is not None:
            return Completion(
                hit.text, usage_of(self.profile, hit.input_tokens, hit.output_tokens, cached=True)
            )
        direct, temperature = self.direct if is_plain(messages) else None, params.get("temperature")

        async def invoke() -> Reply:
            if direct is not None:
                return await direct.acomplete(messages, temperature)
            runnable = self._bound(params)
            if self.profile.stream:
                return _reply(_joined([chunk async for chunk in runnable.astream(messages)]))
            return _reply(await runnable.ainvoke(messages))

        try:
            reply = await self._acall(invoke)
        except ModelError:
            raise
        except Exception as exc:
            raise self._failed(exc, 1) from None
        return self._completion(key, reply)

    def _completion(self, key: str | None, reply: Reply) -> Completion:
        self._store(
            key,
            lambda: CachedReply(
                text=reply.text, input_tokens=reply.input_tokens, output_tokens=reply.output_tokens
            ),
        )
        return Completion(
            reply.text, usage_of(self.profile, reply.input_tokens, reply.output_tokens)
        )

    # -- structured ----------------------------------------------------------------------

    def _methods(self) -> tuple[Method, ...]:
        if self.profile.structured_method:
            return (self.profile.structured_method,)
        known = self.limits.structured_method
        for method in METHODS:
            if method == known:
                return (method,)
        return METHODS

    def _runnable(
        self,
        method: Method,
        schema: type[BaseModel],
        params: dict[str, Any],
        messages: list[BaseMessage],
    ) -> tuple[Runnable[Any, Any], list[BaseMessage]]:
        runnable = self._bound(params).with_structured_output(
            schema, method=method, include_raw=True
        )
        sent = json_mode_messages(messages, schema) if method == "json_mode" else messages
        return runnable, sent

    @traced_model_call
    def structured(
        self, messages: list[BaseMessage], schema: type[T], **params: Any
    ) -> tuple[T, ModelUsage]:
        """A reply parsed as ``schema``; methods are tried in turn, a bad parse once more.

        Raises:
            ModelError: The endpoint failed after its retries, rejected every method, or
                answered twice with something that does not parse.
        """
        attempts = self._structured_attempts(messages, schema, params)
        try:
            runnable, sent = next(attempts)
            while True:
                try:
                    outcome: Any = self._call(lambda r=runnable, s=sent: r.invoke(s))  # type: ignore[misc]
                except Exception as exc:
                    outcome = exc
                runnable, sent = attempts.send(outcome)
        except StopIteration as done:
            result: tuple[T, ModelUsage] = done.value
            return result

    @traced_model_call
    async def astructured(
        self, messages: list[BaseMessage], schema: type[T], **params: Any
    ) -> tuple[T, ModelUsage]:
        """``structured`` on the event loop."""
        attempts = self._structured_attempts(messages, schema, params)
        try:
            runnable, sent = next(attempts)
            while True:
                try:
                    outcome: Any = await self._acall(lambda r=runnable, s=sent: r.ainvoke(s))  # type: ignore[misc]
                except Exception as exc:
                    outcome = exc
                runnable, sent = attempts.send(outcome)
        except StopIteration as done:
            result: tuple[T, ModelUsage] = done.value
            return result

    def _structured_attempts(
        self, messages: list[BaseMessage], schema: type[T], params: dict[str, Any]
    ) -> Generator[
        tuple[Runnable[Any, Any], list[BaseMessage]],
        dict[str, Any] | Exception,
        tuple[T, ModelUsage],
    ]:
        """The policy of ``structured``, shared by its sync and async forms.

        Yields each call to make (the runnable and the messages); is sent the raw reply or the
        exception the call raised; returns the parsed reply and the usage of every call.
        """
        key = self._key(messages, params, schema)
        if (hit := self._lookup(key)) is not None and hit.data is not None:
            return schema.model_validate(hit.data), usage_of(
                self.profile, hit.input_tokens, hit.output_tokens, cached=True
            )
        usage = ModelUsage()
        last: BaseException | None = None
        for method in self._methods():
            runnable, sent = self._runnable(method, schema, params, messages)
            for _ in range(2):  # a reply that does not parse gets one more try
                outcome = yield runnable, sent
                if isinstance(outcome, Exception):
                    if isinstance(outcome, ModelError):
                        raise outcome
                    if is_rejection(outcome):
                        last = outcome
                        break
                    if not is_parse_failure(outcome):
                        raise self._failed(outcome, 1) from None
                    usage, last = usage + ModelUsage(calls=1), outcome
                    continue
                parsed, usage, last = self._parsed(outcome, schema, usage)
                if parsed is not None:
                    self.limits.structured_method = method
                    self._store(
                        key,
                        lambda p=parsed, u=usage: CachedReply(  # type: ignore[misc]
                            data=p.model_dump(mode="json"),
                            input_tokens=u.input_tokens,
                            output_tokens=u.output_tokens,
                        ),
                    )
                    return parsed, usage
            else:
                raise self._unparsed(last)
        raise self._rejected(last)

    def _parsed(
        self, out: dict[str, Any], schema: type[T], usage: ModelUsage
    ) -> tuple[T | None, ModelUsage, BaseException | None]:
        raw = out.get("raw")
        tokens_in, tokens_out = tokens_of(getattr(raw, "usage_metadata", None))
        usage = usage + usage_of(self.profile, tokens_in, tokens_out)
        parsed = out.get("parsed")
        error = out.get("parsing_error")
        if isinstance(parsed, schema) and error is None:
            return parsed, usage, None
        return None, usage, error or ValueError("the reply held no parsable object")

    def _unparsed(self, last: BaseException | None) -> ModelError:
        detail = _describe(last, self.profile) if last else "no reply"
        return ModelError(
            f"model {self.profile.model!r} ({self.profile.provider}) twice "
            f"answered with something that does not parse: {detail}"
        )

    def _rejected(self, last: BaseException | None) -> ModelError:
        detail = _describe(last, self.profile) if last else "no method"
        return ModelError(
            f"model {self.profile.model!r} ({self.profile.provider}) rejected "
            f"every structured-output method ({', '.join(self._methods())}): "
            f"{detail}"
        )


@lru_cache(maxsize=64)
def _json_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """A schema class's JSON schema (computing it walks the whole model)."""
    return schema.model_json_schema()


def _reply(message: BaseMessage) -> Reply:
    """The text and token counts of a chat model's reply."""
    text = message.content if isinstance(message.content, str) else str(message.content)
    return Reply(text, *tokens_of(getattr(message, "usage_metadata", None)))


def _joined(chunks: list[Any]) -> AIMessage:
    """One message from streamed chunks (the last chunk carries the usage)."""
    if not chunks:
        return AIMessage("")
    total: AIMessageChunk = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return AIMessage(content=total.content, usage_metadata=total.usage_metadata)
