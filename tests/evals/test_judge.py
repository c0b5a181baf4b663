"""The judge metric is pluggable, keeps its k samples, and is skipped without a profile."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kilab.agents.types import JudgeScore
from kilab.evals.datasets import Case
from kilab.evals.harness import EvalOptions, run_eval
from kilab.evals.metrics import resolve_metrics, score_case
from kilab.evals.metrics.judge import JudgeMetric, judge_for
from kilab.evals.records import CaseOutput
from kilab.evals.stats import summarize_variant
from kilab.evals.store import MemoryRunStore
from kilab.evals.testing import write_mini_project
from kilab.graphs.project import load_project
from kilab.tools.retrieval.types import Passage, passage


class ScriptedJudge:
    """Gives each answer the samples it is told to, and records what it saw."""

    def __init__(self, samples: tuple[float, ...]) -> None:
        self.samples = samples
        self.seen: list[tuple[str, list[str]]] = []

    async def ascore(
        self,
        question: str,
        answer: str,
        references: Sequence[str],
        passages: Sequence[Passage] = (),
        *,
        samples: int = 1,
    ) -> JudgeScore:
        self.seen.append((answer, [p["id"] for p in passages]))
        drawn = self.samples[:samples]
        return JudgeScore(score=sum(drawn) / len(drawn), samples=drawn, spread=0.0)


async def test_the_judge_value_is_the_mean_of_its_samples() -> None:
    judge = ScriptedJudge((1.0, 0.5, 0.0))
    metric = JudgeMetric(judge, samples=3)
    case = Case(id="c", question="Q?", answers=["seks måneder"])
    output = CaseOutput(
        answer="Seks måneder. [a]",
        citations=["a"],
        passages=[passage("a", ""), passage("b", "")],
    )
    values, samples = await score_case([metric], case, output)
    assert values == {"judge": 0.5} and samples == {"judge": [1.0, 0.5, 0.0]}
    assert judge.seen == [("Seks måneder. [a]", ["a"])]  # only the cited passages
    declined = await score_case([metric], case, CaseOutput(declined=True))
    assert declined == ({"judge": None}, {})


def test_without_a_judge_profile_the_metric_is_skipped(tmp_path: Path) -> None:
    pilot = write_mini_project(tmp_path / "configs")
    pilot.write_text(pilot.read_text().replace("pii_leaks]", "pii_leaks, judge]"))
    project = load_project([tmp_path / "configs"], root=tmp_path / "configs")
    assert judge_for(project, None) is None
    report = run_eval(project, "mini", MemoryRunStore(), EvalOptions(cache_dir=tmp_path / "c"))
    assert report.skipped_metrics == ["judge"]
    assert "judge" not in report.results[0].metrics

    judged = run_eval(
        project,
        "mini",
        MemoryRunStore(),
        EvalOptions(
            cache_dir=tmp_path / "c", judge=JudgeMetric(ScriptedJudge((0.75, 0.25)), samples=2)
        ),
    )
    answered = [r for r in judged.results if not r.output.declined]
    assert answered and all(r.samples["judge"] == [0.75, 0.25] for r in answered)
    metrics = resolve_metrics(["judge"], JudgeMetric(ScriptedJudge((0.5,))))
    estimate = summarize_variant(judged.results, metrics, "baseline").estimates["judge"]
    assert estimate.value == 0.5 and estimate.n == len(answered)


class HalfRight:
    """A correctness judge that calls every answer half right."""

    identity = "answer_correct:scripted"

    async def score(self, case, answer, passages):  # type: ignore[no-untyped-def]
        return [0.5, 0.5]


def test_answer_correct_is_scored_and_its_judge_marked_uncalibrated(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from kilab.evals.export import report_data
    from kilab.evals.metrics.correctness import CorrectnessMetric

    monkeypatch.setenv("KILAB_HOME", str(tmp_path / "home"))
    pilot = write_mini_project(tmp_path / "configs")
    pilot.write_text(pilot.read_text().replace("pii_leaks]", "pii_leaks, answer_correct]"))
    project = load_project([tmp_path / "configs"], root=tmp_path / "configs")
    skipped = run_eval(project, "mini", MemoryRunStore(), EvalOptions(cache_dir=tmp_path / "c"))
    assert "answer_correct" in skipped.skipped_metrics
    options = EvalOptions(cache_dir=tmp_path / "c", correctness=CorrectnessMetric(HalfRight()))
    store = MemoryRunStore()
    report = run_eval(project, "mini", store, options)
    answerable = [r for r in report.results if r.case.expect == "answer" and r.case.answers]
    answered = [r for r in answerable if not r.output.declined]
    assert answered and all(r.samples["answer_correct"] == [0.5, 0.5] for r in answered)
    assert report.run.judges["answer_correct"] == "answer_correct:scripted"
    judges = report_data(report)["judges"]
    assert judges["answer_correct"] == {
        "judge": "answer_correct:scripted",
        "calibrated": False,
        "kappa": None,
        "kappa_ci95": None,
        "labels": None,
    }
    from kilab.evals.report import render_report

    html, _ = render_report(store, report.run.id, configs=tmp_path / "configs")
    assert 'answer_correct <span class="judge">(uncalibrated judge)</span>' in html
