"""Paired comparison of two runs (or two variants of one run), case by case.

Cases are matched by id; only cases both sides hold are compared, the rest are listed. For
every metric: both sides' estimates with their bootstrap 95 % CIs, the mean paired
difference (B − A) with a paired bootstrap 95 % CI, a two-sided paired permutation test
(sign flips of the differences: exact up to ``EXACT_MAX`` cases, Monte Carlo above) and
Cohen's d_z as effect size. Cases whose pass/fail flipped come first, regressions first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from kilab.core.errors import NotFoundError
from kilab.evals.harness import EvalReport, build_report
from kilab.evals.markdown import md_cell as _md
from kilab.evals.metrics.base import Aggregate, Direction
from kilab.evals.metrics.display import format_value
from kilab.evals.records import CaseResult, RunInfo
from kilab.evals.stats import ALPHA as ALPHA
from kilab.evals.stats import EXACT_MAX as EXACT_MAX
from kilab.evals.stats import PERMUTATIONS as PERMUTATIONS
from kilab.evals.stats import (
    RESAMPLES,
    Change,
    Estimate,
    cohens_dz,
    paired_difference,
    paired_differences,
    paired_verdict,
    per_case_values,
    permutation_test,
)
from kilab.evals.store import RunStore, resolve_run

OPERATIONAL = ("latency", "tokens", "cost")
Verdict = Literal[Change, "no shared values"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class SideEstimate(_Model):
    """One side's estimate of a metric with its bootstrap 95 % CI."""

    value: float | None
    low: float | None
    high: float | None
    n: int


class MetricComparison(_Model):
    """One metric, both sides and their paired difference (B − A over shared cases).

    Attributes:
        metric: The metric's name.
        direction: Whether higher or lower is better.
        aggregate: How each side is summarised (mean, p50, p95); the difference is always
            the mean of per-case differences.
        a: Side A's estimate over all its cases.
        b: Side B's estimate over all its cases.
        diff: Mean of (B − A) over the cases both have a value for.
        low: Lower bound of the paired bootstrap 95 % CI of ``diff``.
        high: Upper bound.
        n: Number of paired cases.
        p_value: Two-sided paired permutation test of "no difference".
        effect_size: Cohen's d_z: mean difference over the SD of the differences (None
            when every difference is equal).
        verdict: better / worse (for B, by direction) when the CI excludes 0 and
            p < ``ALPHA``; else no significant difference.
    """

    metric: str
    direction: Direction
    aggregate: Aggregate
    a: SideEstimate
    b: SideEstimate
    diff: float | None
    low: float | None
    high: float | None
    n: int
    p_value: float | None
    effect_size: float | None
    verdict: Verdict


class Flip(_Model):
    """A case whose pass/fail differs between the sides (pass = passed in most repeats)."""

    case_id: str
    question: str
    a_pass_rate: float
    b_pass_rate: float

    @property
    def kind(self) -> Literal["regression", "fix"]:
        """pass → fail is a regression, fail → pass a fix."""
        return "regression" if self.a_pass_rate > self.b_pass_rate else "fix"


class SideInfo(_Model):
    """What is compared on one side: a run's variant."""

    run: RunInfo
    variant: str
    cases: int
    results: int
    pass_rate: float
    errors: int

    @property
    def label(self) -> str:
        return f"{self.run.id}:{self.variant}"


class Comparison(_Model):
    """The paired comparison of side B against side A."""

    a: SideInfo
    b: SideInfo
    shared: list[str]
    only_a: list[str]
    only_b: list[str]
    metrics: list[MetricComparison]
    flips: list[Flip]
    seed: int

    def metric(self, name: str) -> MetricComparison:
        """One metric's comparison by name."""
        for item in self.metrics:
            if item.metric == name:
                return item
        raise NotFoundError(f"no metric {name!r} in this comparison")


@dataclass(frozen=True, slots=True)
class Side:
    """A run's variant with its stored results and summary, ready to compare."""

    report: EvalReport
    variant: str

    @property
    def results(self) -> list[CaseResult]:
        return [r for r in self.report.results if r.variant == self.variant]


# ---------------------------------------------------------------- loading


def parse_ref(ref: str) -> tuple[str, str | None]:
    """``RUN`` or ``RUN:VARIANT`` → (run reference, variant or None)."""
    run_ref, _, variant = ref.partition(":")
    return run_ref, variant or None


def load_side(store: RunStore, ref: str, pilot: str | None = None) -> Side:
    """A side named ``RUN[:VARIANT]`` (RUN: id, unique prefix or ``latest``).

    Without a variant, the run's first (baseline) variant is taken.

    Raises:
        NotFoundError: For an unknown run or variant.
    """
    run_ref, variant = parse_ref(ref)
    run = resolve_run(store, run_ref, pilot)
    chosen = variant or run.variants[0]
    if chosen not in run.variants:
        raise NotFoundError(
            f"run {run.id} has no variant {chosen!r} (variants: {', '.join(run.variants)})"
        )
    return Side(build_report(store, run.id), chosen)


# ---------------------------------------------------------------- comparing


def _operational(results: Sequence[CaseResult], metric: str) -> dict[str, float]:
    grouped: dict[str, list[float]] = defaultdict(list)
    for result in results:
        output = result.output
        value = {"latency": output.latency_s, "tokens": output.tokens, "cost": output.cost}
        grouped[result.case.id].append(float(value[metric]))
    return {case_id: sum(vs) / len(vs) for case_id, vs in grouped.items()}


def _values(results: Sequence[CaseResult], metric: str) -> dict[str, float]:
    if metric in OPERATIONAL:
        return _operational(results, metric)
    return per_case_values(results, metric)


def _side_estimate(estimate: Estimate | None, values: dict[str, float]) -> SideEstimate:
    if estimate is not None:
        return SideEstimate(
            value=estimate.value, low=estimate.low, high=estimate.high, n=estimate.n
        )
    from kilab.evals.stats import bootstrap

    if not values:
        return SideEstimate(value=None, low=None, high=None, n=0)
    value, low, high = bootstrap(list(values.values()))
    return SideEstimate(value=value, low=low, high=high, n=len(values))


def _pass_rates(results: Sequence[CaseResult]) -> dict[str, float]:
    grouped: dict[str, list[bool]] = defaultdict(list)
    for result in results:
        grouped[result.case.id].append(result.passed)
    return {case_id: sum(ps) / len(ps) for case_id, ps in grouped.items()}


def compare_metric(
    metric: str,
    direction: Direction,
    aggregate: Aggregate,
    a: Sequence[CaseResult],
    b: Sequence[CaseResult],
    estimates: tuple[Estimate | None, Estimate | None] = (None, None),
    *,
    seed: int = 0,
    resamples: int = RESAMPLES,
) -> MetricComparison:
    """Compare one metric between two sides' results (B − A).

    Args:
        metric: Metric name (a scored metric, or latency / tokens / cost from the outputs).
        direction: Whether higher is better.
        aggregate: How each side is summarised.
        a: Side A's results.
        b: Side B's results.
        estimates: The sides' stored estimates, when the run summary has them.
        seed: Seeds the bootstrap and the permutation test.
        resamples: Bootstrap resamples.
    """
    values_a, values_b = _values(a, metric), _values(b, metric)
    side_a = _side_estimate(estimates[0], values_a)
    side_b = _side_estimate(estimates[1], values_b)
    diff, low, high, n = paired_difference(values_b, values_a, seed=seed, resamples=resamples)
    if n == 0:
        return MetricComparison(
            metric=metric, direction=direction, aggregate=aggregate, a=side_a, b=side_b,
            diff=None, low=None, high=None, n=0, p_value=None, effect_size=None,
            verdict="no shared values",
        )  # fmt: skip
    _, diffs = paired_differences(values_b, values_a)
    p_value = permutation_test(diffs, seed=seed)
    return MetricComparison(
        metric=metric,
        direction=direction,
        aggregate=aggregate,
        a=side_a,
        b=side_b,
        diff=diff,
        low=low,
        high=high,
        n=n,
        p_value=p_value,
        effect_size=cohens_dz(diffs),
        verdict=paired_verdict(direction, low, high, p_value),
    )


def _info(side: Side) -> SideInfo:
    mine = side.results
    return SideInfo(
        run=side.report.run,
        variant=side.variant,
        cases=len({r.case.id for r in mine}),
        results=len(mine),
        pass_rate=(sum(r.passed for r in mine) / len(mine)) if mine else 0.0,
        errors=sum(1 for r in mine if r.error),
    )


def compare(a: Side, b: Side, *, seed: int | None = None) -> Comparison:
    """The paired comparison of side B against side A.

    Args:
        a: The reference side (the baseline).
        b: The side under test.
        seed: Seeds bootstrap and permutation test (default: side A's run seed).
    """
    seed = a.report.run.seed if seed is None else seed
    results_a, results_b = a.results, b.results
    ids_a = list(dict.fromkeys(r.case.id for r in results_a))
    ids_b = list(dict.fromkeys(r.case.id for r in results_b))
    shared = [c for c in ids_a if c in set(ids_b)]
    directions: dict[str, tuple[Direction, Aggregate]] = {}
    for metric in [*a.report.metrics, *b.report.metrics]:
        if metric.name.startswith("latency_"):
            continue  # per-case latency is one value: compared once, as "latency"
        directions.setdefault(metric.name, (metric.direction, metric.aggregate))
    for name in OPERATIONAL:
        directions.setdefault(name, ("lower", "mean"))
    summary_a = a.report.summaries.get(a.variant)
    summary_b = b.report.summaries.get(b.variant)
    comparisons = []
    for name, (direction, aggregate) in directions.items():
        estimates = (
            summary_a.estimates.get(name) if summary_a else None,
            summary_b.estimates.get(name) if summary_b else None,
        )
        comparisons.append(
            compare_metric(name, direction, aggregate, results_a, results_b, estimates, seed=seed)
        )
    rates_a, rates_b = _pass_rates(results_a), _pass_rates(results_b)
    questions = {r.case.id: r.case.question for r in results_b}
    flips = [
        Flip(case_id=c, question=questions[c], a_pass_rate=rates_a[c], b_pass_rate=rates_b[c])
        for c in shared
        if (rates_a[c] >= 0.5) != (rates_b[c] >= 0.5)
    ]
    flips.sort(key=lambda f: f.kind != "regression")
    return Comparison(
        a=_info(a),
        b=_info(b),
        shared=shared,
        only_a=[c for c in ids_a if c not in set(ids_b)],
        only_b=[c for c in ids_b if c not in set(ids_a)],
        metrics=comparisons,
        flips=flips,
        seed=seed,
    )


def compare_refs(store: RunStore, ref_a: str, ref_b: str) -> Comparison:
    """Compare two sides named ``RUN[:VARIANT]`` in a store (B against A)."""
    return compare(load_side(store, ref_a), load_side(store, ref_b))


# ---------------------------------------------------------------- formatting


def fmt(value: float | None, metric: str = "", *, signed: bool = False) -> str:
    """A metric value in a comparison: the metric's unit, one decimal more than the summary."""
    return format_value(metric, value, signed=signed, detailed=True)


def fmt_p(p: float | None) -> str:
    """A p-value with sensible precision."""
    if p is None:
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def to_markdown(comparison: Comparison) -> str:
    """The comparison as a Markdown document (tables of metrics and flipped cases)."""
    a, b = comparison.a, comparison.b
    lines = [
        f"# {_md(b.label)} vs {_md(a.label)}",
        "",
        f"{len(comparison.shared)} shared cases"
        + (f"; only in A: {len(comparison.only_a)}" if comparison.only_a else "")
        + (f"; only in B: {len(comparison.only_b)}" if comparison.only_b else "")
        + f". Pass rate A {a.pass_rate:.1%}, B {b.pass_rate:.1%}.",
        "",
        "| metric | A [95 % CI] | B [95 % CI] | Δ B−A [95 % CI] | p | d_z | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in comparison.metrics:
        lines.append(
            f"| {_md(m.metric)} | {fmt(m.a.value, m.metric)} "
            f"[{fmt(m.a.low, m.metric)}, {fmt(m.a.high, m.metric)}] "
            f"| {fmt(m.b.value, m.metric)} [{fmt(m.b.low, m.metric)}, {fmt(m.b.high, m.metric)}] "
            f"| {fmt(m.diff, m.metric, signed=True)} [{fmt(m.low, m.metric, signed=True)}, "
            f"{fmt(m.high, m.metric, signed=True)}] | {fmt_p(m.p_value)} "
            f"| {fmt(m.effect_size)} | {m.verdict} |"
        )
    lines += ["", f"## Flipped cases ({len(comparison.flips)})", ""]
    if comparison.flips:
        lines += ["| case | change | question |", "|---|---|---|"]
        for flip in comparison.flips:
            change = "pass → fail" if flip.kind == "regression" else "fail → pass"
            lines.append(f"| {_md(flip.case_id)} | {change} | {_md(flip.question)} |")
    else:
        lines.append("None.")
    if comparison.only_a or comparison.only_b:
        lines += ["", "## Not compared", ""]
        if comparison.only_a:
            lines.append("Only in A: " + ", ".join(_md(c) for c in comparison.only_a))
        if comparison.only_b:
            lines.append("Only in B: " + ", ".join(_md(c) for c in comparison.only_b))
    return "\n".join(lines) + "\n"
