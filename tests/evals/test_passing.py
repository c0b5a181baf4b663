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


def test_a_reused_result_is_judged_by_the_rules_of_the_rerun(tmp_path: Path) -> None:
    """Pass rules are not in a result's key: a rerun after a rule change reuses the stored
    answers but judges them by the new rules, in its JSON and in its JUnit report."""
    import json
    import xml.etree.ElementTree as ET

    from kilab_subprocess import run_kilab

    pilot = write_mini_project(tmp_path / "configs")
    store = str(tmp_path / "runs.sqlite")

    def evaluate(*extra: str) -> dict[str, object]:
        done = run_kilab(
            "eval", str(pilot), "--json", "--store", store, *extra, home=tmp_path, cwd=tmp_path
        )
        assert done.returncode in (0, 1), done.stderr
        data: dict[str, object] = json.loads(done.stdout)
        return data

    first = evaluate()
    first_cases = first["cases"]
    assert isinstance(first_cases, list)
    scored = {c["case_id"] for c in first_cases if c["metrics"].get("recall@3") is not None}
    assert scored and any(c["passed"] for c in first_cases if c["case_id"] in scored)

    pilot.write_text(pilot.read_text() + "pass:\n  min: {recall@3: 1.01}\n")
    second = evaluate("--junit", str(tmp_path / "junit.xml"))
    cases = second["cases"]
    assert isinstance(cases, list)
    assert all(c["reused_from"] for c in cases)  # no answer was computed again
    for case in cases:
        if case["case_id"] in scored:
            assert not case["passed"], case["case_id"]
            assert case["failed_rules"] and case["failed_rules"][0].startswith("recall@3 ")
        else:  # the rule does not apply: nothing else decides
            assert case["passed"] and case["failed_rules"] == [], case["case_id"]
    variants = second["variants"]
    assert isinstance(variants, dict)
    expected = (len(cases) - len(scored)) / len(cases)
    assert variants["baseline"]["pass_rate"] == expected
    failures = {
        element.get("name")
        for element in ET.parse(tmp_path / "junit.xml").iter("testcase")
        if element.find("failure") is not None
    }
    assert failures == scored  # the gate (on recall@3 and PII) still passes

    # A rule on a metric the stored results never scored cannot be judged from them: those
    # results are computed again, and scored by it.
    pilot.write_text(pilot.read_text().replace("recall@3: 1.01", "recall@5: 1.01"))
    third = evaluate()
    cases = third["cases"]
    assert isinstance(cases, list)
    assert not any(c["reused_from"] for c in cases)
    assert all(not c["passed"] for c in cases if c["metrics"].get("recall@5") is not None)
