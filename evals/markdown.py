"""A run's report and gate decisions as Markdown, for CI logs and job summaries
(``kilab eval --markdown``, ``kilab gate --markdown``; the comparison's own Markdown is
``kilab.evals.compare.to_markdown``)."""

from __future__ import annotations

from collections.abc import Sequence

from kilab.evals.gates import GateDecision
from kilab.evals.harness import EvalReport
from kilab.evals.metrics.display import format_value


def md_cell(text: str) -> str:
    """Text safe inside a Markdown table cell (no column breaks, newlines or HTML)."""
    return text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")


def gate_markdown(decisions: Sequence[GateDecision], run_id: str) -> str:
    """Each gate decision as a heading with PASS or FAIL and a table of its rules."""
    lines: list[str] = []
    for decision in decisions:
        verdict = "PASS" if decision.passed else "FAIL"
        lines += [
            f"### Gate → {decision.stage} for {md_cell(run_id)}/{md_cell(decision.variant)}: "
            f"{verdict}",
            "",
            "| | rule | evidence |",
            "|---|---|---|",
        ]
        lines += [
            f"| {'✓' if rule.passed else '✗'} | {md_cell(rule.rule)} | {md_cell(rule.evidence)} |"
            for rule in decision.rules
        ]
        lines.append("")
    return "\n".join(lines)


def report_markdown(
    report: EvalReport, decisions: Sequence[GateDecision] = (), *, failed_shown: int = 20
) -> str:
    """The run as Markdown: a heading, pass rates, the aggregate table with CIs, the failed
    cases with the pass rules they broke, and the gates."""
    run = report.run
    lines = [
        f"## {md_cell(run.pilot)} · run {md_cell(run.id)}",
        "",
        f"{len(run.variants)} variant(s) × {run.repeats} repeat(s) · "
        f"{report.computed} computed, {report.reused} reused",
        "",
        "| metric | " + " | ".join(md_cell(v) for v in run.variants) + " |",
        "|---|" + "---|" * len(run.variants),
        "| pass rate | "
        + " | ".join(
            f"{report.summaries[v].pass_rate:.1%} of {report.summaries[v].results}"
            for v in run.variants
        )
        + " |",
    ]
    for metric in report.metrics:
        cells = []
        for variant in run.variants:
            e = report.summaries[variant].estimates[metric.name]
            value = format_value(metric, e.value)
            if e.value is not None and e.low != e.high:
                value += f" [{format_value(metric, e.low)}, {format_value(metric, e.high)}]"
            cells.append(value)
        arrow = "↑" if metric.direction == "higher" else "↓"
        lines.append(f"| {md_cell(metric.name)} {arrow} | " + " | ".join(cells) + " |")
    failed = [r for r in report.results if not r.passed]
    lines += ["", f"### Failed cases ({len(failed)} of {len(report.results)})", ""]
    if failed:
        lines += ["| case | variant | why |", "|---|---|---|"]
        for result in failed[:failed_shown]:
            case = result.case.id + (f"#{result.repeat}" if run.repeats > 1 else "")
            why = f"error: {result.error}" if result.error else "; ".join(result.failed_rules)
            lines.append(f"| {md_cell(case)} | {md_cell(result.variant)} | {md_cell(why)} |")
        if len(failed) > failed_shown:
            lines.append(f"\n… and {len(failed) - failed_shown} more.")
    else:
        lines.append("None.")
    lines += ["", gate_markdown(decisions, run.id)]
    return "\n".join(lines).rstrip("\n") + "\n"
