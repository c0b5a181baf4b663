"""Paired comparison: statistics against scipy, case matching, flips, verdicts, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

from kilab.cli import app
from kilab.core.errors import NotFoundError
from kilab.evals import CaseResult, RunInfo, open_store
from kilab.evals.compare import (
    EXACT_MAX,
    cohens_dz,
    compare_refs,
    load_side,
    parse_ref,
    permutation_test,
    to_markdown,
)
from kilab.evals.datasets import Case
from kilab.evals.records import CaseOutput
from kilab.evals.stats import paired_difference
from kilab.evals.store import RunStore


def _scipy_permutation(diffs: np.ndarray, resamples: int) -> float:
    result = stats.permutation_test(
        (diffs,),
        np.mean,
        permutation_type="samples",
        alternative="two-sided",
        n_resamples=resamples,
        random_state=0,
    )
    return float(result.pvalue)


def test_exact_permutation_test_equals_scipy() -> None:
    rng = np.random.default_rng(3)
    diffs = rng.normal(0.3, 1.0, 12)
    assert diffs.size <= EXACT_MAX
    # scipy enumerates all 2^n sign patterns when n_resamples ≥ 2^n.
    expected = _scipy_permutation(diffs, resamples=2**12)
    assert permutation_test(diffs) == pytest.approx(expected, abs=1e-12)


def test_monte_carlo_permutation_test_is_close_to_scipy() -> None:
    rng = np.random.default_rng(4)
    diffs = rng.normal(0.25, 1.0, 60)
    expected = _scipy_permutation(diffs, resamples=20000)
    assert 0.005 < expected < 0.5  # a value whose estimate can be wrong
    assert permutation_test(diffs, seed=1) == pytest.approx(expected, abs=0.01)


def test_permutation_test_edge_cases() -> None:
    assert permutation_test([0.0, 0.0, 0.0]) == 1.0
    assert permutation_test([1.0]) == 1.0  # one case: both signs equally extreme
    # Five equal positive differences: only all-plus and all-minus are as extreme.
    assert permutation_test([1.0] * 5) == pytest.approx(2 / 32)
    with pytest.raises(ValueError):
        permutation_test([])


def test_cohens_dz_matches_the_paired_t_statistic() -> None:
    rng = np.random.default_rng(5)
    before = rng.normal(0.5, 0.2, 30)
    after = before + rng.normal(0.1, 0.15, 30)
    t = stats.ttest_rel(after, before).statistic
    assert cohens_dz(after - before) == pytest.approx(t / np.sqrt(30), rel=1e-9)
    assert cohens_dz([0.2, 0.2, 0.2]) is None
    assert cohens_dz([0.3]) is None


def test_paired_bootstrap_ci_is_close_to_scipy() -> None:
    rng = np.random.default_rng(6)
    a = rng.uniform(0, 1, 80)
    b = np.clip(a + rng.normal(0.05, 0.2, 80), 0, 1)
    ids = [f"c{i}" for i in range(80)]
    mean, low, high, n = paired_difference(
        dict(zip(ids, b, strict=True)), dict(zip(ids, a, strict=True))
    )
    reference = stats.bootstrap(
        (b - a,), np.mean, method="percentile", n_resamples=5000, random_state=0
    ).confidence_interval
    assert n == 80 and mean == pytest.approx(float(np.mean(b - a)))
    assert low == pytest.approx(reference.low, abs=0.01)
    assert high == pytest.approx(reference.high, abs=0.01)


# ---------------------------------------------------------------- synthetic runs


def _result(
    run_id: str, variant: str, case_id: str, value: float, passed: bool, latency: float
) -> CaseResult:
    return CaseResult(
        run_id=run_id,
        key=f"{run_id}-{variant}-{case_id}",
        case=Case(id=case_id, question=f"Spørsmål {case_id} <b>?</b>"),
        variant=variant,
        output=CaseOutput(answer="svar", latency_s=latency),
        metrics={"recall@3": value},
        passed=passed,
    )


def _run(store: RunStore, run_id: str, rows: dict[str, tuple[float, bool, float]]) -> None:
    store.create_run(
        RunInfo(
            id=run_id,
            pilot="syn",
            dataset="/nonexistent/syn.jsonl",
            dataset_hash="d",
            config_hash="c",
            code_version="v",
            variants=["baseline"],
            metrics=["recall@3"],
            total=len(rows),
            status="finished",
        )
    )
    for case_id, (value, passed, latency) in rows.items():
        store.put_result(_result(run_id, "baseline", case_id, value, passed, latency))


@pytest.fixture
def synthetic(tmp_path: Path) -> Path:
    """Run A and run B: 20 shared cases where B is better on recall, slower, with two flips."""
    path = tmp_path / "runs.sqlite"
    store = open_store(path)
    rows_a = {f"c{i:02}": (0.4 + 0.01 * i, i != 3, 0.1) for i in range(20)}
    rows_a["only-a"] = (0.5, True, 0.1)
    rows_b = {f"c{i:02}": (0.7 + 0.01 * i, i != 7, 0.3) for i in range(20)}
    rows_b["only-b"] = (0.5, True, 0.1)
    _run(store, "syn-a", rows_a)
    _run(store, "syn-b", rows_b)
    store.close()
    return path


def test_compare_matches_cases_by_id_and_lists_the_rest(synthetic: Path) -> None:
    store = open_store(synthetic)
    comparison = compare_refs(store, "syn-a", "syn-b")
    assert len(comparison.shared) == 20
    assert comparison.only_a == ["only-a"] and comparison.only_b == ["only-b"]
    recall = comparison.metric("recall@3")
    assert recall.n == 20 and recall.diff == pytest.approx(0.3)
    assert recall.low == pytest.approx(0.3) and recall.high == pytest.approx(0.3)
    assert recall.p_value is not None and recall.p_value < 0.001
    assert recall.verdict == "better"
    latency = comparison.metric("latency")
    assert latency.diff == pytest.approx(0.2) and latency.verdict == "worse"  # lower is better
    assert comparison.metric("cost").verdict == "no significant difference"


def test_flips_regressions_first(synthetic: Path) -> None:
    comparison = compare_refs(open_store(synthetic), "syn-a", "syn-b")
    assert [(f.case_id, f.kind) for f in comparison.flips] == [
        ("c07", "regression"),
        ("c03", "fix"),
    ]


def test_refs_name_variants_and_unknown_ones_fail(synthetic: Path) -> None:
    store = open_store(synthetic)
    assert parse_ref("syn-a:baseline") == ("syn-a", "baseline")
    assert parse_ref("latest") == ("latest", None)
    assert load_side(store, "syn-a:baseline").variant == "baseline"
    with pytest.raises(NotFoundError, match="no variant 'k9'"):
        load_side(store, "syn-a:k9")
    with pytest.raises(NotFoundError, match="no run"):
        load_side(store, "nope")


def test_markdown_escapes_and_lists_flips(synthetic: Path) -> None:
    text = to_markdown(compare_refs(open_store(synthetic), "syn-a", "syn-b"))
    assert "| recall@3 |" in text and "| c07 | pass → fail |" in text
    assert "<b>" not in text and "&lt;b&gt;" in text
    assert "Only in A: only-a" in text


def test_cli_compare_table_json_and_markdown(synthetic: Path) -> None:
    runner = CliRunner()
    store = str(synthetic)
    done = runner.invoke(app, ["compare", "syn-a", "syn-b", "--store", store])
    assert done.exit_code == 0, done.output
    assert "Paired difference" in done.output and "pass → fail" in done.output
    done = runner.invoke(app, ["compare", "syn-a", "syn-b", "--json", "--store", store])
    data = json.loads(done.output)
    assert data["flips"][0] == {
        "case_id": "c07",
        "question": "Spørsmål c07 <b>?</b>",
        "a_pass_rate": 1.0,
        "b_pass_rate": 0.0,
        "kind": "regression",
    }
    assert {m["metric"] for m in data["metrics"]} >= {"recall@3", "latency", "tokens", "cost"}
    done = runner.invoke(app, ["compare", "syn-a", "syn-b", "--markdown", "--store", store])
    assert done.output.startswith("# syn-b:baseline vs syn-a:baseline")


def test_cli_compare_without_a_store_is_a_user_error(tmp_path: Path) -> None:
    done = CliRunner().invoke(app, ["compare", "a", "b", "--store", str(tmp_path / "x.sqlite")])
    assert done.exit_code != 0
    assert isinstance(done.exception, NotFoundError)
