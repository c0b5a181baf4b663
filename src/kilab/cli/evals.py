"""Evaluation commands: eval, gate and runs (promotion commands: ``kilab.cli.promotions``).

A thin layer: parse, call ``evals``, print. Progress goes to stderr, so ``--json`` output on
stdout stays clean.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from kilab.cli.eval_report import Progress, print_decision, print_report
from kilab.cli.options import DEFAULT_STORE, StoreOption
from kilab.cli.output import EXIT_FAILED, console, exit_codes
from kilab.core.settings import settings

if TYPE_CHECKING:
    from kilab.evals.executors import Executor
    from kilab.graphs.project import Project

LogOption = Annotated[Path, typer.Option("--log", help="Promotion log (JSONL).")]
# Where promotions live: $KILAB_HOME (default .kilab), read when the CLI starts.
DEFAULT_LOG = settings().promotions


def register(app: typer.Typer) -> None:
    from kilab.cli.promotions import history, promote, verify_log

    app.command("eval", epilog=exit_codes("a gate failed and --fail-on-gate was given"))(eval_)
    app.command(epilog=exit_codes("the gate failed (FAIL) for a variant"))(gate)
    app.command()(promote)
    app.command()(history)
    app.command("verify-log")(verify_log)
    app.command()(runs)


# ---------------------------------------------------------------- commands


def open_pilot(pilot: str) -> tuple[Project, str]:
    """The project and name of a pilot given by name or by its YAML file."""
    from kilab.graphs.project import open_named

    return open_named(pilot, "pilot")


def eval_(
    pilot: Annotated[str, typer.Argument(help="Pilot name or path to its YAML.")],
    variants: Annotated[
        str | None,
        typer.Option("--variants", help="'all' or names separated by commas (default: the first)."),
    ] = None,
    repeats: Annotated[int, typer.Option(min=1, help="Runs of each case and variant.")] = 1,
    concurrency: Annotated[int, typer.Option(min=1, help="Cases in flight at once.")] = 8,
    resume: Annotated[
        str | None, typer.Option(help="Finish this run: compute only its missing results.")
    ] = None,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache", help="Recompute results stored by earlier runs; rebuild indexes."
        ),
    ] = False,
    dataset: Annotated[
        Path | None,
        typer.Option(help="Another dataset of the same form.", exists=True, dir_okay=False),
    ] = None,
    split: Annotated[
        str | None,
        typer.Option(
            help="dev or test, of a pilot with dev and test data (default test: the gates "
            "judge only test)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the result as Markdown (CI logs).")
    ] = False,
    junit: Annotated[
        Path | None,
        typer.Option(
            "--junit",
            help="Also write JUnit XML: a testcase per case and variant, and one per gate.",
            dir_okay=False,
        ),
    ] = None,
    store: StoreOption = DEFAULT_STORE,
    log: LogOption = DEFAULT_LOG,
    fail_on_gate: Annotated[
        bool, typer.Option(help="Exit 1 when the next stage's gate fails.")
    ] = False,
    cases: Annotated[str, typer.Option(help="Per-case table: failed, all or none.")] = "failed",
    judge: Annotated[
        str | None,
        typer.Option(
            help="Model profile for the judge metric (default: the project's judge agent)."
        ),
    ] = None,
    judge_samples: Annotated[int, typer.Option(min=1, help="Judge samples per case.")] = 3,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    executor: Annotated[
        str, typer.Option(help="Where cases run: local (this process) or ray (a Ray cluster).")
    ] = "local",
    ray_address: Annotated[
        str | None,
        typer.Option(help="Ray cluster to join (host:port or auto; default: start Ray here)."),
    ] = None,
) -> None:
    """Run a pilot's dataset, score every case and check the next stage's gate."""
    import asyncio

    from kilab.core.errors import UserError
    from kilab.evals.decisions import decide
    from kilab.evals.export import report_data
    from kilab.evals.harness import EvalOptions, arun_eval
    from kilab.evals.metrics.correctness import correctness_for
    from kilab.evals.metrics.judge import judge_for
    from kilab.evals.promotion import PromotionLog
    from kilab.evals.store import open_store

    if cases not in ("failed", "all", "none"):
        raise UserError(f"--cases is failed, all or none, not {cases!r}")
    if executor not in ("local", "ray"):
        raise UserError(f"--executor is local or ray, not {executor!r}")
    if ray_address and executor != "ray":
        raise UserError("--ray-address needs --executor ray")
    project, name = open_pilot(pilot)
    options = EvalOptions(
        variants=[v.strip() for v in variants.split(",") if v.strip()] if variants else None,
        repeats=repeats,
        concurrency=concurrency,
        dataset=dataset,
        split=parse_split(split),
        resume=resume,
        use_cache=not no_cache,
        seed=seed,
        judge=judge_for(project, judge, samples=judge_samples, use_cache=not no_cache),
        correctness=correctness_for(
            project, name, judge, samples=judge_samples, use_cache=not no_cache
        ),
    )
    run_store = open_store(store)
    progress = Progress()
    try:
        with progress.bar:
            report = asyncio.run(
                arun_eval(
                    project, name, run_store, options, progress, runs_on(executor, ray_address)
                )
            )
        decisions = decide(project, run_store, PromotionLog(log), report)
    finally:
        run_store.close()
    if junit is not None:
        from kilab.evals.junit import write_junit

        write_junit(junit, report, decisions)
    if as_json:
        print(json.dumps(report_data(report, decisions), ensure_ascii=False, indent=2))
    elif markdown:
        from kilab.evals.markdown import report_markdown

        print(report_markdown(report, decisions), end="")
    else:
        print_report(report, decisions, cases)  # type: ignore[arg-type]
    if junit is not None and not as_json:
        console.print(f"wrote {junit}", markup=False)
    if fail_on_gate and not all(d.passed for d in decisions):
        raise SystemExit(EXIT_FAILED)  # typer.Exit is swallowed by app(standalone_mode=False)


def runs_on(executor: str, address: str | None) -> Executor | None:
    """The executor named by ``--executor`` (None: the harness's local default)."""
    if executor == "local":
        return None
    from kilab.evals.executors import RayExecutor

    return RayExecutor(address)


def gate(
    run: Annotated[str, typer.Argument(help="Run id, a unique prefix of it, or 'latest'.")],
    stage: Annotated[
        str | None, typer.Option(help="Stage to check (default: the pilot's next stage).")
    ] = None,
    variant: Annotated[str | None, typer.Option(help="Only this variant.")] = None,
    configs: Annotated[Path | None, typer.Option(help="Config folder (default ./configs).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print Markdown.")] = False,
    store: StoreOption = DEFAULT_STORE,
    log: LogOption = DEFAULT_LOG,
) -> None:
    """Print every rule of a stage's gate for a run, with pass or fail and its evidence;
    exit 1 when any variant's gate fails."""
    from kilab.evals.decisions import decide
    from kilab.evals.export import report_data
    from kilab.evals.harness import build_report
    from kilab.evals.promotion import PromotionLog
    from kilab.evals.store import open_store, resolve_run
    from kilab.graphs.project import open_project

    project = open_project(configs)
    run_store = open_store(store)
    try:
        info = resolve_run(run_store, run)
        report = build_report(run_store, info.id)
        decisions = decide(
            project,
            run_store,
            PromotionLog(log),
            report,
            parse_stage(stage),
            [variant] if variant else None,
        )
    finally:
        run_store.close()
    if as_json:
        print(json.dumps(report_data(report, decisions)["gates"], ensure_ascii=False, indent=2))
    elif markdown:
        from kilab.evals.markdown import gate_markdown

        print(gate_markdown(decisions, info.id), end="")
    else:
        for decision in decisions:
            print_decision(decision, info.id)
    if not all(d.passed for d in decisions):
        raise SystemExit(EXIT_FAILED)


def parse_stage(stage: str | None) -> Literal["experiment", "pilot", "production"] | None:
    """A stage named on the command line (None stays None)."""
    from kilab.core.errors import UserError
    from kilab.graphs.specs import STAGES

    if stage is None:
        return None
    if stage not in STAGES:
        raise UserError(f"unknown stage {stage!r} (stages: {', '.join(STAGES)})")
    return stage


def parse_split(split: str | None) -> Literal["dev", "test"] | None:
    """A split named on the command line (None stays None)."""
    from kilab.core.errors import UserError

    if split is None:
        return None
    if split == "dev":
        return "dev"
    if split == "test":
        return "test"
    raise UserError(f"--split is dev or test, not {split!r}")


def runs(
    pilot: Annotated[str | None, typer.Option(help="Only runs of this pilot.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """List the runs in the store, newest first."""
    from rich import box
    from rich.table import Table

    from kilab.evals.leases import shown_status
    from kilab.evals.store import open_store

    run_store = open_store(store)
    try:
        found = run_store.list_runs(pilot)[:limit]
        counts = {r.id: len(run_store.result_keys(r.id, include_errors=True)) for r in found}
        # a stored "running" whose process is gone shows as interrupted
        found = [r.model_copy(update={"status": shown_status(run_store, r)}) for r in found]
        holders = {r.id: run_store.get_lease(r.id) for r in found if r.status == "running"}
    finally:
        run_store.close()
    if as_json:
        print(
            json.dumps(
                [
                    r.model_dump(mode="json")
                    | {"results": counts[r.id]}
                    | (
                        {"held_by": {"host": lease.host, "pid": lease.pid}}
                        if (lease := holders.get(r.id))
                        else {}
                    )
                    for r in found
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if not found:
        console.print(f"no runs in {store}")
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for column in ("run", "started (UTC)", "status", "variants", "results"):
        table.add_column(column, no_wrap=column in ("run", "results"))
    for r in found:
        status = {
            "finished": "[green]finished[/green]",
            "interrupted": "[yellow]interrupted[/yellow]",
        }.get(r.status, r.status)
        if (lease := holders.get(r.id)) is not None:
            status += f" (host {lease.host}, pid {lease.pid})"
        table.add_row(
            r.id,
            r.created_at.strftime("%Y-%m-%d %H:%M"),
            status,
            ",".join(r.variants) + (f" ×{r.repeats}" if r.repeats > 1 else ""),
            f"{counts[r.id]}/{r.total}",
        )
    console.print(table)
