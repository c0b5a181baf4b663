"""Ranking metrics with binary relevance: recall@k, reciprocal rank, nDCG@k.

Pure functions over ranked ids and gold ids, plus run-level means over run files
(question id → ranked ids), in the TREC sense: a question without gold ids is skipped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence

Run = Mapping[str, Sequence[str]]
Qrels = Mapping[str, Collection[str]]


def _dedupe(ranked_ids: Sequence[str]) -> list[str]:
    # A ranking that names a document twice counts it once, at its best rank.
    return list(dict.fromkeys(ranked_ids))


def recall_at_k(ranked_ids: Sequence[str], gold_ids: Collection[str], k: int) -> float:
    """Share of the gold ids found in the first k results (0 when there is no gold)."""
    gold = set(gold_ids)
    if not gold:
        return 0.0
    return len(gold.intersection(_dedupe(ranked_ids)[:k])) / len(gold)


def reciprocal_rank(ranked_ids: Sequence[str], gold_ids: Collection[str]) -> float:
    """1 / the rank of the first gold id (0 when none is found)."""
    gold = set(gold_ids)
    for rank, doc_id in enumerate(_dedupe(ranked_ids), start=1):
        if doc_id in gold:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked_ids: Sequence[str], gold_ids: Collection[str], k: int) -> float:
    """Normalised discounted cumulative gain at k with binary gains (0 without gold)."""
    gold = set(gold_ids)
    if not gold:
        return 0.0
    gain = sum(
        1.0 / math.log2(rank + 1)
        for rank, doc_id in enumerate(_dedupe(ranked_ids)[:k], start=1)
        if doc_id in gold
    )
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(gold), k) + 1))
    return gain / ideal


def _mean(
    run: Run, qrels: Qrels, metric: Callable[[Sequence[str], Collection[str]], float]
) -> float:
    questions = [qid for qid, gold in qrels.items() if gold]
    if not questions:
        return 0.0
    return sum(metric(run.get(qid, ()), qrels[qid]) for qid in questions) / len(questions)


def mean_recall_at_k(run: Run, qrels: Qrels, k: int) -> float:
    """Mean recall@k over the questions that have gold ids (missing runs count as 0)."""
    return _mean(run, qrels, lambda ranked, gold: recall_at_k(ranked, gold, k))


def mean_reciprocal_rank(run: Run, qrels: Qrels) -> float:
    """MRR over the questions that have gold ids."""
    return _mean(run, qrels, reciprocal_rank)


def mean_ndcg_at_k(run: Run, qrels: Qrels, k: int) -> float:
    """Mean nDCG@k over the questions that have gold ids."""
    return _mean(run, qrels, lambda ranked, gold: ndcg_at_k(ranked, gold, k))


def evaluate_run(run: Run, qrels: Qrels, ks: Sequence[int] = (1, 5, 10)) -> dict[str, float]:
    """The usual table of a run: ``recall@k`` and ``ndcg@k`` for each k, and ``mrr``."""
    table = {f"recall@{k}": mean_recall_at_k(run, qrels, k) for k in ks}
    table["mrr"] = mean_reciprocal_rank(run, qrels)
    table.update({f"ndcg@{k}": mean_ndcg_at_k(run, qrels, k) for k in ks})
    return table
