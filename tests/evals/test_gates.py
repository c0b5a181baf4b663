"""Gate rules pass and fail on constructed runs, each with its evidence."""

from __future__ import annotations

from kilab.evals.datasets import Case
from kilab.evals.gates import Baseline, evaluate_gate
from kilab.evals.metrics import resolve_metrics
from kilab.evals.records import CaseOutput, CaseResult, UsageRecord
from kilab.evals.stats import summarize_variant
from kilab.graphs.specs import GateSpec

METRICS = resolve_metrics(["recall@5", "pii_leaks"])


def _results(
    recalls: list[float],
    leaks: list[float] | None = None,
    cost: float = 0.0,
    run_id: str = "run",
    errors: int = 0,
) -> list[CaseResult]:
    leaks = leaks or [0.0] * len(recalls)
    return [
        CaseResult(
            run_id=run_id,
            key=f"{run_id}-{i}",
            case=Case(id=f"c{i}", question="Q?"),
            variant="baseline",
            output=CaseOutput(usage={"draft": UsageRecord(cost=cost)}),
            metrics={"recall@5": r, "pii_leaks": leak},
            error="boom" if i < errors else "",
        )
        for i, (r, leak) in enumerate(zip(recalls, leaks, strict=True))
    ]


def _decide(
    spec: GateSpec, results: list[CaseResult], baseline: Baseline | None = None
) -> dict[str, tuple[bool, str]]:
    summary = summarize_variant(results, METRICS, "baseline")
    decision = evaluate_gate(spec, "pilot", summary, results, baseline)
    return {rule.rule: (rule.passed, rule.evidence) for rule in decision.rules}


def test_min_uses_the_lower_confidence_bound_not_the_mean() -> None:
    # mean 0.6, but 20 cases of 0/1 give a wide interval whose lower bound is below 0.5
    noisy = _results([1.0] * 12 + [0.0] * 8)
    rules = _decide(GateSpec(min={"recall@5": 0.5}), noisy)
    assert rules["min recall@5"][0] is False
    assert (
        "lower 95 % bound" in rules["min recall@5"][1] and "mean 0.600" in rules["min recall@5"][1]
    )
    steady = _results([0.6] * 20)
    assert _decide(GateSpec(min={"recall@5": 0.5}), steady)["min recall@5"][0] is True


def test_max_uses_the_upper_bound() -> None:
    results = _results([0.1] * 10)
    assert _decide(GateSpec(max={"recall@5": 0.2}), results)["max recall@5"][0] is True
    assert _decide(GateSpec(max={"recall@5": 0.05}), results)["max recall@5"][0] is False


def test_min_cases_and_zero_tolerance_name_the_offending_cases() -> None:
    results = _results([1.0] * 5, leaks=[0, 0, 1, 0, 2])
    rules = _decide(GateSpec(min_cases=6, zero=["pii_leaks"]), results)
    assert rules["min_cases"] == (False, "5 cases < 6")
    passed, evidence = rules["zero pii_leaks"]
    assert not passed and "2 of 5" in evidence and "c2, c4" in evidence
    clean = _decide(GateSpec(min_cases=5, zero=["pii_leaks"]), _results([1.0] * 5))
    assert clean["min_cases"][0] and clean["zero pii_leaks"] == (True, "0 in all 5 results")


def test_errors_and_cost_budget() -> None:
    rules = _decide(GateSpec(max_cost=1.0), _results([1.0] * 4, cost=0.3, errors=1))
    assert rules["no errors"][0] is False
    assert rules["max_cost"] == (False, "run cost 1.2000 > 1.0000")
    assert _decide(GateSpec(max_cost=2.0), _results([1.0] * 4, cost=0.3))["max_cost"][0]


def test_no_regression_against_a_baseline_run() -> None:
    spec = GateSpec(min={"recall@5": 0.0}, no_regression_vs="promoted")
    before = _results([1.0] * 30, run_id="before")
    worse = _results([0.0] * 15 + [1.0] * 15)
    passed, evidence = _decide(spec, worse, Baseline("before", "baseline", before))[
        "no regression recall@5"
    ]
    assert not passed and "significantly worse" in evidence and "30 shared cases" in evidence
    same = _results([1.0] * 30)
    assert _decide(spec, same, Baseline("before", "baseline", before))["no regression recall@5"][0]
    first = _decide(spec, same, None)
    assert first["no regression vs promoted"] == (True, "no promoted run to compare with yet")
    nothing_shared = Baseline("gone", "baseline", [])
    assert not _decide(spec, same, nothing_shared)["no regression recall@5"][0]


def test_no_gate_declared_passes_and_says_so() -> None:
    summary = summarize_variant(_results([1.0]), METRICS, "baseline")
    decision = evaluate_gate(None, "production", summary, [])
    assert decision.passed and not decision.declared
    assert "declares no gate for production" in decision.rules[0].evidence


def test_a_gate_can_require_calibrated_judges() -> None:
    from kilab.evals.calibration import CalibrationRecord
    from kilab.graphs.specs import JudgeGateSpec

    results = _results([1.0] * 10)
    summary = summarize_variant(results, METRICS, "baseline")
    spec = GateSpec(judge=JudgeGateSpec(min_kappa=0.6))
    judges = {"fact_recall": "fact_recall", "answer_correct": "answer_correct:m@u:prompt-x:k3"}
    good = CalibrationRecord(
        judge="fact_recall",
        kappa=0.7,
        kappa_low=0.6,
        kappa_high=0.8,
        accuracy=0.8,
        n=182,
        labels_digest="d",
    )
    weak = good.model_copy(update={"judge": judges["answer_correct"], "kappa": 0.4})

    def rules(calibrations: dict[str, CalibrationRecord]) -> dict[str, tuple[bool, str]]:
        decision = evaluate_gate(
            spec, "pilot", summary, results, judges=judges, calibrations=calibrations
        )
        return {r.rule: (r.passed, r.evidence) for r in decision.rules}

    missing = rules({"fact_recall": good})
    assert missing["judge calibrated fact_recall"][0] is True
    assert "κ 0.700" in missing["judge calibrated fact_recall"][1]
    assert missing["judge calibrated answer_correct"] == (
        False,
        "answer_correct:m@u:prompt-x:k3 is uncalibrated: run 'kilab judge calibrate' for it",
    )
    below = rules({"fact_recall": good, judges["answer_correct"]: weak})
    assert below["judge calibrated answer_correct"][0] is False
    assert "< 0.6" in below["judge calibrated answer_correct"][1]


def test_a_few_tied_regressions_are_chance_for_the_gate_as_for_compare() -> None:
    # 84 of 88 cases tie exactly and 4 drop: the bootstrap CI alone excludes 0, but four
    # signs out of four happen by chance one time in eight (permutation p ≈ 0.125)
    spec = GateSpec(min={"recall@5": 0.0}, no_regression_vs="promoted")
    before = Baseline("before", "baseline", _results([1.0] * 88, run_id="before"))
    few = _decide(spec, _results([0.0] * 4 + [1.0] * 84), before)["no regression recall@5"]
    assert few[0] and "no significant drop" in few[1] and "p 0.12" in few[1]
    many = _decide(spec, _results([0.0] * 12 + [1.0] * 76), before)["no regression recall@5"]
    assert not many[0] and "significantly worse" in many[1]


def test_identical_results_summed_in_another_order_are_no_regression() -> None:
    # the same values written back in another order differ in their last bits
    spec = GateSpec(max={"recall@5": 1.0}, no_regression_vs="promoted")
    values = [(0.1 + 0.2) * i / 7 for i in range(40)]
    rounded = [0.3 * i / 7 for i in range(40)]
    assert values != rounded
    before = Baseline("before", "baseline", _results(rounded, run_id="before"))
    rule = _decide(spec, _results(values), before)["no regression recall@5"]
    assert rule[0] and "Δ +0.000 [+0.000, +0.000], p 1.000" in rule[1]
