"""A pass is declared and includes correctness; a failing case says which rule it broke."""

from __future__ import annotations

from pathlib import Path

from kilab.evals.harness import EvalOptions, run_eval
from kilab.evals.metrics import resolve_metrics
from kilab.evals.metrics.display import failure_reasons
from kilab.evals.passing import failed_rules, pass_rules
from kilab.evals.store import MemoryRunStore
from kilab.evals.testing import write_mini_project
from kilab.graphs.project import load_project
from kilab.graphs.specs import PassSpec


def test_the_default_adds_correctness_to_the_metrics_pass_marks() -> None:
    rules = pass_rules(None, resolve_metrics(["decline_accuracy", "pii_leaks", "answer_f1"]))
    described = [r.describe() for r in rules]
    assert described[:2] == ["decline_accuracy ≥ 1", "pii_leaks ≤ 0"]
    assert "fact_recall ≥ 1" in described and "answer_f1 ≥ 0.2" in described
    right = {"decline_accuracy": 1.0, "pii_leaks": 0.0, "fact_recall": 1.0, "answer_f1": 0.0}
    assert failed_rules(rules, right) == []  # facts decide where there are facts
    half = right | {"fact_recall": 0.5}
    assert failed_rules(rules, half) == ["fact_recall 0.50 < 1"]
    no_facts = right | {"fact_recall": None, "answer_f1": 0.1}
    assert failed_rules(rules, no_facts) == ["answer_f1 0.10 < 0.2"]
    declined_case = {"decline_accuracy": 1.0, "pii_leaks": 0.0}  # nothing to be right about
    assert failed_rules(rules, declined_case) == []


def test_a_declared_pass_replaces_the_default() -> None:
    rules = pass_rules(PassSpec(min={"recall@5": 0.5}), resolve_metrics(["decline_accuracy"]))
    assert [r.describe() for r in rules] == ["recall@5 ≥ 0.5"]
    assert failed_rules(rules, {"recall@5": 0.0, "decline_accuracy": 0.0}) == [
        "recall@5 0.00 < 0.5"
    ]


def test_a_run_records_and_explains_the_broken_rule(tmp_path: Path) -> None:
    pilot = write_mini_project(tmp_path / "configs")
    pilot.write_text(pilot.read_text() + "pass:\n  min: {recall@5: 1.01}\n")
    project = load_project([tmp_path / "configs"], root=tmp_path / "configs")
    report = run_eval(project, "mini", MemoryRunStore(), EvalOptions(cache_dir=tmp_path / "c"))
    scored = [r for r in report.results if r.metrics.get("recall@5") is not None]
    assert scored and not any(r.passed for r in scored)
    assert all(r.failed_rules[0].startswith("recall@5 ") for r in scored)
    assert all(r.failed_rules[0] in failure_reasons(r) for r in scored)
    unscored = [r for r in report.results if r.metrics.get("recall@5") is None]
    assert all(r.passed or r.error for r in unscored)


def test_no_passing_husleie_answer_shares_no_word_with_its_reference(
    configs: Path, tmp_path: Path
) -> None:
    """The issue's finding: husleie-001 passed with answer_f1 = 0. A pass now states the facts."""
    project = load_project([configs], root=configs)
    # the questions the finding was made on (their key facts written); they are now split
    # between husleie's dev and test files
    options = EvalOptions(cache_dir=tmp_path, dataset=configs / "datasets" / "husleie.jsonl")
    report = run_eval(project, "husleie", MemoryRunStore(), options)
    answers = [r for r in report.results if r.case.expect == "answer"]
    passing = [r for r in answers if r.passed]
    assert passing, "no answer case passes at all"
    assert all(
        r.metrics["fact_recall"] == 1.0
        if r.metrics["fact_recall"] is not None
        else r.metrics["answer_f1"] >= 0.2
        for r in passing
    )
    assert [r.case.id for r in passing if r.metrics["answer_f1"] == 0.0] == []
    first = next(r for r in answers if r.case.id == "husleie-001")
    # it passes now only because the drafter states the cap (an answer to "how much")
    assert first.passed == ("seks måneders leie" in first.output.answer)
    assert first.passed or first.failed_rules == ["fact_recall 0.00 < 1"]
