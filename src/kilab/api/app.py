"""The shared service: promoted pilots behind OpenAI-compatible endpoints, for many tenants.

Endpoints: ``GET /v1/models``, ``POST /v1/chat/completions`` (``stream`` true or false),
``GET /v1/threads/{id}`` and ``POST /v1/threads/{id}/resume`` (a human-approval step),
``POST /v1/feedback``, ``GET /healthz`` (the process lives) and ``GET /readyz`` (its database
and checkpointer answer).

A replica holds nothing another replica needs: keys, rate-limit windows, concurrency leases,
the audit log and feedback are rows in the service store; paused threads are checkpoints;
the graphs are compiled from the same configs on every replica.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from kilab.api.audit import mask, usage_totals
from kilab.api.checkpoints import open_checkpointer
from kilab.api.serving import ServedPilot
from kilab.api.store import ApiKey, AuditEntry, ServiceStore
from kilab.api.wire import (
    DONE,
    ChatRequest,
    FeedbackRequest,
    ResumeRequest,
    chunk,
    citation_objects,
    completion,
    error_body,
)
from kilab.core.errors import NotFoundError, UserError
from kilab.graphs.compiler import CompiledGraph, compile_pilot
from kilab.graphs.project import Project
from kilab.graphs.review import labels
from kilab.graphs.runner import GraphResult, result_from_state

TENANT_KEY = "kilab_tenant"  # recorded in every checkpoint, so only the tenant sees its thread
PENDING_MESSAGE = (
    "Svaret må godkjennes av en saksbehandler før det gis ut. "
    "Du får det når det er godkjent (tråd {thread})."
)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """What one replica serves and where its state lives."""

    project: Project
    served: list[ServedPilot]
    store: str  # ServiceStore location: SQLite path or postgresql:// URL
    checkpoints: str  # checkpointer location: SQLite path or postgresql:// URL
    replica: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    lease_ttl_s: float = 600.0


class ApiError(Exception):
    """A refusal with an HTTP status, as an OpenAI-style error body."""

    def __init__(
        self,
        status: int,
        message: str,
        kind: str,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.code = status, message, kind, code
        self.headers = headers or {}


@dataclass
class _Runtime:
    store: ServiceStore
    saver: Any
    graphs: dict[str, CompiledGraph]


def _now() -> datetime:
    return datetime.now(UTC)


def create_app(config: ServiceConfig) -> FastAPI:
    """The FastAPI application of one replica."""
    served = {pilot.name: pilot for pilot in config.served}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = await run_in_threadpool(ServiceStore, config.store)
        try:
            async with open_checkpointer(config.checkpoints) as saver:
                graphs = {}
                for pilot in config.served:
                    graphs[pilot.name] = await asyncio.to_thread(
                        compile_pilot, config.project, pilot.name, pilot.variant, checkpointer=saver
                    )
                app.state.runtime = _Runtime(store, saver, graphs)
                yield
        finally:
            await run_in_threadpool(store.close)

    app = FastAPI(title="kilab", docs_url=None, redoc_url=None, lifespan=lifespan)

    def runtime() -> _Runtime:
        return app.state.runtime  # type: ignore[no-any-return]

    async def call(fn: Callable[..., T], *args: Any) -> T:
        return await run_in_threadpool(fn, *args)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.message, exc.kind, exc.code), exc.status, headers=exc.headers
        )

    async def authenticate(request: Request) -> ApiKey:
        header = request.headers.get("authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise ApiError(401, "no API key: send 'Authorization: Bearer KEY'", "auth_error")
        key = await call(runtime().store.authenticate, secret.strip())
        if key is None:
            raise ApiError(401, "unknown or revoked API key", "auth_error", "invalid_api_key")
        return key

    def entry_for(request_id: str, endpoint: str, key: ApiKey | None) -> AuditEntry:
        return AuditEntry(
            request_id=request_id,
            started_at=_now(),
            finished_at=None,
            replica=config.replica,
            tenant=key.tenant if key else "",
            key_id=key.id if key else "",
            endpoint=endpoint,
        )

    async def refused(entry: AuditEntry, exc: ApiError) -> None:
        """Log a refused request, finished, with its status."""
        entry.status, entry.http_status, entry.error = "refused", exc.status, exc.message
        entry.finished_at = _now()
        await call(runtime().store.audit_finish, entry)

    async def limited(key: ApiKey) -> str:
        """Count the request against the key's rate and take a concurrency slot."""
        store = runtime().store
        wait = await call(store.hit_rate_limit, key)
        if wait is not None:
            raise ApiError(
                429,
                f"rate limit of {key.rate_per_minute} requests a minute reached",
                "rate_limit_error",
                "rate_limited",
                {"Retry-After": str(wait)},
            )
        lease = await call(store.acquire_slot, key, config.replica, config.lease_ttl_s)
        if lease is None:
            raise ApiError(
                429,
                f"{key.concurrency} requests of this key are already in flight",
                "rate_limit_error",
                "too_many_concurrent",
                {"Retry-After": "1"},
            )
        return lease

    def pilot_for(key: ApiKey, model: str) -> ServedPilot:
        pilot = served.get(model)
        if pilot is None:
            names = ", ".join(sorted(p for p in served if key.may_use(p))) or "none"
            raise ApiError(
                404,
                f"no model {model!r} is served (yours: {names})",
                "invalid_request_error",
                "model_not_found",
            )
        if not key.may_use(model):
            raise ApiError(403, f"tenant {key.tenant!r} may not use {model!r}", "permission_error")
        return pilot

    def run_config(pilot: ServedPilot, tenant: str, thread_id: str) -> Any:
        compiled = runtime().graphs[pilot.name]
        return {
            "configurable": {
                **labels(pilot.name, pilot.variant, config.project.root),
                TENANT_KEY: tenant,
                "thread_id": thread_id,
            },
            "recursion_limit": compiled.recursion_limit,
        }

    def finish(entry: AuditEntry, result: GraphResult, paused: bool, started: float) -> None:
        tokens_in, tokens_out, cost = usage_totals(result.usage)
        entry.answer = mask(result.answer) if not paused else ""
        entry.citations = [] if paused else list(result.citations)
        entry.verdict, entry.declined = result.verdict or "", result.declined
        entry.status = "pending_review" if paused else "completed"
        entry.http_status, entry.finished_at = 200, _now()
        entry.latency_s = time.perf_counter() - started
        entry.input_tokens, entry.output_tokens, entry.cost = tokens_in, tokens_out, cost

    def answer_parts(
        pilot: ServedPilot, result: GraphResult, paused: bool
    ) -> tuple[str, list[dict[str, str]], dict[str, Any], dict[str, int]]:
        tokens_in, tokens_out, _ = usage_totals(result.usage)
        meta = {
            **pilot.metadata(),
            "thread_id": result.thread_id,
            "status": "pending_review" if paused else "completed",
            "verdict": result.verdict,
            "declined": result.declined,
        }
        usage = {
            "prompt_tokens": tokens_in,
            "completion_tokens": tokens_out,
            "total_tokens": tokens_in + tokens_out,
        }
        if paused:
            return PENDING_MESSAGE.format(thread=result.thread_id), [], meta, usage
        return result.answer, citation_objects(result.citations, result.passages), meta, usage

    async def run_graph(
        pilot: ServedPilot, question: str, tenant: str, thread_id: str, resume: Any = None
    ) -> tuple[GraphResult, bool]:
        compiled = runtime().graphs[pilot.name]
        started = time.perf_counter()
        if resume is None:
            payload: Any = {"question": question}
        else:
            from langgraph.types import Command

            payload = Command(resume=resume)
        state: Any = await compiled.graph.ainvoke(payload, run_config(pilot, tenant, thread_id))
        result = result_from_state(
            question or str(state.get("question", "")),
            state,
            thread_id,
            time.perf_counter() - started,
        )
        return result, result.paused

    # ------------------------------------------------------------ health

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "replica": config.replica}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        try:
            current = runtime()
            await call(current.store.ping)
            await current.saver.aget_tuple({"configurable": {"thread_id": "readyz"}})
        except Exception as exc:
            return JSONResponse({"status": "unavailable", "error": str(exc)}, 503)
        return JSONResponse(
            {"status": "ready", "replica": config.replica, "pilots": sorted(served)}
        )

    # ------------------------------------------------------------ models

    @app.get("/v1/models")
    async def models(request: Request) -> dict[str, Any]:
        key = await authenticate(request)
        data = [
            {
                "id": pilot.name,
                "object": "model",
                "created": int(pilot.record.at.timestamp()),
                "owned_by": "kilab",
                "stage": pilot.stage,
                "config_hash": pilot.record.config_hash,
                "kilab": pilot.metadata(),
            }
            for pilot in config.served
            if key.may_use(pilot.name)
        ]
        return {"object": "list", "data": data}

    # ------------------------------------------------------------ chat

    @app.post("/v1/chat/completions", response_model=None)
    async def chat(request: Request) -> Response:
        request_id = f"chatcmpl-{uuid.uuid4().hex}"
        key: ApiKey | None = None
        entry = entry_for(request_id, "chat", None)
        try:
            key = await authenticate(request)
            entry = entry_for(request_id, "chat", key)
            try:
                body = ChatRequest.model_validate(await request.json())
                question = body.question()
            except (ValidationError, ValueError, UserError) as exc:
                raise ApiError(400, f"bad request: {exc}", "invalid_request_error") from None
            pilot = pilot_for(key, body.model)
            entry.pilot, entry.variant, entry.stage = pilot.name, pilot.variant, pilot.stage
            entry.record_seq, entry.record_hash = pilot.record.seq, pilot.record.hash
            entry.question, entry.stream = mask(question), body.stream
            lease = await limited(key)
        except ApiError as exc:
            await refused(entry, exc)
            raise
        entry.thread_id = uuid.uuid4().hex
        await call(runtime().store.audit_start, entry)
        if body.stream:
            return StreamingResponse(
                stream(entry, pilot, key, question, body.model, lease),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        started = time.perf_counter()
        try:
            result, paused = await run_graph(pilot, question, key.tenant, entry.thread_id)
            finish(entry, result, paused, started)
            await call(runtime().store.audit_finish, entry)
        except Exception as exc:
            await failed(entry, exc, started)
            raise ApiError(500, f"the pilot failed: {exc}", "server_error") from None
        finally:
            await call(runtime().store.release_slot, lease)
        content, citations, meta, usage = answer_parts(pilot, result, paused)
        return JSONResponse(completion(request_id, body.model, content, citations, meta, usage))

    async def failed(entry: AuditEntry, exc: BaseException, started: float) -> None:
        entry.status, entry.http_status = "error", 500
        entry.error = mask(f"{type(exc).__name__}: {exc}")
        entry.finished_at, entry.latency_s = _now(), time.perf_counter() - started
        await call(runtime().store.audit_finish, entry)

    async def stream(
        entry: AuditEntry, pilot: ServedPilot, key: ApiKey, question: str, model: str, lease: str
    ) -> AsyncIterator[str]:
        """The answer as server-sent events: the role at once, the text once the graph has
        finished (nothing unreviewed goes out), then citations and metadata, then [DONE].
        The audit row is committed before the text is sent, so a finished request is logged."""
        started = time.perf_counter()
        request_id = entry.request_id
        done = False
        try:
            yield chunk(request_id, model, {"role": "assistant", "content": ""})
            try:
                result, paused = await run_graph(pilot, question, key.tenant, entry.thread_id)
            except Exception as exc:
                await failed(entry, exc, started)
                done = True
                failure = error_body(f"the pilot failed: {exc}", "server_error")
                yield f"data: {json.dumps(failure, ensure_ascii=False)}\n\n"
                return
            content, citations, meta, usage = answer_parts(pilot, result, paused)
            # Logged before the first word goes out: an answer a client received, even in
            # part, is in the audit log whatever happens to this replica afterwards.
            finish(entry, result, paused, started)
            await call(runtime().store.audit_finish, entry)
            done = True
            for piece in _pieces(content):
                yield chunk(request_id, model, {"content": piece})
            yield chunk(request_id, model, {}, "stop", citations=citations, kilab=meta, usage=usage)
            yield DONE
        finally:
            if not done:  # the client went away before the answer was complete
                entry.status, entry.finished_at = "disconnected", _now()
                entry.latency_s = time.perf_counter() - started
                await call(runtime().store.audit_finish, entry)
            await call(runtime().store.release_slot, lease)

    # ------------------------------------------------------------ threads

    async def thread_of(key: ApiKey, thread_id: str) -> tuple[ServedPilot, Any]:
        saved = await runtime().saver.aget_tuple({"configurable": {"thread_id": thread_id}})
        meta = (saved.metadata or {}) if saved else {}
        if saved is None or meta.get(TENANT_KEY) != key.tenant:
            raise ApiError(404, f"no thread {thread_id!r} of this tenant", "not_found_error")
        pilot = served.get(str(meta.get("kilab_pilot", "")))
        if pilot is None:
            raise ApiError(
                409,
                f"thread {thread_id!r} is of a pilot this service does not serve",
                "invalid_request_error",
            )
        snapshot = (
            await runtime()
            .graphs[pilot.name]
            .graph.aget_state(run_config(pilot, key.tenant, thread_id))
        )
        return pilot, snapshot

    def thread_body(pilot: ServedPilot, thread_id: str, snapshot: Any) -> dict[str, Any]:
        waiting = [i.value for i in getattr(snapshot, "interrupts", ()) or ()]
        values = dict(snapshot.values or {})
        result = result_from_state(str(values.get("question", "")), values, thread_id, 0.0)  # type: ignore[arg-type]
        paused = bool(waiting)
        payload = waiting[0] if waiting and isinstance(waiting[0], dict) else {}
        return {
            "id": thread_id,
            "object": "thread",
            "pilot": pilot.name,
            "status": "pending_review" if paused else "completed",
            "question": result.question,
            "prompt": str(payload.get("prompt", "")),
            "draft": str(payload.get("draft", result.draft)),
            "answer": "" if paused else result.answer,
            "citations": [] if paused else citation_objects(result.citations, result.passages),
            "verdict": result.verdict,
            "decision": values.get("human_decision"),
            "kilab": pilot.metadata(),
        }

    @app.get("/v1/threads/{thread_id}")
    async def get_thread(thread_id: str, request: Request) -> dict[str, Any]:
        key = await authenticate(request)
        pilot, snapshot = await thread_of(key, thread_id)
        return thread_body(pilot, thread_id, snapshot)

    @app.post("/v1/threads/{thread_id}/resume")
    async def resume_thread(thread_id: str, request: Request) -> dict[str, Any]:
        request_id = f"resume-{uuid.uuid4().hex}"
        entry = entry_for(request_id, "resume", None)
        try:
            key = await authenticate(request)
            entry = entry_for(request_id, "resume", key)
            entry.thread_id = thread_id
            if not key.reviewer:
                raise ApiError(
                    403,
                    "this key may not decide reviews (create one with --reviewer)",
                    "permission_error",
                )
            try:
                decision = ResumeRequest.model_validate(await request.json())
            except (ValidationError, ValueError) as exc:
                raise ApiError(400, f"bad request: {exc}", "invalid_request_error") from None
            pilot, snapshot = await thread_of(key, thread_id)
            entry.pilot, entry.variant, entry.stage = pilot.name, pilot.variant, pilot.stage
            entry.record_seq, entry.record_hash = pilot.record.seq, pilot.record.hash
            entry.question = mask(str((snapshot.values or {}).get("question", "")))
            if not getattr(snapshot, "interrupts", ()):
                raise ApiError(
                    409,
                    f"thread {thread_id!r} is not waiting for a decision",
                    "invalid_request_error",
                )
            lease = await limited(key)
        except ApiError as exc:
            await refused(entry, exc)
            raise
        await call(runtime().store.audit_start, entry)
        started = time.perf_counter()
        try:
            result, paused = await run_graph(
                pilot, "", key.tenant, thread_id, resume=decision.model_dump()
            )
            finish(entry, result, paused, started)
            await call(runtime().store.audit_finish, entry)
        except Exception as exc:
            await failed(entry, exc, started)
            raise ApiError(500, f"the pilot failed: {exc}", "server_error") from None
        finally:
            await call(runtime().store.release_slot, lease)
        snapshot = (
            await runtime()
            .graphs[pilot.name]
            .graph.aget_state(run_config(pilot, key.tenant, thread_id))
        )
        return {**thread_body(pilot, thread_id, snapshot), "request_id": request_id}

    # ------------------------------------------------------------ feedback

    @app.post("/v1/feedback", status_code=201)
    async def feedback(request: Request) -> dict[str, Any]:
        request_id = f"feedback-{uuid.uuid4().hex}"
        entry = entry_for(request_id, "feedback", None)
        try:
            key = await authenticate(request)
            entry = entry_for(request_id, "feedback", key)
            try:
                body = FeedbackRequest.model_validate(await request.json())
            except (ValidationError, ValueError) as exc:
                raise ApiError(400, f"bad request: {exc}", "invalid_request_error") from None
            try:
                await call(
                    runtime().store.add_feedback,
                    body.id,
                    key.tenant,
                    body.rating,
                    mask(body.comment),
                )
            except NotFoundError as exc:
                raise ApiError(404, str(exc), "not_found_error") from None
        except ApiError as exc:
            await refused(entry, exc)
            raise
        entry.status, entry.http_status, entry.finished_at = "completed", 201, _now()
        await call(runtime().store.audit_finish, entry)
        return {"object": "feedback", "id": body.id, "rating": body.rating}

    return app


def _pieces(text: str, size: int = 4) -> list[str]:
    """The answer in small pieces of a few words, as a chat client shows a stream."""
    words = text.split(" ")
    return [
        " ".join(words[i : i + size]) + (" " if i + size < len(words) else "")
        for i in range(0, len(words), size)
    ]
