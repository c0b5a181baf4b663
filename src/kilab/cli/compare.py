"""Comparison commands: compare two runs, write an HTML report, serve the web viewer.

A thin layer: parse, call ``kilab.evals.compare``, ``kilab.evals.report`` or
``kilab.evals.viewer``, print.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kilab.cli.options import DEFAULT_STORE, StoreOption
from kilab.cli.output import EXIT_FAILED, console, error_console, exit_codes
from kilab.core.settings import settings

if TYPE_CHECKING:
    from kilab.evals.compare import Comparison

# Where runs and promotions live: $KILAB_HOME (default .kilab), read when the CLI starts.
DEFAULT_LOG = settings().promotions
SIDE_HELP = "Run id, unique prefix or 'latest', optionally ':VARIANT' (default: its first)."


def register(app: typer.Typer) -> None:
    app.command(epilog=exit_codes("B is worse on a metric and --fail-on-worse was given"))(compare)
    app.command()(report)
    app.command()(serve)


def _require_viewer_extra() -> None:
    import importlib.util

    from kilab.core.errors import MissingExtraError

    for module in ("jinja2", "fastapi", "uvicorn"):
        if importlib.util.find_spec(module) is None:
            raise MissingExtraError(module, "viewer")


def _require_store(store: str) -> None:
    from kilab.core.errors import NotFoundError
    from kilab.evals.store import is_postgres_url

    if not is_postgres_url(store) and store != ":memory:" and not Path(store).exists():
        raise NotFoundError(f"no run store at {store} (run `kilab eval` first, or pass --store)")


def print_comparison(comparison: Comparison) -> None:
    """The comparison as rich tables: metrics with CIs, then flipped cases.

    Readable at 80 columns (a CI log): metric names and case ids are never cut; a CI
    wraps below its value, and a long question wraps within its column.
    """
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    from kilab.evals.compare import fmt, fmt_p

    a, b = comparison.a, comparison.b
    console.print(
        f"[bold]B[/bold] {escape(b.label)} vs [bold]A[/bold] {escape(a.label)} · "
        f"{len(comparison.shared)} shared cases · pass rate A {a.pass_rate:.1%}, "
        f"B {b.pass_rate:.1%}"
    )
    if comparison.only_a or comparison.only_b:
        console.print(
            f"[yellow]not compared[/yellow]: {len(comparison.only_a)} cases only in A, "
            f"{len(comparison.only_b)} only in B"
        )
    table = Table(
        title="Paired difference B − A: 95 % bootstrap CI, permutation p, Cohen's d_z "
        "(n.s.: not significant)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=(0, 1, 0, 0),  # with the box's blank divider: two spaces between columns
        show_edge=False,
    )
    table.add_column("metric", no_wrap=True)
    for column in ("A", "B", "Δ B−A"):
        table.add_column(column, overflow="fold")  # "value [low, high]" wraps at its spaces
    for column in ("p", "d_z", "verdict"):
        table.add_column(column, no_wrap=True)
    colours = {"better": "green", "worse": "red"}
    short = {"no significant difference": "n.s.", "no shared values": "–"}

    def ci(low: float | None, high: float | None, metric: str, signed: bool = False) -> str:
        low_text, high_text = (fmt(v, metric, signed=signed) for v in (low, high))
        return f"[dim]\\[{low_text}, {high_text}][/dim]"

    for m in comparison.metrics:
        colour = colours.get(m.verdict, "dim")
        table.add_row(
            escape(m.metric),
            f"{fmt(m.a.value, m.metric)} {ci(m.a.low, m.a.high, m.metric)}",
            f"{fmt(m.b.value, m.metric)} {ci(m.b.low, m.b.high, m.metric)}",
            f"{fmt(m.diff, m.metric, signed=True)} {ci(m.low, m.high, m.metric, True)}",
            fmt_p(m.p_value),
            fmt(m.effect_size),
            f"[{colour}]{short.get(m.verdict, m.verdict)}[/{colour}]",
        )
    console.print(table)
    if comparison.flips:
        flips = Table(
            title=f"Flipped cases ({len(comparison.flips)})",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            padding=(0, 1, 0, 0),
            show_edge=False,
        )
        flips.add_column("case", no_wrap=True)
        flips.add_column("change", no_wrap=True)
        flips.add_column("question", ratio=1)  # takes what is left, and wraps
        for flip in comparison.flips:
            change = (
                "[red]pass → fail[/red]"
                if flip.kind == "regression"
                else "[green]fail → pass[/green]"
            )
            flips.add_row(escape(flip.case_id), change, escape(flip.question))
        console.print(flips)
    else:
        console.print("No case flipped between pass and fail.")


def compare(
    run_a: Annotated[str, typer.Argument(help="Side A, the reference. " + SIDE_HELP)],
    run_b: Annotated[str, typer.Argument(help="Side B, under test. " + SIDE_HELP)],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print Markdown.")] = False,
    fail_on_worse: Annotated[
        bool,
        typer.Option(
            help="Exit 1 when B is significantly worse than A on any metric (CI excludes 0 "
            "and p < 0.05)."
        ),
    ] = False,
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Compare two runs case by case: CIs, paired differences, p-values and flipped cases."""
    from kilab.evals.compare import compare_refs, to_markdown
    from kilab.evals.store import open_store

    _require_store(store)
    run_store = open_store(store)
    try:
        comparison = compare_refs(run_store, run_a, run_b)
    finally:
        run_store.close()
    if as_json:
        data = comparison.model_dump(mode="json")
        for flip, model in zip(data["flips"], comparison.flips, strict=True):
            flip["kind"] = model.kind
        print(json.dumps(data, ensure_ascii=False, indent=2))
    elif markdown:
        print(to_markdown(comparison), end="")
    else:
        print_comparison(comparison)
    worse = [m.metric for m in comparison.metrics if m.verdict == "worse"]
    if fail_on_worse and worse:
        error_console.print(f"B is worse than A on {', '.join(worse)}", markup=False)
        raise SystemExit(EXIT_FAILED)


def report(
    run: Annotated[str, typer.Argument(help=SIDE_HELP)],
    vs: Annotated[
        str | None, typer.Option("--vs", help="Compare with this run. " + SIDE_HELP)
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="HTML file (default RUN.html).")
    ] = None,
    configs: Annotated[Path | None, typer.Option(help="Config folder (default ./configs).")] = None,
    store: StoreOption = DEFAULT_STORE,
    log: Annotated[Path, typer.Option("--log", help="Promotion log (JSONL).")] = DEFAULT_LOG,
) -> None:
    """Write one self-contained HTML report of a run (optionally against another)."""
    _require_viewer_extra()
    from kilab.evals.report import render_report
    from kilab.evals.store import open_store

    _require_store(store)
    run_store = open_store(store)
    try:
        html, run_id = render_report(run_store, run, vs=vs, configs=configs, log=log)
    finally:
        run_store.close()
    target = output or Path(f"{run_id}.html")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    console.print(f"wrote {target} ({len(html.encode()) // 1024} KiB)")


def serve(
    host: Annotated[str, typer.Option(help="Address to bind (default: this machine only).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port.")] = 8765,
    configs: Annotated[Path | None, typer.Option(help="Config folder (default ./configs).")] = None,
    store: StoreOption = DEFAULT_STORE,
    log: Annotated[Path, typer.Option("--log", help="Promotion log (JSONL).")] = DEFAULT_LOG,
    checkpoints: Annotated[
        str | None,
        typer.Option(
            "--checkpoints",
            help="Checkpointer threads wait for review in: a SQLite file or a postgresql:// "
            "URL (default: KILAB_DATABASE_URL, else a PostgreSQL --store, else "
            "$KILAB_HOME/checkpoints.sqlite).",
        ),
    ] = None,
) -> None:
    """Serve the local web viewer of runs, cases, traces, comparisons and pending reviews."""
    _require_viewer_extra()
    import uvicorn

    from kilab.evals.viewer import create_app
    from kilab.evals.viewer.app import LOCAL_HOSTS

    # No run store yet is fine: the viewer lists no runs, and paused threads can be reviewed.
    if host not in ("127.0.0.1", "localhost", "::1"):
        console.print(
            f"[yellow]warning[/yellow]: the viewer is reachable from other machines on {host}"
        )
    console.print(f"kilab viewer on http://{host}:{port}/ (Ctrl-C to stop)")
    app = create_app(
        store, log=log, configs=configs, checkpoints=checkpoints, hosts=(*LOCAL_HOSTS, host)
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")
