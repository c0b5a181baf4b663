"""Ranking metrics, by hand and against trec_eval (pytrec_eval) on the same runs."""

from __future__ import annotations

import math
import random

import pytest

from kilab.evals.ranking import (
    evaluate_run,
    mean_ndcg_at_k,
    mean_recall_at_k,
    mean_reciprocal_rank,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
)


def test_recall_at_k() -> None:
    assert recall_at_k(["a", "b", "c"], {"c"}, 2) == 0.0
    assert recall_at_k(["a", "b", "c"], {"c"}, 3) == 1.0
    assert recall_at_k(["a", "b", "c"], {"a", "x"}, 3) == 0.5
    assert recall_at_k(["a", "a", "b"], {"b"}, 2) == 1.0  # repeats count once
    assert recall_at_k(["a"], set(), 1) == 0.0


def test_reciprocal_rank() -> None:
    assert reciprocal_rank(["a", "b", "c"], {"b", "c"}) == 0.5
    assert reciprocal_rank(["a", "b"], {"z"}) == 0.0
    assert reciprocal_rank([], {"z"}) == 0.0


def test_ndcg_at_k() -> None:
    assert ndcg_at_k(["g"], {"g"}, 10) == 1.0
    assert ndcg_at_k(["x", "g"], {"g"}, 10) == pytest.approx(1 / math.log2(3))
    both = (1 / math.log2(2) + 1 / math.log2(4)) / (1 / math.log2(2) + 1 / math.log2(3))
    assert ndcg_at_k(["g1", "x", "g2"], {"g1", "g2"}, 3) == pytest.approx(both)
    assert ndcg_at_k(["x", "g"], {"g"}, 1) == 0.0


def test_run_means_skip_questions_without_gold_and_count_missing_runs() -> None:
    run = {"q1": ["a", "b"], "q2": ["c"], "q3": ["z"]}
    qrels = {"q1": {"b"}, "q2": {"x"}, "q3": set(), "q4": {"y"}}
    assert mean_recall_at_k(run, qrels, 2) == pytest.approx(1 / 3)
    assert mean_reciprocal_rank(run, qrels) == pytest.approx(0.5 / 3)
    table = evaluate_run(run, qrels, ks=(1, 2))
    assert set(table) == {"recall@1", "recall@2", "mrr", "ndcg@1", "ndcg@2"}


def _random_runs(seed: int) -> tuple[dict[str, list[str]], dict[str, set[str]]]:
    rng = random.Random(seed)
    docs = [f"d{i}" for i in range(30)]
    run: dict[str, list[str]] = {}
    qrels: dict[str, set[str]] = {}
    for q in range(40):
        qrels[f"q{q}"] = set(rng.sample(docs, rng.randint(1, 3)))
        run[f"q{q}"] = rng.sample(docs, rng.randint(1, 15))
    return run, qrels


def test_agrees_with_trec_eval_on_random_runs() -> None:
    import pytrec_eval  # trec_eval's own C code, the reference implementation of these measures

    run, qrels = _random_runs(7)
    # trec_eval ranks by score: give the ranked ids distinct, descending scores.
    scored = {q: {d: float(len(ids) - i) for i, d in enumerate(ids)} for q, ids in run.items()}
    judged = {q: dict.fromkeys(gold, 1) for q, gold in qrels.items()}
    measures = {"recall.1,5,10", "recip_rank", "ndcg_cut.5,10"}
    per_query = pytrec_eval.RelevanceEvaluator(judged, measures).evaluate(scored)
    names = {
        "recall@1": "recall_1",
        "recall@5": "recall_5",
        "recall@10": "recall_10",
        "mrr": "recip_rank",
        "ndcg@5": "ndcg_cut_5",
        "ndcg@10": "ndcg_cut_10",
    }
    expected = {
        ours: sum(values[theirs] for values in per_query.values()) / len(per_query)
        for ours, theirs in names.items()
    }
    ours = {
        "recall@1": mean_recall_at_k(run, qrels, 1),
        "recall@5": mean_recall_at_k(run, qrels, 5),
        "recall@10": mean_recall_at_k(run, qrels, 10),
        "mrr": mean_reciprocal_rank(run, qrels),
        "ndcg@5": mean_ndcg_at_k(run, qrels, 5),
        "ndcg@10": mean_ndcg_at_k(run, qrels, 10),
    }
    assert len(per_query) == len(run)
    assert ours == pytest.approx(expected, abs=1e-9)
