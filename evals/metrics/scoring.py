"""Score one case with a list of metrics and decide whether it passed."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import cast

from kilab.core import telemetry
from kilab.evals.datasets import Case
from kilab.evals.metrics.base import AnyMetric, Metric, passes
from kilab.evals.records import CaseOutput


async def score_case(
    metrics: Sequence[AnyMetric], case: Case, output: CaseOutput
) -> tuple[dict[str, float | None], dict[str, list[float]]]:
    """Every metric's value for a case, and the samples of the sampled ones (their mean is the
    value)."""
    values: dict[str, float | None] = {}
    samples: dict[str, list[float]] = {}
    with telemetry.evaluation_span("evaluate") as span:
        span.set_io(input=output.answer)
        await _score(metrics, case, output, values, samples)
        span.set_io(output={k: v for k, v in values.items() if v is not None})
    return values, samples


async def _score(
    metrics: Sequence[AnyMetric],
    case: Case,
    output: CaseOutput,
    values: dict[str, float | None],
    samples: dict[str, list[float]],
) -> None:
    for metric in metrics:
        # Sampled metrics (the judge) have ``ascore``; checking the runtime Protocol with
        # isinstance for every metric of every case cost more than scoring most metrics.
        ascore = getattr(metric, "ascore", None)
        if ascore is not None:
            drawn: list[float] = await ascore(case, output)
            if drawn:
                samples[metric.name] = drawn
            values[metric.name] = statistics.fmean(drawn) if drawn else None
        else:
            values[metric.name] = cast(Metric, metric).score(case, output)


def case_passed(
    metrics: Sequence[AnyMetric], values: dict[str, float | None], error: str = ""
) -> bool:
    """A case passes when it ran without error and every metric with a pass mark passes.

    Only metrics with a pass mark decide (behaviour, safety, exact match, …); continuous
    scores such as F1 or recall do not, so a pass is something a reader can check by eye.
    """
    if error:
        return False
    return all(passes(metric, values.get(metric.name)) for metric in metrics)
