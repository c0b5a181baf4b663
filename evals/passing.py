"""What a passing case is: rules over its metric values, declared by the pilot or a default.

A case passes when it ran without error and every rule whose metric applies to it holds. A
pilot declares its rules (``pass: {min: {fact_recall: 1.0}, max: {pii_leaks: 0}}``); without
a declaration the rules are every scored metric's own pass mark (behaviour, safety, exact
match …) *and* answer correctness wherever a case has a reference: ``fact_recall`` 1.0 where
the case lists key facts, else ``answer_f1`` at least ``DEFAULT_MIN_F1``. A case that fails
records which rules failed, and ``kilab eval`` prints them.

Rules are not part of a result's key (a new threshold needs no new answers), so a result
reused from an earlier run is judged again by the current rules (``rejudged``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from kilab.core.telemetry import Evaluation
from kilab.evals.metrics.base import AnyMetric
from kilab.evals.records import CaseResult
from kilab.graphs.specs import PassSpec

# Where a case has reference answers but no facts: an answer sharing less than a fifth of
# its words with every reference is not counted right (extractive answers that quote the
# right sentence reach about 0.2-0.4 against a short reference).
DEFAULT_MIN_F1 = 0.2
CORRECTNESS = ("fact_recall", "answer_f1")


@dataclass(frozen=True, slots=True)
class PassRule:
    """One rule: ``metric`` at least (``min``) or at most (``max``) ``threshold``.

    ``unless`` names a metric whose having a value makes the rule not apply (answer_f1
    decides only where there are no facts to check).
    """

    metric: str
    bound: Literal["min", "max"]
    threshold: float
    unless: str = ""

    def describe(self) -> str:
        return f"{self.metric} {'≥' if self.bound == 'min' else '≤'} {self.threshold:g}"

    def failure(self, values: Mapping[str, float | None]) -> str | None:
        """Why the rule fails for these values, or None when it holds or does not apply."""
        value = values.get(self.metric)
        if value is None or (self.unless and values.get(self.unless) is not None):
            return None
        ok = value >= self.threshold if self.bound == "min" else value <= self.threshold
        if ok:
            return None
        relation = "<" if self.bound == "min" else ">"
        return f"{self.metric} {value:.2f} {relation} {self.threshold:g}"


def default_rules(metrics: Sequence[AnyMetric]) -> list[PassRule]:
    """Each metric's own pass mark, then answer correctness."""
    rules = [
        PassRule(m.name, "min" if m.direction == "higher" else "max", m.pass_at)
        for m in metrics
        if m.pass_at is not None
    ]
    rules.append(PassRule("fact_recall", "min", 1.0))
    rules.append(PassRule("answer_f1", "min", DEFAULT_MIN_F1, unless="fact_recall"))
    return rules


def pass_rules(declared: PassSpec | None, metrics: Sequence[AnyMetric]) -> list[PassRule]:
    """The pilot's rules when it declares them, else the default."""
    if declared is None:
        return default_rules(metrics)
    return [PassRule(m, "min", t) for m, t in declared.min.items()] + [
        PassRule(m, "max", t) for m, t in declared.max.items()
    ]


def rule_metrics(declared: PassSpec | None) -> list[str]:
    """The metrics the rules read, which a run must score even if the pilot does not list
    them."""
    if declared is None:
        return list(CORRECTNESS)
    return list(dict.fromkeys([*declared.min, *declared.max]))


def failed_rules(rules: Sequence[PassRule], values: Mapping[str, float | None]) -> list[str]:
    """The rules a case's values break, each as "metric value < threshold"."""
    return [reason for rule in rules if (reason := rule.failure(values)) is not None]


def rejudged(result: CaseResult, rules: Sequence[PassRule]) -> CaseResult | None:
    """A stored error-free result with ``passed`` and ``failed_rules`` derived again from its
    metric values by ``rules``; None when a rule reads a metric the result was not scored
    on, so that only computing it again can judge it."""
    scored = result.metrics
    if any(r.metric not in scored or (r.unless and r.unless not in scored) for r in rules):
        return None
    failed = failed_rules(rules, scored)
    if result.passed == (not failed) and result.failed_rules == failed:
        return result
    return result.model_copy(update={"passed": not failed, "failed_rules": failed})


def evaluations(
    metrics: Sequence[AnyMetric],
    values: Mapping[str, float | None],
    rules: Sequence[PassRule] = (),
) -> list[Evaluation]:
    """A case's metric values as evaluation results for its trace.

    The label is ``fail`` where one of the case's pass rules on the metric fails, ``pass``
    where they all apply and hold, and empty where none applies; a sampled metric (the
    judge) was scored by an LLM, every other one by code.
    """
    results = []
    for metric in metrics:
        value = values.get(metric.name)
        applying = [
            r
            for r in rules
            if r.metric == metric.name and not (r.unless and values.get(r.unless) is not None)
        ]
        label = ""
        if value is not None and applying:
            label = "fail" if any(r.failure(values) for r in applying) else "pass"
        annotator = "LLM" if hasattr(metric, "ascore") else "CODE"
        results.append(Evaluation(metric.name, value, label, annotator))
    return results
