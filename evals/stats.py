"""Statistics of a run: per-metric estimates with seeded bootstrap 95 % CIs, pass rates and
unstable cases.

Repeats of a case are not independent samples of the dataset, so the bootstrap resamples
*cases*: each case's value is the mean over its repeats first. The same store and seed always
give the same numbers.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from kilab.evals.metrics import AnyMetric
from kilab.evals.metrics.base import Aggregate, Direction
from kilab.evals.records import CaseResult

RESAMPLES = 2000
CONFIDENCE = 0.95
EXACT_MAX = 16
PERMUTATIONS = 20000
ALPHA = 0.05
# Paired values this close are equal: the same computation summed in another order (repeats
# written back in a different order) differs in the last bits, and that is no difference.
TIE_TOLERANCE = 1e-9
Change = Literal["better", "worse", "no significant difference"]
_QUANTILES = {"p50": 0.5, "p95": 0.95}


@dataclass(frozen=True, slots=True)
class Estimate:
    """A metric over a run: the point value and its bootstrap 95 % CI.

    Attributes:
        metric: The metric's name.
        value: The mean (or percentile) over cases; None when no case had a value.
        low: Lower CI bound.
        high: Upper CI bound.
        n: Number of cases with a value.
        direction: Whether higher or lower is better.
        aggregate: mean, p50 or p95.
    """

    metric: str
    value: float | None
    low: float | None
    high: float | None
    n: int
    direction: Direction = "higher"
    aggregate: Aggregate = "mean"


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """One case of one variant over its repeats."""

    case_id: str
    variant: str
    repeats: int
    pass_rate: float
    errors: int
    varying: tuple[str, ...] = ()

    @property
    def unstable(self) -> bool:
        """Repeats disagree: pass in some and fail in others, or a metric differs."""
        return self.repeats > 1 and (0.0 < self.pass_rate < 1.0 or bool(self.varying))


@dataclass(frozen=True, slots=True)
class VariantSummary:
    """Everything the gate and the printout need about one variant of a run."""

    variant: str
    cases: int
    results: int
    errors: int
    pass_rate: float
    total_cost: float
    estimates: dict[str, Estimate]
    case_summaries: list[CaseSummary] = field(default_factory=list)

    @property
    def unstable(self) -> list[CaseSummary]:
        return [c for c in self.case_summaries if c.unstable]


def _statistic(values: np.ndarray, aggregate: Aggregate) -> np.ndarray:
    if aggregate == "mean":
        return np.asarray(values.mean(axis=-1))
    return np.asarray(np.quantile(values, _QUANTILES[aggregate], axis=-1))


class Resampler:
    """The bootstrap's resampled case indices, kept for the last number of cases asked for.

    Every metric of a variant's summary is resampled with the same seed, so each would draw the
    same indices again, and drawing them is most of a bootstrap's cost. The draws are those of
    a fresh ``default_rng(seed)``; one array is kept (``resamples × n``, 16 MB at 1,000 cases),
    so ask in order of n.
    """

    def __init__(self, seed: int = 0, resamples: int = RESAMPLES) -> None:
        self.seed = seed
        self.resamples = resamples
        self._drawn: tuple[int, np.ndarray] | None = None

    def indices(self, n: int) -> np.ndarray:
        """A ``resamples × n`` array of case indices drawn with replacement."""
        if self._drawn is None or self._drawn[0] != n:
            rng = np.random.default_rng(self.seed)
            self._drawn = (n, rng.integers(0, n, (self.resamples, n)))
        return self._drawn[1]


def bootstrap(
    values: Sequence[float],
    aggregate: Aggregate = "mean",
    *,
    seed: int = 0,
    resamples: int = RESAMPLES,
    resampler: Resampler | None = None,
) -> tuple[float, float, float]:
    """Point value and percentile-bootstrap 95 % CI of a statistic of values.

    Args:
        values: One value per case.
        aggregate: mean, p50 or p95.
        seed: Seeds the resampling, so the same values always give the same interval.
        resamples: Number of bootstrap resamples.
        resampler: Indices already drawn for other values (its seed and resamples apply).
    """
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        raise ValueError("no values")
    point = float(_statistic(data, aggregate))
    if data.size == 1 or np.all(data == data[0]):
        return point, point, point
    indices = (resampler or Resampler(seed, resamples)).indices(data.size)
    samples = _statistic(data[indices], aggregate)
    alpha = (1 - CONFIDENCE) / 2
    low, high = np.quantile(samples, [alpha, 1 - alpha])
    return point, float(low), float(high)


def paired_differences(
    current: Mapping[str, float], baseline: Mapping[str, float]
) -> tuple[list[str], list[float]]:
    """The shared case ids (sorted) and (current − baseline) for each, equal values as 0.

    Values within ``TIE_TOLERANCE`` (relative, at least absolute) count as exact ties, so
    identical results never show a difference of rounding.
    """
    shared = sorted(set(current) & set(baseline))
    diffs = []
    for case_id in shared:
        a, b = current[case_id], baseline[case_id]
        tied = abs(a - b) <= TIE_TOLERANCE * max(1.0, abs(a), abs(b))
        diffs.append(0.0 if tied else a - b)
    return shared, diffs


def paired_difference(
    current: Mapping[str, float],
    baseline: Mapping[str, float],
    *,
    seed: int = 0,
    resamples: int = RESAMPLES,
) -> tuple[float, float, float, int]:
    """Mean of (current − baseline) over shared cases, with a paired bootstrap 95 % CI.

    Returns:
        (mean difference, lower bound, upper bound, number of shared cases); all NaN with
        n = 0 when no case is shared.
    """
    shared, diffs = paired_differences(current, baseline)
    if not shared:
        return math.nan, math.nan, math.nan, 0
    mean, low, high = bootstrap(diffs, seed=seed, resamples=resamples)
    return mean, low, high, len(shared)


def permutation_test(
    diffs: Sequence[float], *, seed: int = 0, resamples: int = PERMUTATIONS
) -> float:
    """Two-sided paired permutation (sign-flip) test of mean difference 0.

    Under the null, each case's difference is as likely to have the other sign. Exact (all
    2^n sign patterns) for n ≤ ``EXACT_MAX``; otherwise Monte Carlo with ``resamples``
    patterns, counting the observed one (so p is never 0).

    Args:
        diffs: Per-case differences.
        seed: Seeds the Monte Carlo patterns.
        resamples: Number of random sign patterns above ``EXACT_MAX`` cases.
    """
    data = np.asarray(diffs, dtype=float)
    if data.size == 0:
        raise ValueError("no differences")
    observed = abs(data.mean())
    if np.all(data == 0):
        return 1.0
    # Rounding would otherwise let equal means differ in the last bit.
    tolerance = 1e-12 * max(1.0, observed)
    if data.size <= EXACT_MAX:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=data.size)))
        means = np.abs((signs * data).mean(axis=1))
        return float(np.mean(means >= observed - tolerance))
    rng = np.random.default_rng(seed)
    signs = rng.choice((1.0, -1.0), size=(resamples, data.size))
    means = np.abs((signs * data).mean(axis=1))
    return float((np.sum(means >= observed - tolerance) + 1) / (resamples + 1))


def cohens_dz(diffs: Sequence[float]) -> float | None:
    """Cohen's d_z: mean paired difference over its sample SD (None when the SD is 0)."""
    data = np.asarray(diffs, dtype=float)
    if data.size < 2:
        return None
    sd = float(data.std(ddof=1))
    if sd <= 1e-12 * max(1.0, abs(float(data.mean()))):  # equal values, up to rounding
        return None
    return float(data.mean()) / sd


def paired_verdict(direction: Direction, low: float, high: float, p_value: float) -> Change:
    """better / worse (for the current side, by direction) or no significant difference.

    Both the bootstrap CI and the permutation test must agree: with few cases, or many tied
    ones, a percentile bootstrap CI can exclude 0 on a handful of differences that the
    permutation test rightly calls chance.
    """
    if p_value >= ALPHA:
        return "no significant difference"
    if low > 0:
        return "better" if direction == "higher" else "worse"
    if high < 0:
        return "worse" if direction == "higher" else "better"
    return "no significant difference"


def per_case_values(results: Sequence[CaseResult], metric: str) -> dict[str, float]:
    """Case id → the metric's mean over the case's repeats (cases without a value left out)."""
    grouped: dict[str, list[float]] = defaultdict(list)
    for result in results:
        value = result.metrics.get(metric)
        if value is not None and not math.isnan(value):
            grouped[result.case.id].append(value)
    return {case_id: sum(vs) / len(vs) for case_id, vs in grouped.items()}


def summarize_variant(
    results: Sequence[CaseResult], metrics: Sequence[AnyMetric], variant: str, *, seed: int = 0
) -> VariantSummary:
    """Estimates, pass rates and unstable cases of one variant's results."""
    mine = [r for r in results if r.variant == variant]
    values = {m.name: list(per_case_values(mine, m.name).values()) for m in metrics}
    resampler = Resampler(seed)
    found: dict[str, Estimate] = {}
    for metric in sorted(metrics, key=lambda m: len(values[m.name])):  # one draw per n
        of_metric = values[metric.name]
        point, low, high = (
            bootstrap(of_metric, metric.aggregate, resampler=resampler)
            if of_metric
            else (None, None, None)
        )
        found[metric.name] = Estimate(
            metric.name, point, low, high, len(of_metric), metric.direction, metric.aggregate
        )
    estimates = {m.name: found[m.name] for m in metrics}
    by_case: dict[str, list[CaseResult]] = defaultdict(list)
    for result in mine:
        by_case[result.case.id].append(result)
    summaries = []
    for case_id, repeats in by_case.items():
        varying = tuple(
            m.name
            for m in metrics
            if m.name not in ("latency", "latency_p50", "latency_p95")
            and len({r.metrics.get(m.name) for r in repeats}) > 1
        )
        summaries.append(
            CaseSummary(
                case_id,
                variant,
                len(repeats),
                sum(r.passed for r in repeats) / len(repeats),
                sum(1 for r in repeats if r.error),
                varying,
            )
        )
    return VariantSummary(
        variant=variant,
        cases=len(by_case),
        results=len(mine),
        errors=sum(1 for r in mine if r.error),
        pass_rate=(sum(r.passed for r in mine) / len(mine)) if mine else 0.0,
        total_cost=sum(r.output.cost for r in mine),
        estimates=estimates,
        case_summaries=summaries,
    )
