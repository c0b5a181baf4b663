"""Gates: may a run's variant enter a stage? Every rule with pass or fail and its evidence.

Rules (``kilab.graphs.specs.GateSpec``): a minimum number of cases; a metric's *lower* 95 % CI
bound at or above a threshold (``min``) or its upper bound at or below one (``max``);
zero-tolerance metrics (every case exactly 0); no significant regression of any gated
metric against a baseline run (the promoted one, or a run id), by a paired bootstrap over
the shared cases; a cost budget for the whole run; every judge whose values the run holds
calibrated against people's labels with at least a Cohen's κ (``judge: {min_kappa: 0.6}``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kilab.evals.records import CaseResult
from kilab.evals.stats import (
    Estimate,
    VariantSummary,
    paired_difference,
    paired_differences,
    paired_verdict,
    per_case_values,
    permutation_test,
)
from kilab.graphs.specs import GateSpec, JudgeGateSpec, Stage

if TYPE_CHECKING:
    from kilab.evals.calibration import CalibrationRecord


@dataclass(frozen=True, slots=True)
class RuleResult:
    """One rule of a gate: its name, pass or fail, and why."""

    rule: str
    passed: bool
    evidence: str
    metric: str = ""


@dataclass(frozen=True, slots=True)
class Baseline:
    """The run a gate compares against, for ``no_regression_vs``."""

    run_id: str
    variant: str
    results: Sequence[CaseResult]


@dataclass(frozen=True, slots=True)
class GateDecision:
    """A gate's outcome for one variant of a run."""

    stage: Stage
    variant: str
    rules: list[RuleResult] = field(default_factory=list)
    declared: bool = True

    @property
    def passed(self) -> bool:
        return all(rule.passed for rule in self.rules)


def _fmt(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "–"
    return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"


def _bound_rule(kind: str, metric: str, threshold: float, estimate: Estimate | None) -> RuleResult:
    name = f"{kind} {metric}"
    if estimate is None or estimate.value is None:
        return RuleResult(name, False, f"{metric} has no values in this run", metric)
    if kind == "min":
        bound = estimate.low
        ok = bound is not None and bound >= threshold
        relation = "≥" if ok else "<"
        return RuleResult(
            name,
            ok,
            f"lower 95 % bound {_fmt(bound)} {relation} {_fmt(threshold)}"
            f" (mean {_fmt(estimate.value)}, n={estimate.n})",
            metric,
        )
    bound = estimate.high
    ok = bound is not None and bound <= threshold
    relation = "≤" if ok else ">"
    return RuleResult(
        name,
        ok,
        f"upper 95 % bound {_fmt(bound)} {relation} {_fmt(threshold)}"
        f" (mean {_fmt(estimate.value)}, n={estimate.n})",
        metric,
    )


def _zero_rule(metric: str, results: Sequence[CaseResult]) -> RuleResult:
    values = [(r.case.id, r.metrics.get(metric)) for r in results]
    scored = [(c, v) for c, v in values if v is not None]
    if not scored:
        return RuleResult(f"zero {metric}", False, f"{metric} has no values in this run", metric)
    bad = sorted({c for c, v in scored if v != 0})
    if bad:
        shown = ", ".join(bad[:3]) + (" …" if len(bad) > 3 else "")
        return RuleResult(
            f"zero {metric}",
            False,
            f"{len(bad)} of {len(scored)} results are not 0: {shown}",
            metric,
        )
    return RuleResult(f"zero {metric}", True, f"0 in all {len(scored)} results", metric)


def _regression_rules(
    spec: GateSpec,
    summary: VariantSummary,
    results: Sequence[CaseResult],
    baseline: Baseline | None,
    seed: int,
) -> list[RuleResult]:
    target = spec.no_regression_vs
    if baseline is None:
        return [
            RuleResult(f"no regression vs {target}", True, f"no {target} run to compare with yet")
        ]
    rules = []
    for metric in dict.fromkeys([*spec.min, *spec.max]):
        estimate = summary.estimates.get(metric)
        current = per_case_values(results, metric)
        before = per_case_values(baseline.results, metric)
        mean, low, high, n = paired_difference(current, before, seed=seed)
        name = f"no regression {metric}"
        if n == 0:
            rules.append(RuleResult(name, False, f"no case shared with {baseline.run_id}", metric))
            continue
        direction = estimate.direction if estimate is not None else "higher"
        # The same evidence as `kilab compare`: CI and permutation test must both agree.
        p_value = permutation_test(paired_differences(current, before)[1], seed=seed)
        worse = paired_verdict(direction, low, high, p_value) == "worse"
        verdict = "significantly worse" if worse else "no significant drop"
        rules.append(
            RuleResult(
                name,
                not worse,
                f"Δ {mean:+.3f} [{low:+.3f}, {high:+.3f}], p {p_value:.3f} vs {baseline.run_id}"
                f"/{baseline.variant} over {n} shared cases: {verdict}",
                metric,
            )
        )
    return rules


def _judge_rules(
    spec: JudgeGateSpec,
    judges: Mapping[str, str],
    calibrations: Mapping[str, CalibrationRecord],
) -> list[RuleResult]:
    if not judges:
        return [RuleResult("judge calibrated", True, "the run holds no judged metric")]
    rules = []
    for metric, judge in judges.items():
        found = calibrations.get(judge)
        name = f"judge calibrated {metric}"
        if found is None:
            rules.append(
                RuleResult(
                    name,
                    False,
                    f"{judge} is uncalibrated: run 'kilab judge calibrate' for it",
                    metric,
                )
            )
            continue
        ok = found.kappa >= spec.min_kappa
        rules.append(
            RuleResult(
                name,
                ok,
                f"{judge}: Cohen's κ {found.kappa:.3f} [{found.kappa_low:.3f}, "
                f"{found.kappa_high:.3f}] over {found.n} labels "
                f"{'≥' if ok else '<'} {spec.min_kappa:g}",
                metric,
            )
        )
    return rules


def evaluate_gate(
    spec: GateSpec | None,
    stage: Stage,
    summary: VariantSummary,
    results: Sequence[CaseResult],
    baseline: Baseline | None = None,
    *,
    seed: int = 0,
    judges: Mapping[str, str] | None = None,
    calibrations: Mapping[str, CalibrationRecord] | None = None,
) -> GateDecision:
    """Apply a stage's gate to one variant of a run.

    Args:
        spec: The pilot's gate for the stage; None when the pilot declares none (the
            decision then passes and says so).
        stage: The stage asked for.
        summary: The variant's estimates.
        results: The variant's results.
        baseline: The run to compare with for ``no_regression_vs`` (None: none exists yet).
        seed: Seed of the paired bootstrap.
        judges: The run's judged metrics and their judges (``RunInfo.judges``).
        calibrations: The latest calibration of every judge (``CalibrationLog.latest``).
    """
    mine = [r for r in results if r.variant == summary.variant]
    if spec is None:
        return GateDecision(
            stage,
            summary.variant,
            [RuleResult("no gate", True, f"the pilot declares no gate for {stage}")],
            declared=False,
        )
    rules = [
        RuleResult(
            "min_cases",
            summary.cases >= spec.min_cases,
            f"{summary.cases} cases {'≥' if summary.cases >= spec.min_cases else '<'}"
            f" {spec.min_cases}",
        )
    ]
    if summary.errors:
        rules.append(RuleResult("no errors", False, f"{summary.errors} results ended in an error"))
    rules += [_bound_rule("min", m, t, summary.estimates.get(m)) for m, t in spec.min.items()]
    rules += [_bound_rule("max", m, t, summary.estimates.get(m)) for m, t in spec.max.items()]
    rules += [_zero_rule(m, mine) for m in spec.zero]
    if spec.no_regression_vs:
        base = None
        if baseline is not None:
            base = Baseline(
                baseline.run_id,
                baseline.variant,
                [r for r in baseline.results if r.variant == baseline.variant],
            )
        rules += _regression_rules(spec, summary, mine, base, seed)
    if spec.max_cost is not None:
        ok = summary.total_cost <= spec.max_cost
        rules.append(
            RuleResult(
                "max_cost",
                ok,
                f"run cost {summary.total_cost:.4f} {'≤' if ok else '>'} {spec.max_cost:.4f}",
            )
        )
    if spec.judge is not None:
        rules += _judge_rules(spec.judge, judges or {}, calibrations or {})
    return GateDecision(stage, summary.variant, rules)
