"""The Metric protocol and the small dataclass every built-in metric is."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from kilab.evals.datasets import Case
from kilab.evals.records import CaseOutput

Direction = Literal["higher", "lower"]
Aggregate = Literal["mean", "p50", "p95"]


class MetricInfo(Protocol):
    """What every metric declares: its name, direction, range and how it aggregates.

    Attributes:
        name: The name pilots and gates use (``recall@5``).
        direction: Whether higher or lower values are better.
        low: Lowest possible value.
        high: Highest possible value, or None when unbounded (latency, cost).
        aggregate: How a run's values are summarised: the mean, or the median or 95th
            percentile (latency).
        pass_at: A case fails on this metric when its value is on the wrong side of this
            (None: the metric does not decide pass or fail).
        description: One line for help texts and reports.
        unit: Shown after a value: ``s`` for seconds, "" for shares, scores and counts.
        precision: Decimals of a value in the terminal summary (reports show one more);
            0 marks a count, whose mean shows one decimal when it is not whole.
    """

    @property
    def name(self) -> str: ...
    @property
    def direction(self) -> Direction: ...
    @property
    def low(self) -> float: ...
    @property
    def high(self) -> float | None: ...
    @property
    def aggregate(self) -> Aggregate: ...
    @property
    def pass_at(self) -> float | None: ...
    @property
    def description(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def precision(self) -> int: ...


@runtime_checkable
class Metric(MetricInfo, Protocol):
    """Scores one case's output; None means the metric does not apply to the case."""

    def score(self, case: Case, output: CaseOutput) -> float | None:
        """The metric's value for one case, or None where it does not apply."""
        ...


@runtime_checkable
class SampledMetric(MetricInfo, Protocol):
    """A metric that asks a model, k samples per case (the judge); runs on the event loop."""

    async def ascore(self, case: Case, output: CaseOutput) -> list[float]:
        """The samples for one case (empty where the metric does not apply)."""
        ...


AnyMetric = Metric | SampledMetric


@dataclass(frozen=True, slots=True)
class FunctionMetric:
    """A metric from a plain function of (case, output)."""

    name: str
    fn: Callable[[Case, CaseOutput], float | None]
    direction: Direction = "higher"
    low: float = 0.0
    high: float | None = 1.0
    aggregate: Aggregate = "mean"
    pass_at: float | None = None
    description: str = ""
    unit: str = ""
    precision: int = 2

    def score(self, case: Case, output: CaseOutput) -> float | None:
        return self.fn(case, output)


def passes(metric: AnyMetric, value: float | None) -> bool:
    """Whether a value is on the good side of the metric's pass mark (or has none)."""
    if value is None or metric.pass_at is None:
        return True
    return value >= metric.pass_at if metric.direction == "higher" else value <= metric.pass_at
