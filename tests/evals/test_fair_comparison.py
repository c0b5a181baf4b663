"""Fair comparisons: set-up before the first case and stored on the run, cases of every
variant interleaved in a seeded, counterbalanced order, and an A/A test: the husleie pilot
against an identical copy of its baseline, in both orders, differs significantly on nothing."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from kilab.evals.harness import EvalOptions, Harness, interleaved, run_eval
from kilab.evals.store import MemoryRunStore
from kilab.evals.testing import write_mini_project
from kilab.graphs import registry
from kilab.graphs.context import BuildContext
from kilab.graphs.nodes.search import SearchParams, build_search
from kilab.graphs.project import Project, load_project
from kilab.graphs.setup import set_up_of, with_set_up
from kilab.graphs.state import GraphState
from tests.kilab_subprocess import run_kilab

EVENTS: list[tuple[str, str]] = []


class RecordingParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    corpus: str
    k: int = 3


@registry.tool("test-recording-search", RecordingParams)
def _recording(context: BuildContext, params: RecordingParams) -> Callable[[GraphState], Any]:
    """BM25 search that books its set-up and every visit in EVENTS."""
    search = build_search(context, SearchParams(corpus=params.corpus, k=params.k, mode="bm25"))
    variant = context.variant_name

    def run(state: GraphState) -> Any:
        EVENTS.append(("case", variant))
        return search(state)

    return with_set_up(run, lambda: EVENTS.append(("set-up", variant)))


def _project(folder: Path, **kwargs: Any) -> Project:
    pilot = write_mini_project(folder / "configs", **kwargs)
    return load_project([pilot.parent.parent], root=pilot.parent.parent)


def test_set_up_runs_before_the_first_case_and_is_stored_on_the_run(tmp_path: Path) -> None:
    EVENTS.clear()
    project, store = _project(tmp_path, search_tool="test-recording-search"), MemoryRunStore()
    options = EvalOptions(variants=["baseline", "k1"], cache_dir=tmp_path / "cache")
    report = run_eval(project, "mini", store, options)
    kinds = [kind for kind, _ in EVENTS]
    assert kinds[:2] == ["set-up", "set-up"] and set(kinds[2:]) == {"case"}
    assert {variant for kind, variant in EVENTS if kind == "set-up"} == {"baseline", "k1"}
    assert kinds.count("case") == 20
    stored = store.get_run(report.run.id)
    assert set(stored.setup_s) == {"baseline", "k1"} == set(report.run.setup_s)
    assert all(seconds >= 0 for seconds in stored.setup_s.values())


def test_the_search_node_loads_its_index_and_model_in_its_set_up(tmp_path: Path) -> None:
    project = _project(tmp_path)
    context = BuildContext(project, cache_dir=tmp_path / "cache")
    node = build_search(context, SearchParams(corpus="mini", mode="bm25"))
    set_up = set_up_of(node)
    assert set_up is not None
    set_up()  # searches once: the index is paged in, the model (if any) loaded


def test_cases_run_interleaved_and_counterbalanced_in_a_seeded_order(tmp_path: Path) -> None:
    project = _project(tmp_path)
    options = EvalOptions(variants=["baseline", "k1"], repeats=3, cache_dir=tmp_path / "cache")
    jobs = Harness.prepare(project, "mini", MemoryRunStore(), options).jobs
    order = interleaved(jobs, seed=0)
    assert sorted(j.key for j in order) == sorted(j.key for j in jobs)
    assert order == interleaved(jobs, seed=0) and order != interleaved(jobs, seed=1)
    # the two variants of one case and repeat run side by side ...
    blocks = [order[i : i + 2] for i in range(0, len(order), 2)]
    assert all(len({(j.case.id, j.repeat) for j in block}) == 1 for block in blocks)
    # ... each variant first in as many blocks as the other, in no fixed pattern of cases
    first = Counter(block[0].variant for block in blocks)
    assert first["baseline"] == first["k1"] == len(blocks) // 2
    assert [j.variant for j in order[:4]] != ["baseline", "baseline", "k1", "k1"]
    assert [j.case.id for j in order[::2]] != sorted(j.case.id for j in order[::2])


def _aa_pilot(configs: Path) -> tuple[Path, Path]:
    """The husleie pilot with an identical copy of its baseline, on 40 of its questions."""
    pilot = configs / "pilots" / "husleie.yaml"
    text = pilot.read_text(encoding="utf-8")
    assert "  baseline: {}\n" in text
    pilot.write_text(text.replace("  baseline: {}\n", "  baseline: {}\n  same: {}\n"), "utf-8")
    lines = (configs / "datasets" / "husleie.jsonl").read_text(encoding="utf-8").splitlines()
    answers = [line for line in lines if '"expect": "decline"' not in line][:30]
    declines = [line for line in lines if '"expect": "decline"' in line][:10]
    subset = configs / "datasets" / "aa.jsonl"
    subset.write_text("\n".join(answers + declines) + "\n", encoding="utf-8")
    return pilot, subset


@pytest.mark.integration
def test_an_identical_copy_of_a_variant_differs_in_nothing_in_both_orders(
    configs: Path, tmp_path: Path
) -> None:
    pilot, subset = _aa_pilot(configs)
    for first, second in (("baseline", "same"), ("same", "baseline")):
        store = str(tmp_path / f"{first}-first.sqlite")  # a store of its own: nothing reused
        done = run_kilab(
            "eval", str(pilot), "--variants", f"{first},{second}", "--dataset", str(subset),
            "--concurrency", "2", "--json", "--store", store, home=tmp_path,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        run = json.loads(done.stdout)["run"]
        assert set(run["setup_s"]) == {"baseline", "same"}
        compared = run_kilab(
            "compare", f"{run['id']}:{first}", f"{run['id']}:{second}", "--json",
            "--store", store, home=tmp_path,
        )  # fmt: skip
        assert compared.returncode == 0, compared.stderr
        metrics = {m["metric"]: m for m in json.loads(compared.stdout)["metrics"]}
        assert {"latency", "recall@5", "answer_f1", "decline_accuracy"} <= set(metrics)
        found = {name: m["verdict"] for name, m in metrics.items()}
        assert set(found.values()) == {"no significant difference"}, found
        # what the graph computes is identical, so those differences are exact ties
        for name in ("recall@5", "answer_f1", "decline_accuracy", "grounding"):
            assert metrics[name]["diff"] == 0 and metrics[name]["p_value"] == 1.0
