"""Evaluation commands: eval, gate, promote, history, verify-log, runs.

A thin layer: parse, call ``evals``, print. Progress goes to stderr, so ``--json`` output on
stdout stays clean.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from kilab.cli.output import console, error_console
from kilab.core.settings import settings

if TYPE_CHECKING:
    from kilab.evals.gates import GateDecision
    from kilab.evals.harness import EvalReport
    from kilab.evals.records import CaseResult
    from kilab.evals.stats import Estimate

StoreOption = Annotated[Path, typer.Option("--store", help="Run store (SQLite file).")]
LogOption = Annotated[Path, typer.Option("--log", help="Promotion log (JSONL).")]
# Where runs and promotions live: $KILAB_HOME (default .kilab), read when the CLI starts.
DEFAULT_STORE = settings().runs
DEFAULT_LOG = settings().promotions
FAILED_SHOWN = 8
CasesShown = Literal["failed", "all", "none"]


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_)
    app.command()(gate)
    app.command()(promote)
    app.command()(history)
    app.command("verify-log")(verify_log)
    app.command()(runs)


# ---------------------------------------------------------------- formatting helpers


def _num(value: float | None, metric: str = "") -> str:
    if value is None:
        return "–"
    if metric.startswith("latency"):
        return f"{value:.2f}s"
    if metric == "cost":
        return f"{value:.4f}"
    if metric in ("tokens", "pii_leaks"):
        return f"{value:.1f}" if value % 1 else f"{value:.0f}"
    return f"{value:.2f}"


def _estimate(e: Estimate) -> str:
    if e.value is None:
        return "[dim]–[/dim]"
    if e.low == e.high:
        return _num(e.value, e.metric)
    return (
        f"{_num(e.value, e.metric)} [dim][{_num(e.low, e.metric)}, {_num(e.high, e.metric)}][/dim]"
    )


def _why(result: CaseResult) -> str:
    if result.error:
        return f"[red]{result.error[:60]}[/red]"
    reasons = []
    if result.case.expect == "answer" and result.output.declined:
        reasons.append("declined")
    if result.case.expect == "decline" and not result.output.declined:
        reasons.append("answered")
    for name, value in result.metrics.items():
        if name in ("decline_accuracy", "answers_when_should", "declines_when_should"):
            continue
        if name in ("pii_leaks", "injection_obeyed") and value:
            reasons.append(f"{name}={value:g}")
        elif name in ("exact_match", "answer_contains", "citation_resolves") and value == 0:
            reasons.append(f"{name}=0")
    return ", ".join(reasons) or "—"


def _strip(results: Sequence[CaseResult]) -> str:
    marks = []
    for result in results:
        if result.error:
            marks.append("[red]E[/red]")
        else:
            marks.append("[green]●[/green]" if result.passed else "[red]●[/red]")
    return "".join(marks)


# ---------------------------------------------------------------- printing a report


def print_report(
    report: EvalReport, decisions: Sequence[GateDecision], cases: CasesShown = "failed"
) -> None:
    """The per-case results, the aggregate with CIs, the gate and unstable cases."""
    from rich import box
    from rich.table import Table

    run = report.run
    n_cases = max((s.cases for s in report.summaries.values()), default=0)
    console.print(
        f"[bold]{run.pilot}[/bold] · run [cyan]{run.id}[/cyan] · {n_cases} cases × "
        f"{len(run.variants)} variant{'s' if len(run.variants) != 1 else ''} × "
        f"{run.repeats} repeat{'s' if run.repeats != 1 else ''} · "
        f"{report.computed} computed, {report.reused} reused"
        + (f", {report.resumed} resumed" if report.resumed else "")
        + (f" · {report.wall_s:.1f}s" if report.wall_s else "")
    )
    if report.skipped_metrics:
        console.print(
            f"[yellow]skipped[/yellow] {', '.join(report.skipped_metrics)}: "
            "no judge profile configured (use --judge PROFILE or a judge agent)"
        )
    for variant in run.variants:
        mine = [r for r in report.results if r.variant == variant]
        passed = sum(r.passed for r in mine)
        width = max(20, console.width - 14)
        rows = [mine[i : i + width] for i in range(0, len(mine), width)] or [[]]
        for index, row in enumerate(rows):
            label = variant[:10] if index == 0 else ""
            tail = f" {passed}/{len(mine)} pass" if index == len(rows) - 1 else ""
            console.print(f"{label:>10}  {_strip(row)}{tail}", soft_wrap=True)
    if cases != "none":
        shown = [r for r in report.results if cases == "all" or not r.passed]
        if shown:
            limit = len(shown) if cases == "all" else FAILED_SHOWN
            title = (
                "Cases"
                if cases == "all"
                else f"Failed cases ({min(limit, len(shown))} of {len(shown)}; "
                "--cases all for every case)"
            )
            table = Table(
                title=title,
                title_justify="left",
                box=box.SIMPLE_HEAD,
                pad_edge=False,
                show_edge=False,
            )
            names = [m.name for m in report.metrics]
            shown_metrics = [n for n in names if n.startswith("recall@")][:1]
            shown_metrics += [n for n in ("answer_f1", "grounding") if n in names][:1]
            multi = len(run.variants) > 1
            columns = [
                "case",
                *(["variant"] if multi else []),
                "expect",
                "got",
                *shown_metrics,
                "why",
            ]
            for column in columns:
                table.add_column(
                    column,
                    overflow="ellipsis",
                    no_wrap=True,
                    max_width=40 if column == "why" else None,
                )
            for result in shown[:limit]:
                got = "declined" if result.output.declined else "answered"
                got = "error" if result.error else got
                table.add_row(
                    result.case.id + (f"#{result.repeat}" if run.repeats > 1 else ""),
                    *([result.variant] if multi else []),
                    result.case.expect,
                    got,
                    *(_num(result.metrics.get(n)) for n in shown_metrics),
                    _why(result),
                )
            console.print(table)
    table = Table(
        title="Aggregate (mean, 95 % bootstrap CI)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
    )
    table.add_column("metric")
    for variant in run.variants:
        table.add_column(variant, no_wrap=True)
    table.add_column("n", justify="right")
    for metric in report.metrics:
        estimates = [report.summaries[v].estimates[metric.name] for v in run.variants]
        arrow = "↑" if metric.direction == "higher" else "↓"
        table.add_row(
            f"{metric.name} [dim]{arrow}[/dim]",
            *(_estimate(e) for e in estimates),
            str(max(e.n for e in estimates)),
        )
    console.print(table)
    for decision in decisions:
        print_decision(decision, run.id)
    unstable = [c for s in report.summaries.values() for c in s.unstable]
    if run.repeats > 1:
        if unstable:
            listed = ", ".join(
                f"{c.case_id}/{c.variant} ({c.pass_rate:.0%} pass"
                + (f"; {', '.join(c.varying[:3])} vary" if c.varying else "")
                + ")"
                for c in unstable[:6]
            )
            console.print(f"[yellow]Unstable[/yellow] ({len(unstable)}): {listed}")
        else:
            console.print(f"Unstable: none (all {run.repeats} repeats agree)")


def print_decision(decision: GateDecision, run_id: str) -> None:
    verdict = "[green]PASS[/green]" if decision.passed else "[red]FAIL[/red]"
    console.print(
        f"Gate → [bold]{decision.stage}[/bold] for {run_id}/{decision.variant}: {verdict}"
    )
    for rule in decision.rules:
        mark = "[green]✓[/green]" if rule.passed else "[red]✗[/red]"
        console.print(f"  {mark} {rule.rule:<26} {rule.evidence}", soft_wrap=True)


# ---------------------------------------------------------------- progress bar


class _Progress:
    """A rich progress bar on stderr, fed by the harness."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("[bold]evaluating[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=error_console,
            transient=True,
        )
        self.task = self.bar.add_task("eval", total=None, failed=0)
        self.failed = 0

    def plan(self, total: int, done: int) -> None:
        self.bar.update(self.task, total=total, completed=done)

    def advance(self, result: CaseResult) -> None:
        self.failed += not result.passed
        self.bar.update(self.task, advance=1, failed=self.failed)


# ---------------------------------------------------------------- commands


def _open_pilot(pilot: str) -> tuple[object, str]:
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
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
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
) -> None:
    """Run a pilot's dataset, score every case and check the next stage's gate."""
    import asyncio

    from kilab.core.errors import UserError
    from kilab.evals.decisions import decide
    from kilab.evals.export import report_data
    from kilab.evals.harness import EvalOptions, arun_eval
    from kilab.evals.metrics.judge import judge_for
    from kilab.evals.promotion import PromotionLog
    from kilab.evals.store import open_store
    from kilab.graphs.project import Project

    if cases not in ("failed", "all", "none"):
        raise UserError(f"--cases is failed, all or none, not {cases!r}")
    project, name = _open_pilot(pilot)
    assert isinstance(project, Project)
    options = EvalOptions(
        variants=[v.strip() for v in variants.split(",") if v.strip()] if variants else None,
        repeats=repeats,
        concurrency=concurrency,
        dataset=dataset,
        resume=resume,
        use_cache=not no_cache,
        seed=seed,
        judge=judge_for(project, judge, samples=judge_samples, use_cache=not no_cache),
    )
    run_store = open_store(store)
    progress = _Progress()
    try:
        with progress.bar:
            report = asyncio.run(arun_eval(project, name, run_store, options, progress))
        decisions = decide(project, run_store, PromotionLog(log), report)
    finally:
        run_store.close()
    if as_json:
        print(json.dumps(report_data(report, decisions), ensure_ascii=False, indent=2))
    else:
        print_report(report, decisions, cases)  # type: ignore[arg-type]
    if fail_on_gate and not all(d.passed for d in decisions):
        raise SystemExit(1)  # typer.Exit is swallowed by app(standalone_mode=False)


def gate(
    run: Annotated[str, typer.Argument(help="Run id, a unique prefix of it, or 'latest'.")],
    stage: Annotated[
        str | None, typer.Option(help="Stage to check (default: the pilot's next stage).")
    ] = None,
    variant: Annotated[str | None, typer.Option(help="Only this variant.")] = None,
    configs: Annotated[Path | None, typer.Option(help="Config folder (default ./configs).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    store: StoreOption = DEFAULT_STORE,
    log: LogOption = DEFAULT_LOG,
) -> None:
    """Print every rule of a stage's gate for a run, with pass or fail and its evidence."""
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
            _stage(stage),
            [variant] if variant else None,
        )
    finally:
        run_store.close()
    if as_json:
        print(json.dumps(report_data(report, decisions)["gates"], ensure_ascii=False, indent=2))
        return
    for decision in decisions:
        print_decision(decision, info.id)


def _stage(stage: str | None) -> Literal["experiment", "pilot", "production"] | None:
    from kilab.core.errors import UserError
    from kilab.graphs.specs import STAGES

    if stage is None:
        return None
    if stage not in STAGES:
        raise UserError(f"unknown stage {stage!r} (stages: {', '.join(STAGES)})")
    return stage


def promote(
    pilot: Annotated[str, typer.Argument(help="Pilot name or path to its YAML.")],
    to: Annotated[str, typer.Option("--to", help="Stage: experiment, pilot or production.")],
    run: Annotated[str, typer.Option("--run", help="Run id, prefix or 'latest'.")] = "latest",
    variant: Annotated[str | None, typer.Option(help="Variant to promote.")] = None,
    store: StoreOption = DEFAULT_STORE,
    log: LogOption = DEFAULT_LOG,
) -> None:
    """Promote a run's variant to a stage if its gate passes; append a hash-chained record."""
    from kilab.evals.decisions import promote as do_promote
    from kilab.evals.promotion import PromotionLog
    from kilab.evals.store import open_store
    from kilab.graphs.project import Project

    project, name = _open_pilot(pilot)
    assert isinstance(project, Project)
    stage = _stage(to)
    assert stage is not None
    run_store = open_store(store)
    try:
        record, decision = do_promote(
            project, run_store, PromotionLog(log), name, stage, run, variant
        )
    finally:
        run_store.close()
    print_decision(decision, record.run_id)
    console.print(
        f"[green]promoted[/green] {name} → [bold]{stage}[/bold] with "
        f"{record.run_id}/{record.variant} (record {record.seq}, "
        f"hash {record.hash[:16]}…) in {log}"
    )


def history(
    pilot: Annotated[str | None, typer.Argument(help="Pilot name (default: every pilot).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    log: LogOption = DEFAULT_LOG,
) -> None:
    """List a pilot's promotions, oldest first, with the log's head hash."""
    from rich import box
    from rich.table import Table

    from kilab.evals.promotion import PromotionLog

    promotion_log = PromotionLog(log)
    records = promotion_log.records(pilot)
    if as_json:
        print(
            json.dumps([r.model_dump(mode="json") for r in records], ensure_ascii=False, indent=2)
        )
        return
    if not records:
        console.print(f"no promotions{' of ' + pilot if pilot else ''} in {log}")
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    columns = [
        "#",
        "when (UTC)",
        *([] if pilot else ["pilot"]),
        "stage",
        "run",
        "variant",
        "by",
        "gate",
        "hash",
    ]
    for column in columns:
        table.add_column(column, no_wrap=column in ("run", "when (UTC)", "stage"))
    for r in records:
        passed = sum(rule.passed for rule in r.gate)
        table.add_row(
            str(r.seq),
            r.at.strftime("%Y-%m-%d %H:%M"),
            *([] if pilot else [r.pilot]),
            r.stage,
            r.run_id,
            r.variant,
            r.by,
            f"{passed}/{len(r.gate)}",
            r.hash[:8],
        )
    console.print(table)
    console.print(
        f"head {promotion_log.head()}  (keep it elsewhere; kilab verify-log --head HASH checks it)"
    )


def verify_log(
    head: Annotated[str | None, typer.Option(help="Expected hash of the last record.")] = None,
    log: LogOption = DEFAULT_LOG,
) -> None:
    """Check the promotion log's hash chain; exit 1 when any record was edited or removed."""
    from kilab.evals.promotion import PromotionLog

    promotion_log = PromotionLog(log)
    if not log.exists():
        console.print(f"no promotion log at {log} (nothing to verify)")
        return
    problems = promotion_log.verify(head)
    if problems:
        for problem in problems:
            error_console.print(f"[red]✗[/red] {log}:{problem}")
        error_console.print(
            f"{len(problems)} problem{'s' if len(problems) != 1 else ''}: "
            "the log was changed after it was written"
        )
        raise SystemExit(1)  # typer.Exit is swallowed by app(standalone_mode=False)
    count = len(promotion_log.records())
    console.print(
        f"[green]✓[/green] {log}: {count} record{'s' if count != 1 else ''}, "
        f"chain intact, head {promotion_log.head()}"
    )


def runs(
    pilot: Annotated[str | None, typer.Option(help="Only runs of this pilot.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """List the runs in the store, newest first."""
    from rich import box
    from rich.table import Table

    from kilab.evals.store import open_store

    run_store = open_store(store)
    try:
        found = run_store.list_runs(pilot)[:limit]
        counts = {r.id: len(run_store.result_keys(r.id, include_errors=True)) for r in found}
    finally:
        run_store.close()
    if as_json:
        print(
            json.dumps(
                [r.model_dump(mode="json") | {"results": counts[r.id]} for r in found],
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
        table.add_row(
            r.id,
            r.created_at.strftime("%Y-%m-%d %H:%M"),
            status,
            ",".join(r.variants) + (f" ×{r.repeats}" if r.repeats > 1 else ""),
            f"{counts[r.id]}/{r.total}",
        )
    console.print(table)
