"""Metrics: each a small unit with a name, a direction and a range."""

from kilab.evals.metrics.answer import (
    contains_reference,
    exact_match,
    normalize_answer,
    normalize_tokens,
    token_f1,
)
from kilab.evals.metrics.base import AnyMetric, FunctionMetric, Metric, SampledMetric, passes
from kilab.evals.metrics.builtin import OPERATIONAL
from kilab.evals.metrics.catalogue import (
    JUDGE,
    get_metric,
    is_known,
    known_names,
    resolve_metrics,
    suggest,
)
from kilab.evals.metrics.scoring import case_passed, score_case

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
