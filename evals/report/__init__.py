"""The HTML report: one self-contained file per run, optionally against another run.

No external assets and no script: CSS is inlined, charts are inline SVG, and a Content
Security Policy forbids scripts and network loads, so the file opens offline years later.
Jinja2 autoescaping escapes every value from documents, questions and answers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from kilab.core.telemetry import redact_text
from kilab.evals.compare import load_side
from kilab.evals.metrics.display import format_value
from kilab.evals.report.views import compare_view, run_view
from kilab.evals.store import RunStore

TEMPLATES = Path(__file__).parent / "templates"


def masked(value: Any) -> Any:
    """Every value a page shows, with secrets, identity and phone numbers masked: the last
    line of defence, whatever a store written by an older kilab still holds."""
    if isinstance(value, Markup):
        return Markup(redact_text(str(value)))
    if isinstance(value, str):
        return redact_text(value)
    return value


@cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of the report's templates (autoescaping on, output masked)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        finalize=masked,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["metric_value"] = format_value
    return env


def stylesheet() -> Markup:
    """The report's CSS (shared with the viewer)."""
    return Markup((TEMPLATES / "style.css").read_text(encoding="utf-8"))


def render_report(
    store: RunStore,
    ref: str,
    *,
    vs: str | None = None,
    configs: Path | None = None,
    log: Path | None = None,
) -> tuple[str, str]:
    """Render a run's report.

    Args:
        store: The run store.
        ref: ``RUN`` (every variant) or ``RUN:VARIANT``; RUN may be an id, a unique prefix
            or ``latest``.
        vs: The side to compare against (``RUN[:VARIANT]``), as A; the report's run is B.
        configs: Config folder, for the gate and the graph (default ./configs).
        log: Promotion log, for the gate's current stage and baseline.

    Returns:
        (the HTML, the run's id).
    """
    from kilab import __version__

    view = run_view(store, ref, configs=configs, log=log)
    cmp = None
    if vs is not None:
        side_b = load_side(store, ref if ":" in ref else f"{view.run_id}:{view.variants[0]}")
        cmp = compare_view(load_side(store, vs), side_b)
        view = run_view(store, f"{view.run_id}:{side_b.variant}", configs=configs, log=log)
    html = (
        environment()
        .get_template("report.html.j2")
        .render(
            run=view.report.run,
            view=view,
            cmp=cmp,
            css=stylesheet(),
            version=__version__,
            written=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )
    )
    return html, view.run_id


__all__ = ["environment", "render_report", "stylesheet"]
