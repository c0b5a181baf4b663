"""Bootstrap CIs are reproducible with a seed and agree with scipy; pass rates and flips."""

from __future__ import annotations

import random

import numpy as np
import pytest

from kilab.evals.datasets import Case
from kilab.evals.metrics import resolve_metrics
from kilab.evals.records import CaseOutput, CaseResult
from kilab.evals.stats import Resampler, bootstrap, paired_difference, summarize_variant


def test_bootstrap_is_reproducible_with_a_seed() -> None:
    rng = random.Random(1)
    values = [rng.random() for _ in range(50)]
    assert bootstrap(values, seed=3) == bootstrap(values, seed=3)
    assert bootstrap(values, seed=3) != bootstrap(values, seed=4)
    mean, low, high = bootstrap(values, seed=3)
    assert mean == pytest.approx(sum(values) / len(values))
    assert low < mean < high


def test_bootstrap_agrees_with_scipy_percentile_interval() -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(5)
    values = rng.normal(0.6, 0.2, size=80)
    _, low, high = bootstrap(list(values), seed=0, resamples=20000)
    ref = stats.bootstrap(
        (values,), np.mean, method="percentile", n_resamples=20000, random_state=1
    ).confidence_interval
    assert low == pytest.approx(ref.low, abs=0.01)
    assert high == pytest.approx(ref.high, abs=0.01)


def test_constant_and_single_values_have_a_point_interval() -> None:
    assert bootstrap([1.0, 1.0, 1.0]) == (1.0, 1.0, 1.0)
    assert bootstrap([0.3]) == (0.3, 0.3, 0.3)
    assert bootstrap([1.0, 2.0, 3.0, 100.0], "p50")[0] == 2.5


def test_paired_difference_uses_shared_cases_only() -> None:
    mean, low, high, n = paired_difference(
        {"a": 1.0, "b": 1.0, "c": 0.0}, {"a": 0.0, "b": 0.0, "z": 1.0}
    )
    assert (mean, low, high, n) == (1.0, 1.0, 1.0, 2)
    assert paired_difference({"a": 1.0}, {"b": 1.0})[3] == 0


def _result(case_id: str, repeat: int, declined: bool) -> CaseResult:
    case = Case(id=case_id, question="Q?")
    metrics = resolve_metrics(["decline_accuracy"])
    value = float(not declined)
    from kilab.evals.metrics import case_passed

    return CaseResult(
        run_id="r",
        key=f"{case_id}-{repeat}",
        case=case,
        variant="v",
        repeat=repeat,
        output=CaseOutput(declined=declined),
        metrics={"decline_accuracy": value},
        passed=case_passed(metrics, {"decline_accuracy": value}),
    )


def test_repeats_give_pass_rates_and_unstable_cases() -> None:
    results = [_result("steady", r, False) for r in range(3)]
    results += [_result("flaky", 0, False), _result("flaky", 1, True), _result("flaky", 2, False)]
    summary = summarize_variant(results, resolve_metrics(["decline_accuracy"]), "v")
    assert summary.cases == 2 and summary.results == 6
    assert [c.case_id for c in summary.unstable] == ["flaky"]
    flaky = summary.unstable[0]
    assert flaky.pass_rate == pytest.approx(2 / 3)
    assert flaky.varying == ("decline_accuracy",)
    # the estimate averages repeats per case first: (1 + 2/3) / 2
    assert summary.estimates["decline_accuracy"].value == pytest.approx(5 / 6)


def test_values_equal_up_to_rounding_are_exact_ties() -> None:
    from kilab.evals.stats import paired_differences, paired_verdict, permutation_test

    current = {f"c{i}": (0.1 + 0.2) * i / 7 for i in range(40)}
    baseline = {f"c{i}": 0.3 * i / 7 for i in range(40)}
    assert current != baseline
    shared, diffs = paired_differences(current, baseline)
    assert len(shared) == 40 and set(diffs) == {0.0}
    mean, low, high, n = paired_difference(current, baseline)
    assert (mean, low, high, n) == (0.0, 0.0, 0.0, 40)
    assert permutation_test(diffs) == 1.0
    assert paired_verdict("lower", low, high, 1.0) == "no significant difference"
    # a real difference, however small against the values, is kept
    assert paired_differences({"a": 1.0 + 1e-6}, {"a": 1.0})[1][0] > 0


def test_shared_resampler_gives_each_metric_its_own_seeded_interval() -> None:
    rng = random.Random(7)
    first = [rng.random() for _ in range(50)]
    second = [rng.random() * 10 for _ in range(50)]
    shorter = first[:30]
    resampler = Resampler(seed=5)
    for values, aggregate in ((first, "mean"), (second, "p95"), (shorter, "p50"), (first, "p50")):
        alone = bootstrap(values, aggregate, seed=5)
        assert bootstrap(values, aggregate, resampler=resampler) == alone
