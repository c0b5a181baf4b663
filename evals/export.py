"""A run's report and gate decisions as plain JSON-able data (``kilab eval --json``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kilab.evals.decisions import judge_calibrations
from kilab.evals.gates import GateDecision
from kilab.evals.harness import EvalReport


def report_data(report: EvalReport, decisions: Sequence[GateDecision] = ()) -> dict[str, Any]:
    """Aggregate metrics with CIs per variant, per-case results and gate decisions."""
    return {
        "run": report.run.model_dump(mode="json"),
        "computed": report.computed,
        "reused": report.reused,
        "skipped_metrics": report.skipped_metrics,
        "variants": {
            name: {
                "cases": s.cases,
                "results": s.results,
                "errors": s.errors,
                "pass_rate": s.pass_rate,
                "total_cost": s.total_cost,
                "metrics": {
                    m: {
                        "value": e.value,
                        "low": e.low,
                        "high": e.high,
                        "n": e.n,
                        "direction": e.direction,
                        "aggregate": e.aggregate,
                    }
                    for m, e in s.estimates.items()
                },
                "unstable": [
                    {"case_id": c.case_id, "pass_rate": c.pass_rate, "varying": list(c.varying)}
                    for c in s.unstable
                ],
            }
            for name, s in report.summaries.items()
        },
        "cases": [
            {
                "case_id": r.case.id,
                "variant": r.variant,
                "repeat": r.repeat,
                "key": r.key,
                "expect": r.case.expect,
                "passed": r.passed,
                "failed_rules": r.failed_rules,
                "declined": r.output.declined,
                "answer": r.output.answer,
                "citations": r.output.citations,
                "verdict": r.output.verdict,
                "latency_s": r.output.latency_s,
                "metrics": r.metrics,
                "samples": r.samples,
                "error": r.error,
                "reused_from": r.reused_from or None,
            }
            for r in report.results
        ],
        "judges": {
            metric: {
                "judge": report.run.judges[metric],
                "calibrated": found is not None,
                "kappa": found.kappa if found else None,
                "kappa_ci95": [found.kappa_low, found.kappa_high] if found else None,
                "labels": found.n if found else None,
            }
            for metric, found in judge_calibrations(report.run).items()
        },
        "gates": [
            {
                "stage": d.stage,
                "variant": d.variant,
                "passed": d.passed,
                "declared": d.declared,
                "rules": [
                    {"rule": r.rule, "passed": r.passed, "evidence": r.evidence} for r in d.rules
                ],
            }
            for d in decisions
        ],
    }
