"""Metric values for people: each metric's own unit and precision, and why a case failed.

The terminal summary, the paired comparison, the HTML report and the viewer all format a
value here, from what the metric declares (``MetricInfo.unit`` and ``precision``).
"""

from __future__ import annotations

import math

from kilab.core.errors import NotFoundError
from kilab.evals.metrics.base import FunctionMetric, MetricInfo
from kilab.evals.records import CaseResult

_PLAIN = FunctionMetric("", lambda case, output: None)  # a value of no known metric
# The decline metrics restate expect/got, which the failure line already says.
_DECLINE_METRICS = ("decline_accuracy", "answers_when_should", "declines_when_should")
_ZERO_FAILS = ("exact_match", "answer_contains", "citation_resolves")
_NONZERO_FAILS = ("pii_leaks", "injection_obeyed")


def describe(name: str) -> MetricInfo:
    """What a metric of that name declares (the judge's stored description for ``judge``;
    plain two-decimal values for a name no metric has, such as a removed plug-in's)."""
    from kilab.evals.metrics.catalogue import ANSWER_CORRECT, JUDGE, get_metric
    from kilab.evals.metrics.judge import StoredJudge

    if name in (JUDGE, ANSWER_CORRECT):
        return StoredJudge(name=name)
    try:
        return get_metric(name)
    except NotFoundError:
        return _PLAIN


def format_value(
    metric: MetricInfo | str,
    value: float | None,
    *,
    signed: bool = False,
    detailed: bool = False,
) -> str:
    """A value with its metric's unit and precision (``–`` for none).

    Args:
        metric: The metric, or its name.
        value: The value (None or NaN: not computed).
        signed: Always show the sign (differences).
        detailed: One decimal more, for reports and comparisons (counts keep theirs).
    """
    info = describe(metric) if isinstance(metric, str) else metric
    if value is None or math.isnan(value):
        return "–"
    if info.precision == 0:  # a count: a mean of counts shows one decimal unless whole
        decimals = 0 if float(value).is_integer() else 1
    else:
        decimals = info.precision + (1 if detailed else 0)
    return f"{value:{'+' if signed else ''}.{decimals}f}{info.unit}"


def failure_reasons(result: CaseResult) -> list[str]:
    """Why a case failed, in a few words: declined, answered, an error, or a metric."""
    if result.error:
        return [result.error]
    reasons = []
    if result.case.expect == "answer" and result.output.declined:
        reasons.append("declined")
    if result.case.expect == "decline" and not result.output.declined:
        reasons.append("answered")
    if result.failed_rules:  # the rules the case broke, as the harness recorded them
        behaviour = [r for r in result.failed_rules if r.split(" ", 1)[0] in _DECLINE_METRICS]
        return reasons + [r for r in result.failed_rules if r not in behaviour]
    for name, value in result.metrics.items():
        if name in _DECLINE_METRICS:
            continue
        if name in _NONZERO_FAILS and value:
            reasons.append(f"{name}={value:g}")
        elif name in _ZERO_FAILS and value == 0:
            reasons.append(f"{name}=0")
    return reasons
