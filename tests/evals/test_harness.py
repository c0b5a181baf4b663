"""The harness on a tiny offline pilot: every case stored and scored, errors recorded,
unchanged keys never computed twice, resume computes only what is missing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from kilab.core.errors import UserError
from kilab.evals import testing
from kilab.evals.harness import EvalOptions, build_report, run_eval
from kilab.evals.records import CaseResult
from kilab.evals.store import MemoryRunStore
from kilab.evals.testing import write_mini_project
from kilab.graphs import registry
from kilab.graphs.context import BuildContext
from kilab.graphs.nodes.search import SearchParams, build_search
from kilab.graphs.project import Project, load_project
from kilab.graphs.state import GraphState

EXPLODE = {"on": True}


class BoomParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    corpus: str
    k: int = 3


@registry.tool("test-boom-search", BoomParams)
def _boom(context: BuildContext, params: BoomParams) -> Callable[[GraphState], Any]:
    """BM25 search that fails for questions about passports while EXPLODE is on."""
    search = build_search(context, SearchParams(corpus=params.corpus, k=params.k, mode="bm25"))

    def run(state: GraphState) -> Any:
        if EXPLODE["on"] and "pass" in state["question"]:
            raise RuntimeError("index exploded")
        return search(state)

    return run


def _project(folder: Path, **kwargs: Any) -> Project:
    pilot = write_mini_project(folder / "configs", **kwargs)
    return load_project([pilot.parent.parent], root=pilot.parent.parent)


class Recorder:
    def __init__(self) -> None:
        self.total, self.done, self.seen = 0, 0, list[CaseResult]()

    def plan(self, total: int, done: int) -> None:
        self.total, self.done = total, done

    def advance(self, result: CaseResult) -> None:
        self.seen.append(result)


@pytest.fixture
def options(tmp_path: Path) -> EvalOptions:
    return EvalOptions(cache_dir=tmp_path / "cache", concurrency=4)


def test_every_case_is_run_scored_and_stored(tmp_path: Path, options: EvalOptions) -> None:
    project, store, progress = _project(tmp_path), MemoryRunStore(), Recorder()
    report = run_eval(project, "mini", store, options, progress)
    assert report.run.status == "finished" and report.run.variants == ["baseline"]
    assert report.computed == 10 and report.reused == 0
    assert len(store.results(report.run.id)) == 10 == len({r.key for r in report.results})
    assert [r.case.id for r in report.results] == [f"mini-{i:02d}" for i in range(1, 11)]
    assert progress.total == 10 and len(progress.seen) == 10
    first = report.results[0]
    assert first.output.passages and first.output.path[:2] == ["retrieve", "draft"]
    assert set(first.metrics) >= {"recall@3", "answer_f1", "pii_leaks", "latency_p95"}
    summary = report.summaries["baseline"]
    assert summary.cases == 10 and summary.estimates["recall@3"].n == 8
    assert summary.estimates["decline_accuracy"].value is not None


def test_a_failing_case_is_recorded_and_the_run_goes_on(
    tmp_path: Path, options: EvalOptions
) -> None:
    EXPLODE["on"] = True
    project, store = _project(tmp_path, search_tool="test-boom-search"), MemoryRunStore()
    report = run_eval(project, "mini", store, options)
    failed = [r for r in report.results if r.error]
    assert [r.case.id for r in failed] == ["mini-09"]
    assert "RuntimeError: index exploded" in failed[0].error and not failed[0].passed
    assert report.run.status == "finished" and len(report.results) == 10
    assert report.summaries["baseline"].errors == 1
    # an errored case has no answer: no metric values, so it cannot pass as "answered"
    assert all(value is None for value in failed[0].metrics.values())
    assert report.summaries["baseline"].estimates["decline_accuracy"].n == 9

    EXPLODE["on"] = False  # the cause is fixed; resuming retries only the errored case
    resumed = run_eval(
        project, "mini", store, EvalOptions(cache_dir=options.cache_dir, resume=report.run.id)
    )
    assert resumed.run.id == report.run.id
    assert resumed.computed == 1 and resumed.resumed == 9
    assert not any(r.error for r in resumed.results) and len(resumed.results) == 10


def test_unchanged_keys_are_never_computed_twice(tmp_path: Path, options: EvalOptions) -> None:
    project, store = _project(tmp_path), MemoryRunStore()
    first = run_eval(project, "mini", store, options)
    second = run_eval(project, "mini", store, options)
    assert second.run.id != first.run.id
    assert (second.computed, second.reused) == (0, 10)
    assert {r.reused_from for r in second.results} == {first.run.id}
    assert [r.metrics for r in second.results] == [r.metrics for r in first.results]
    fresh = run_eval(
        project, "mini", store, EvalOptions(cache_dir=options.cache_dir, use_cache=False)
    )
    assert (fresh.computed, fresh.reused) == (10, 0)

    cases = [dict(c) for c in testing.CASES]
    cases[0]["question"] = "Hvor stort depositum kan utleieren kreve?"
    changed = run_eval(_project(tmp_path, cases=cases), "mini", store, options)
    assert (changed.computed, changed.reused) == (1, 9)


def test_a_changed_graph_setting_changes_every_key(tmp_path: Path, options: EvalOptions) -> None:
    store = MemoryRunStore()
    run_eval(_project(tmp_path / "a"), "mini", store, options)
    project = _project(tmp_path / "b")
    drafter = project.root / "agents" / "drafter.yaml"
    drafter.write_text(drafter.read_text().replace("max_sentences: 2", "max_sentences: 1"))
    project = load_project([project.root], root=project.root)
    assert run_eval(project, "mini", store, options).computed == 10


def test_variants_and_repeats(tmp_path: Path, options: EvalOptions) -> None:
    project, store = _project(tmp_path), MemoryRunStore()
    report = run_eval(
        project,
        "mini",
        store,
        EvalOptions(cache_dir=options.cache_dir, variants=["all"], repeats=2, concurrency=8),
    )
    assert report.run.variants == ["baseline", "k1"] and report.run.total == 40
    assert len({r.key for r in report.results}) == 40
    assert {r.repeat for r in report.results} == {0, 1}
    assert set(report.summaries) == {"baseline", "k1"}
    assert report.summaries["k1"].estimates["recall@3"].n == 8
    assert not report.summaries["baseline"].unstable  # the offline default is deterministic
    with pytest.raises(UserError, match="no variant 'k2'"):
        run_eval(project, "mini", store, EvalOptions(cache_dir=options.cache_dir, variants=["k2"]))


def test_resume_refuses_a_changed_pilot_and_reports_reproduce(
    tmp_path: Path, options: EvalOptions
) -> None:
    store = MemoryRunStore()
    report = run_eval(_project(tmp_path / "a"), "mini", store, options)
    changed = _project(tmp_path / "a", gates="")
    with pytest.raises(UserError, match="changed since run"):
        run_eval(
            changed, "mini", store, EvalOptions(cache_dir=options.cache_dir, resume=report.run.id)
        )
    again = build_report(store, report.run.id)
    assert again.summaries["baseline"].estimates == report.summaries["baseline"].estimates


def test_a_changed_document_in_a_corpus_folder_changes_every_key(
    tmp_path: Path, options: EvalOptions
) -> None:
    """A corpus may list a folder: its documents belong in the key like listed files do."""
    project = _project(tmp_path)
    corpus = project.root / "corpora" / "mini.yaml"
    corpus.write_text(corpus.read_text().replace("../data/mini.jsonl", "../data"))
    project, store = load_project([project.root], root=project.root), MemoryRunStore()
    first = run_eval(project, "mini", store, options)
    assert first.computed == 10
    assert run_eval(project, "mini", store, options).reused == 10

    data = project.root / "data" / "mini.jsonl"
    data.write_text(data.read_text(encoding="utf-8").replace("depositum", "sikkerhet"))
    changed = run_eval(load_project([project.root], root=project.root), "mini", store, options)
    assert (changed.computed, changed.reused) == (10, 0)
