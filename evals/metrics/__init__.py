"""Metrics: each a small unit with a name, a direction and a range."""

from evals.metrics.answer import (
    contains_reference,
    exact_match,
    normalize_answer,
    normalize_tokens,
    token_f1,
)
from evals.metrics.base import AnyMetric, FunctionMetric, Metric, SampledMetric, passes
from evals.metrics.builtin import OPERATIONAL
from evals.metrics.catalogue import (
    JUDGE,
    get_metric,
    is_known,
    known_names,
    resolve_metrics,
    suggest,
)
from evals.metrics.scoring import case_passed, score_case

__all__ = [
    "JUDGE",
    "OPERATIONAL",
    "AnyMetric",
    "FunctionMetric",
    "Metric",
    "SampledMetric",
    "case_passed",
    "contains_reference",
    "exact_match",
    "get_metric",
    "is_known",
    "known_names",
    "normalize_answer",
    "normalize_tokens",
    "passes",
    "resolve_metrics",
    "score_case",
    "suggest",
    "token_f1",
]
