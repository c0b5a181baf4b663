"""How ``kilab eval`` and ``kilab gate`` print: the report, gate decisions, a progress bar.

Values are formatted by ``kilab.evals.metrics.display`` from each metric's own unit and
precision; this module only lays them out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from kilab.cli.output import console, error_console

if TYPE_CHECKING:
    from kilab.evals.gates import GateDecision
    from kilab.evals.harness import EvalReport
    from kilab.evals.metrics.base import MetricInfo
    from kilab.evals.records import CaseResult
    from kilab.evals.stats import Estimate

FAILED_SHOWN = 8
CasesShown = Literal["failed", "all", "none"]


def _estimate(e: Estimate, metric: MetricInfo) -> str:
    from kilab.evals.metrics.display import format_value

    if e.value is None:
        return "[dim]–[/dim]"
    value, low, high = (format_value(metric, v) for v in (e.value, e.low, e.high))
    return value if e.low == e.high else f"{value} [dim][{low}, {high}][/dim]"


def _why(result: CaseResult) -> str:
    from kilab.evals.metrics.display import failure_reasons

    if result.error:
        return f"[red]{result.error[:60]}[/red]"
    return ", ".join(failure_reasons(result)) or "—"


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

    from kilab.evals.metrics.display import format_value

    run = report.run
    n_cases = max((s.cases for s in report.summaries.values()), default=0)
    console.print(
        f"[bold]{run.pilot}[/bold] · run [cyan]{run.id}[/cyan] · {n_cases} cases × "
        f"{len(run.variants)} variant{'s' if len(run.variants) != 1 else ''} × "
        f"{run.repeats} repeat{'s' if run.repeats != 1 else ''} · "
        + (f"{run.split} split · " if run.split else "")
        + f"{report.computed} computed, {report.reused} reused"
        + (f", {report.resumed} resumed" if report.resumed else "")
        + (f" · {report.wall_s:.1f}s" if report.wall_s else "")
        + (
            f" (set-up {sum(run.setup_s.values()):.1f}s, before the first case)"
            if run.setup_s
            else ""
        )
    )
    if report.skipped_metrics:
        console.print(
            f"[yellow]skipped[/yellow] {', '.join(report.skipped_metrics)}: "
            "no judge profile configured (use --judge PROFILE or a judge agent)"
        )
    # One strip of pass/fail marks per variant, under the variant's whole name when the
    # name is too long to stand in front of it.
    label_width = min(max((len(v) for v in run.variants), default=0), 16)
    for variant in run.variants:
        mine = [r for r in report.results if r.variant == variant]
        passed = sum(r.passed for r in mine)
        if len(variant) > label_width:
            console.print(variant, soft_wrap=True, markup=False)
        width = max(20, console.width - label_width - 14)
        rows = [mine[i : i + width] for i in range(0, len(mine), width)] or [[]]
        for index, row in enumerate(rows):
            label = variant if index == 0 and len(variant) <= label_width else ""
            tail = f" {passed}/{len(mine)} pass" if index == len(rows) - 1 else ""
            console.print(f"{label:>{label_width}}  {_strip(row)}{tail}", soft_wrap=True)
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
                padding=(0, 1, 0, 0),
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
                # Every column keeps its values whole; "why" takes what is left, and wraps.
                if column == "why":
                    table.add_column(column, ratio=1, overflow="fold")
                else:
                    table.add_column(column, no_wrap=True)
            for result in shown[:limit]:
                got = "declined" if result.output.declined else "answered"
                got = "error" if result.error else got
                table.add_row(
                    result.case.id + (f"#{result.repeat}" if run.repeats > 1 else ""),
                    *([result.variant] if multi else []),
                    result.case.expect,
                    got,
                    *(format_value(n, result.metrics.get(n)) for n in shown_metrics),
                    _why(result),
                )
            console.print(table)
    table = Table(
        title="Aggregate (mean, 95 % bootstrap CI)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=(0, 1, 0, 0),
        show_edge=False,
    )
    # Metric names stay whole (a CI log is 80 columns wide); a CI wraps below its value.
    table.add_column("metric", no_wrap=True)
    for variant in run.variants:
        table.add_column(variant, overflow="fold")
    table.add_column("n", justify="right", no_wrap=True)
    from kilab.evals.decisions import judge_calibrations

    calibrations = judge_calibrations(run)
    for metric in report.metrics:
        estimates = [report.summaries[v].estimates[metric.name] for v in run.variants]
        arrow = "↑" if metric.direction == "higher" else "↓"
        mark = ""
        if metric.name in calibrations:  # a judge's score: say whether people agree with it
            found = calibrations[metric.name]
            mark = (
                " [yellow](uncalibrated judge)[/yellow]"
                if found is None
                else f" [dim](κ {found.kappa:.2f}, n={found.n})[/dim]"
            )
        table.add_row(
            f"{metric.name} [dim]{arrow}[/dim]{mark}",
            *(_estimate(e, metric) for e in estimates),
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
    from rich.markup import escape
    from rich.table import Table

    rules = Table.grid(padding=(0, 1))  # the evidence wraps under itself at 80 columns
    rules.add_column(width=1)
    rules.add_column(no_wrap=True)
    rules.add_column(no_wrap=True)
    rules.add_column(ratio=1, overflow="fold")
    for rule in decision.rules:
        mark = "[green]✓[/green]" if rule.passed else "[red]✗[/red]"
        rules.add_row("", mark, escape(rule.rule), escape(rule.evidence))
    console.print(rules)


# ---------------------------------------------------------------- progress bar


class Progress:
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
