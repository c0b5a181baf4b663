"""Held-out tests: the husleie split is reproducible and stratified, gates judge test only, and
kilab tune reads dev only."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

import pytest

from kilab.core.errors import UserError
from kilab.evals.datasets import load_dataset
from kilab.evals.decisions import decide
from kilab.evals.harness import EvalOptions, run_eval
from kilab.evals.promotion import PromotionLog
from kilab.evals.splitting import chapter_stratum, split_cases
from kilab.evals.store import MemoryRunStore
from kilab.evals.testing import CASES, write_split_mini_project
from kilab.evals.tuning import Sweep, atune
from kilab.graphs.project import Project, load_project
from tests.kilab_subprocess import ROOT, run_kilab

DATASETS = ROOT / "configs" / "datasets"


def test_the_husleie_split_is_the_seeded_stratified_draw_of_its_sources() -> None:
    sources = [
        c
        for name in ("husleie", "husleie-new")
        for c in load_dataset(DATASETS / f"{name}.jsonl").cases
    ]
    held_out = load_dataset(DATASETS / "husleie-holdout.jsonl").cases
    drawn = split_cases(sources, test_fraction=0.4, seed=0, held_out=held_out)
    dev = load_dataset(DATASETS / "husleie-dev.jsonl").cases
    test = load_dataset(DATASETS / "husleie-test.jsonl").cases
    # the committed files are exactly the draw (regenerate with kilab split-dataset, see README)
    assert dev == drawn.dev and test == drawn.test
    assert len(dev) + len(test) >= 200 and not {c.id for c in dev} & {c.id for c in test}
    assert {c.id for c in held_out} <= {c.id for c in test}
    # every chapter with enough questions, and the declines, are on both sides
    strata_dev, strata_test = (
        Counter(map(chapter_stratum, dev)),
        Counter(map(chapter_stratum, test)),
    )
    for stratum, count in Counter(map(chapter_stratum, sources)).items():
        if count >= 4:
            assert strata_dev[stratum] and strata_test[stratum], stratum


def test_a_split_depends_on_its_seed_and_refuses_duplicate_ids() -> None:
    cases = load_dataset(DATASETS / "husleie.jsonl").cases
    assert split_cases(cases, test_fraction=0.4, seed=0) != split_cases(
        cases, test_fraction=0.4, seed=1
    )
    with pytest.raises(UserError, match="occur twice"):
        split_cases(cases, test_fraction=0.4, seed=0, held_out=cases[:1])
    with pytest.raises(UserError, match="between 0 and 1"):
        split_cases(cases, test_fraction=1.0, seed=0)


def _split_project(folder: Path) -> Project:
    """The mini pilot with its cases split into dev (first six) and test (the rest)."""
    root = write_split_mini_project(
        folder / "configs", CASES[:6], CASES[6:], "{k: retrieve.k, coverage: drafter.min_coverage}"
    )
    return load_project([root], root=root)


def test_the_pilot_gate_is_judged_on_the_test_split_only(tmp_path: Path) -> None:
    project, store = _split_project(tmp_path), MemoryRunStore()
    log = PromotionLog(tmp_path / "log.jsonl")
    options = EvalOptions(cache_dir=tmp_path / "cache")
    on_test = run_eval(project, "mini", store, options)
    assert on_test.run.split == "test" and on_test.run.dataset.endswith("mini-test.jsonl")
    (rule, *_) = decide(project, store, log, on_test, "pilot")[0].rules
    assert rule.rule == "test split" and rule.passed and "mini-test.jsonl" in rule.evidence
    on_dev = run_eval(
        project, "mini", store, EvalOptions(cache_dir=tmp_path / "cache", split="dev")
    )
    assert on_dev.run.split == "dev" and len(on_dev.results) == 6
    decision = decide(project, store, log, on_dev, "pilot")[0]
    assert not decision.passed and decision.rules[0].rule == "test split"
    assert "this run used the dev split" in decision.rules[0].evidence
    # the experiment stage has no held-out rule
    assert all(
        r.rule != "test split" for r in decide(project, store, log, on_dev, "experiment")[0].rules
    )


def test_tune_sweeps_a_declared_parameter_on_dev_and_never_reads_test(tmp_path: Path) -> None:
    project, store = _split_project(tmp_path), MemoryRunStore()
    (tmp_path / "configs" / "datasets" / "mini-test.jsonl").unlink()  # tune must not need it
    options = EvalOptions(cache_dir=tmp_path / "cache")
    result = asyncio.run(
        atune(project, "mini", store, Sweep.parse("k=1,3"), "recall@3", options=options)
    )
    assert result.report.run.split == "dev" and result.report.run.dataset.endswith("mini-dev.jsonl")
    assert [r.value for r in result.rows] == [1, 3] and result.target == "retrieve.k"
    recall = {r.value: result.mean(r, "recall@3") for r in result.rows}
    assert recall[1] is not None and recall[3] is not None and recall[3] >= recall[1]
    assert result.best is not None and result.mean(result.best, "recall@3") == max(recall.values())
    # the configs on disk keep their own variants
    assert set(project.pilot("mini").variants) == {"baseline", "k1"}
    with pytest.raises(UserError, match="did you mean 'coverage'"):
        asyncio.run(atune(project, "mini", store, Sweep.parse("coverge=0.1"), "recall@3"))


def test_sweeps_parse_ranges_and_lists() -> None:
    assert Sweep.parse("t=0.1..0.3:0.05").values == (0.1, 0.15, 0.2, 0.25, 0.3)
    assert Sweep.parse("k=3..9:3").values == (3, 6, 9)
    assert Sweep.parse("k=3,5,10").values == (3, 5, 10)
    for bad in ("k", "k=", "k=a..b:c", "k=5..1:1", "k=0..1000:1"):
        with pytest.raises(UserError):
            Sweep.parse(bad)


@pytest.mark.integration
def test_cli_tune_and_split_dataset(tmp_path: Path) -> None:
    project = _split_project(tmp_path)
    pilot = project.pilots["mini"].file
    done = run_kilab(
        "tune", str(pilot), "--param", "coverage=0.2,0.5", "--metric", "decline_accuracy",
        "--store", str(tmp_path / "runs.sqlite"), "--json", home=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["split"] == "dev" and body["target"] == "drafter.min_coverage"
    assert [row["value"] for row in body["rows"]] == [0.2, 0.5] and body["best"] in (0.2, 0.5)
    written = run_kilab(
        "split-dataset", str(DATASETS / "husleie.jsonl"), "--dev", str(tmp_path / "d.jsonl"),
        "--test", str(tmp_path / "t.jsonl"), "--seed", "3", home=tmp_path,
    )  # fmt: skip
    assert written.returncode == 0, written.stderr
    assert (
        len(load_dataset(tmp_path / "d.jsonl").cases)
        + len(load_dataset(tmp_path / "t.jsonl").cases)
        == 88
    )
