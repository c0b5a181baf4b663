"""The local web viewer: FastAPI with server-rendered Jinja2 pages and no script at all.

Pages: the runs list (filter by pilot, variant and stage; tick runs to compare), a run
(summary, gate, graph with visit counts, cases), a case (answer, passages, findings and the
trace as a timeline), a comparison of two or more runs (each against the first) and a
pilot's promotion history; and the threads paused at a human step ("Til godkjenning"), each
with a form to approve, revise or reject it, as ``kilab review`` does. Every asset is served
by the app; a Content Security Policy forbids scripts and anything from elsewhere, and a POST
must come from the viewer's own pages. It reads the run store and checkpoints the CLI writes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, quote, urlsplit

import jinja2
from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from kilab.core.errors import NotFoundError, UserError
from kilab.evals.leases import shown_status
from kilab.evals.metrics.display import format_value
from kilab.evals.promotion import PromotionLog, PromotionRecord
from kilab.evals.records import CaseResult, RunInfo
from kilab.evals.report import TEMPLATES as REPORT_TEMPLATES
from kilab.evals.report import masked, stylesheet
from kilab.evals.report.views import compare_refs_view, run_view
from kilab.evals.store import RunStore, open_store

TEMPLATES = Path(__file__).parent / "templates"
CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'"
# Hosts a state-changing request may name (DNS rebinding: a foreign page resolved to
# 127.0.0.1 sends its own name as Host); ``serve`` adds the address it binds.
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
REVIEW_CSS = """
pre.draft { white-space: pre-wrap; background: #f7fafc; padding: 12px; font: inherit; }
form.decide textarea { width: 100%; min-height: 5em; font: inherit; }
form.decide .actions button { margin-right: 8px; }
button.reject { background: var(--bad); } button.revise { background: #975a16; }
"""


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [jinja2.FileSystemLoader(TEMPLATES), jinja2.FileSystemLoader(REPORT_TEMPLATES)]
        ),
        autoescape=True,
        finalize=masked,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["q"] = lambda value: quote(str(value), safe="")
    env.globals["metric_value"] = format_value
    return env


def _stages(records: list[PromotionRecord]) -> dict[str, list[str]]:
    stages: dict[str, list[str]] = {}
    for record in records:
        stages.setdefault(record.run_id, []).append(record.stage)
    return stages


def create_app(
    store: str | Path,
    *,
    log: str | Path | None = None,
    configs: Path | None = None,
    checkpoints: str | Path | None = None,
    hosts: Collection[str] = LOCAL_HOSTS,
) -> FastAPI:
    """The viewer over a run store.

    Args:
        store: The SQLite run store the CLI writes.
        log: The promotion log, for stages and history.
        configs: Config folder, for gates and graphs (default ./configs).
        checkpoints: The checkpointer paused threads wait in, a SQLite file or a
            PostgreSQL URL (default: ``kilab.graphs.checkpoints.checkpoints_location``, as
            ``kilab pending``, ``kilab review`` and the service use; a PostgreSQL ``store``
            holds them when nothing else is configured).
        hosts: Host names a review POST may be addressed to.
    """
    app = FastAPI(title="kilab viewer", docs_url=None, redoc_url=None, openapi_url=None)
    env = _environment()
    promotions = PromotionLog(log)
    css = str(stylesheet()) + REVIEW_CSS
    from kilab.graphs.checkpoints import checkpoints_location, describe_location

    # where the service and `kilab pending` find paused threads: the same place
    checkpoint_location = checkpoints_location(checkpoints, store=store)
    allowed_hosts = {h.strip("[]").lower() for h in hosts}

    @contextmanager
    def opened() -> Iterator[RunStore]:
        run_store = open_store(store)
        try:
            yield run_store
        finally:
            run_store.close()

    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = env.get_template(name).render(**context)
        return HTMLResponse(html, status_code=status)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        # A review page says "same-origin" so that its form POST carries the real Origin
        # (under "no-referrer" a browser sends "Origin: null" and the check below fails).
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    @app.exception_handler(UserError)
    async def user_error(request: Request, exc: UserError) -> HTMLResponse:
        return page(
            "error.html.j2", 404 if isinstance(exc, NotFoundError) else 400, message=str(exc)
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> HTMLResponse:
        return page("error.html.j2", exc.status_code, message=str(exc.detail))

    @app.get("/static/style.css")
    def style() -> Response:
        return Response(css, media_type="text/css")

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/", response_class=HTMLResponse)
    def runs(pilot: str = "", variant: str = "", stage: str = "") -> HTMLResponse:
        with opened() as run_store:
            # a stored "running" whose process is gone shows as interrupted
            every = [
                r.model_copy(update={"status": shown_status(run_store, r)})
                for r in run_store.list_runs()
            ]
            counts = {r.id: len(run_store.result_keys(r.id, include_errors=True)) for r in every}
        stages = _stages(promotions.records())
        shown: list[RunInfo] = [
            r
            for r in every
            if (not pilot or r.pilot == pilot)
            and (not variant or variant in r.variants)
            and (not stage or stage in stages.get(r.id, []))
        ]
        return page(
            "runs.html.j2",
            runs=shown,
            counts=counts,
            stages=stages,
            pilots=sorted({r.pilot for r in every}),
            variants=sorted({v for r in every for v in r.variants}),
            stage_names=sorted({s for ss in stages.values() for s in ss}),
            pilot=pilot,
            variant=variant,
            stage=stage,
        )

    @app.get("/runs/{run_id}", response_class=HTMLResponse)
    def run(run_id: str, variant: str = "") -> HTMLResponse:
        with opened() as run_store:
            view = run_view(
                run_store,
                f"{run_id}:{variant}" if variant else run_id,
                configs=configs,
                log=promotions.path,
            )
        return page("run.html.j2", view=view, run=view.report.run, variant=variant)

    @app.get("/runs/{run_id}/cases/{case_id}", response_class=HTMLResponse)
    def case(run_id: str, case_id: str, variant: str = "", repeat: int = 0) -> HTMLResponse:
        with opened() as run_store:
            info = run_store.get_run(run_id)
            found = [r for r in run_store.results(info.id) if r.case.id == case_id]
        if not found:
            raise HTTPException(404, f"run {run_id} has no case {case_id!r}")
        variant = variant or found[0].variant
        chosen = [r for r in found if r.variant == variant and r.repeat == repeat] or found[:1]
        result: CaseResult = chosen[0]
        timeline = _timeline(result)
        return page(
            "case.html.j2",
            run=info,
            r=result,
            siblings=found,
            timeline=timeline,
            trace_total=max(
                ((s.offset or 0.0) + (s.duration or 0.0) for s in timeline), default=0.0
            ),
        )

    @app.get("/compare", response_class=HTMLResponse)
    def compare(
        runs: Annotated[list[str] | None, Query()] = None,
    ) -> HTMLResponse:
        refs = [r for r in (runs or []) if r]
        if len(refs) < 2:
            raise HTTPException(400, "pick two or more runs to compare")
        with opened() as run_store:
            views = [compare_refs_view(run_store, refs[0], ref) for ref in refs[1:]]
        return page("compare.html.j2", views=views, refs=refs)

    @contextmanager
    def saver() -> Iterator[Any]:
        from kilab.graphs.checkpoints import open_checkpoints

        with open_checkpoints(checkpoint_location, create=False) as opened_saver:
            yield opened_saver

    def review_page(name: str, **context: Any) -> HTMLResponse:
        response = page(name, **context)
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    @app.get("/review", response_class=HTMLResponse)
    def pending() -> HTMLResponse:
        from kilab.graphs.checkpoints import checkpoints_exist
        from kilab.graphs.review import pending_threads

        waiting = []
        if checkpoints_exist(checkpoint_location):
            with saver() as opened_saver:
                waiting = pending_threads(opened_saver)
        shown = describe_location(checkpoint_location)
        return review_page("pending.html.j2", waiting=waiting, checkpoints=shown)

    @app.get("/review/{thread_id}", response_class=HTMLResponse)
    def pending_thread(thread_id: str) -> HTMLResponse:
        from kilab.graphs.review import find_pending, thread_status

        with saver() as opened_saver:
            waiting = find_pending(opened_saver, thread_id)
            earlier = thread_status(opened_saver, thread_id).comments
        return review_page("review.html.j2", w=waiting, earlier=earlier)

    @app.post("/review/{thread_id}")
    async def decide_thread(thread_id: str, request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        from kilab.graphs.review import decide

        _same_origin(request, allowed_hosts)
        form = parse_qs((await request.body()).decode("utf-8", "replace"))

        def field(name: str) -> str:
            return form.get(name, [""])[0].strip()

        def resume() -> None:
            with saver() as opened_saver:
                decide(
                    opened_saver, thread_id, field("action"), field("comment"), field("reviewer")
                )

        await run_in_threadpool(resume)  # the graph runs: keep it off the event loop
        return RedirectResponse(f"/review/{quote(thread_id, safe='')}/result", status_code=303)

    @app.get("/review/{thread_id}/result", response_class=HTMLResponse)
    def decided(thread_id: str) -> HTMLResponse:
        from kilab.graphs.review import thread_status

        with saver() as opened_saver:
            status = thread_status(opened_saver, thread_id)
        return review_page("reviewed.html.j2", s=status)

    @app.get("/pilots/{pilot}/history", response_class=HTMLResponse)
    def history(pilot: str) -> HTMLResponse:
        records = promotions.records(pilot)
        problems = promotions.verify()
        return page("history.html.j2", pilot=pilot, records=records, problems=problems)

    return app


def _same_origin(request: Request, allowed_hosts: set[str]) -> None:
    """Refuse a state-changing request a page elsewhere made the browser send.

    Raises:
        HTTPException: 403 unless the Host is one of ours and the Origin (else the Referer)
            names exactly that host and port.
    """
    host = request.headers.get("host", "")
    if urlsplit(f"//{host}").hostname not in allowed_hosts:
        raise HTTPException(403, f"refused: requests to {host!r} are not served here")
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    if not source or source == "null" or urlsplit(source).netloc.lower() != host.lower():
        raise HTTPException(403, "refused: the request did not come from this viewer's pages")


@dataclass(frozen=True, slots=True)
class TimelineStep:
    """One step of a case's trace: a span (with timing, in seconds from the case's first
    span, and its depth under the case) or a node of the path (no timing)."""

    name: str
    detail: str
    offset: float | None = None
    duration: float | None = None
    depth: int = 0


def _timeline(result: CaseResult) -> list[TimelineStep]:
    """The trace as steps: spans when telemetry recorded them, else the graph path.

    Stored spans carry ``start_ns`` (epoch nanoseconds) and ``duration_ms``
    (``kilab.core.telemetry.export.span_record``).
    """
    spans = result.spans
    if spans:
        starts = [int(s.get("start_ns") or 0) for s in spans]
        origin = min(starts)
        parents = {str(s.get("span_id", "")): str(s.get("parent_id", "")) for s in spans}
        steps = []
        for span, start in zip(spans, starts, strict=True):
            attributes = span.get("attributes") or {}
            steps.append(
                TimelineStep(
                    name=str(span.get("name", "span")),
                    detail=", ".join(f"{k}={v}" for k, v in attributes.items()),
                    offset=(start - origin) / 1e9,
                    duration=max(float(span.get("duration_ms") or 0.0), 0.0) / 1e3,
                    depth=_depth(str(span.get("span_id", "")), parents),
                )
            )
        return steps
    steps = []
    for name in result.output.path:
        usage = result.output.usage.get(name)
        detail = (
            f"{usage.calls} model calls · {usage.input_tokens}+{usage.output_tokens} tokens"
            f" · cost {usage.cost:.4f}"
            if usage
            else "no model call"
        )
        steps.append(TimelineStep(name=name, detail=detail))
    return steps


def _depth(span_id: str, parents: dict[str, str]) -> int:
    """How many of the case's spans lie above this one (its parent chain within the case)."""
    depth, seen = 0, {span_id}
    parent = parents.get(span_id, "")
    while parent in parents and parent not in seen:
        depth, seen = depth + 1, seen | {parent}
        parent = parents[parent]
    return depth
