"""kilab tune's objectives: a metric's mean with cases weighed by what they expect, so that a
sweep can count a wrong answer to a question it should decline as worse than a needless
decline."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from kilab_subprocess import run_kilab

from kilab.core.errors import UserError
from kilab.evals.datasets import Case
from kilab.evals.harness import EvalOptions
from kilab.evals.records import CaseOutput, CaseResult
from kilab.evals.store import MemoryRunStore
from kilab.evals.testing import CASES, write_split_mini_project
from kilab.evals.tuning import Objective, Sweep, atune
from kilab.graphs.project import Project, load_project


def _result(expect: str, value: float | None, variant: str = "v") -> CaseResult:
    case = Case(id=f"c-{expect}-{value}", question="?", expect=expect)  # type: ignore[arg-type]
    return CaseResult(
        run_id="r",
        key=case.id,
        case=case,
        variant=variant,
        output=CaseOutput(),
        metrics={"decline_accuracy": value},
    )


# Two cases to decline (one declined, one answered) and four to answer (all answered).
RESULTS = [_result("decline", 1.0), _result("decline", 0.0)] + [
    _result("answer", 1.0) for _ in range(4)
]


def test_objectives_parse_plain_weighted_and_balanced() -> None:
    assert Objective.parse("recall@5") == Objective("recall@5", "recall@5")
    weighted = Objective.parse("decline_accuracy(decline=3)")
    assert weighted.metric == "decline_accuracy" and weighted.weights == {"decline": 3.0}
    assert Objective.parse("decline_accuracy( answer=1, decline=2.5 )").weights == {
        "answer": 1.0,
        "decline": 2.5,
    }
    assert Objective.parse("decline_accuracy(balanced)").balanced
    for bad, message in (
        ("decline_accuracy(refuse=3)", "answer=W, decline=W"),
        ("decline_accuracy(decline=x)", "'x' is not a number"),
        ("decline_accuracy(decline=0)", "positive"),
        ("decline_accuracy(decline=3", "METRIC\\(decline=3\\)"),
    ):
        with pytest.raises(UserError, match=message):
            Objective.parse(bad)


def test_weights_count_each_kind_of_error_by_its_cost() -> None:
    assert Objective.parse("decline_accuracy").value(RESULTS) == pytest.approx(5 / 6)
    # 3 × (1 declined) + 0 + 4 answered, over 3 × 2 + 4
    assert Objective.parse("decline_accuracy(decline=3)").value(RESULTS) == pytest.approx(0.7)
    # each kind's mean, averaged: (1/2 + 4/4) / 2
    assert Objective.parse("decline_accuracy(balanced)").value(RESULTS) == pytest.approx(0.75)
    # weights of 1 are the plain mean; cases without a value do not count
    plain = Objective.parse("decline_accuracy(decline=1)")
    assert plain.value([*RESULTS, _result("answer", None)]) == pytest.approx(5 / 6)
    assert plain.value([_result("answer", None)]) is None


def _project(folder: Path) -> Project:
    """The mini pilot, its dev split holding four questions to answer and one to decline
    (the tax deadline, which shares "frist" with the mini corpus)."""
    root = write_split_mini_project(
        folder / "configs", [*CASES[:4], CASES[9]], CASES[4:9], "{coverage: drafter.min_coverage}"
    )
    return load_project([root], root=root)


def test_a_weighted_objective_picks_the_value_that_declines(tmp_path: Path) -> None:
    project, store = _project(tmp_path), MemoryRunStore()
    options = EvalOptions(cache_dir=tmp_path / "cache")
    sweep = Sweep.parse("coverage=0,0.6")

    def tune(metric: str) -> tuple[float | int | None, dict[float | int, float | None]]:
        result = asyncio.run(atune(project, "mini", store, sweep, metric, options=options))
        means = {r.value: result.mean(r, result.metric) for r in result.rows}
        return (None if result.best is None else result.best.value), means

    plain_best, plain = tune("decline_accuracy")
    # 0 answers all five (the tax question too), 0.6 declines it and two answerable ones
    assert plain == {0: pytest.approx(0.8), 0.6: pytest.approx(0.6)} and plain_best == 0
    weighted_best, weighted = tune("decline_accuracy(decline=10)")
    assert weighted == {0: pytest.approx(4 / 14), 0.6: pytest.approx(12 / 14)}
    assert weighted_best == 0.6
    with pytest.raises(UserError, match="does not score 'recal@3'"):
        asyncio.run(atune(project, "mini", store, sweep, "recal@3(decline=2)"))


@pytest.mark.integration
def test_cli_tune_takes_a_weighted_objective(tmp_path: Path) -> None:
    pilot = _project(tmp_path).pilots["mini"].file
    done = run_kilab(
        "tune", str(pilot), "--param", "coverage=0,0.6", "--metric",
        "decline_accuracy(decline=10)", "--store", str(tmp_path / "runs.sqlite"), home=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "best decline_accuracy(decline=10): coverage = 0.6 (0.86)" in " ".join(
        done.stdout.split()
    )
