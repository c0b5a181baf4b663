"""Fusing BM25 and dense scores."""

from __future__ import annotations

import numpy as np
import pytest

from kilab.tools.retrieval.fusion import fuse, normalise, reciprocal_rank_fusion
from kilab.tools.settings import IndexSettings

BM25 = np.array([0.0, 5.0, 1.0, 3.0], dtype=np.float32)
DENSE = np.array([0.80, 0.82, 0.90, 0.70], dtype=np.float32)


def test_reciprocal_rank_fusion_sums_inverse_ranks() -> None:
    fused = reciprocal_rank_fusion([np.array([2, 1]), np.array([1, 3])], size=4, k=60)
    assert fused[1] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[2] == pytest.approx(1 / 61)
    assert fused[0] == 0


def test_rrf_prefers_chunks_both_rankers_like() -> None:
    fused = fuse(BM25, DENSE, IndexSettings(fusion="rrf", dense_weight=0.5, rrf_k=60))
    assert int(np.argmax(fused)) == 1  # 1st in BM25, 2nd in dense
    assert fused[0] > 0  # dense ranks every chunk, BM25 only its matches
    assert fused[1] == pytest.approx(1 / 61 + 1 / 62)  # equal weights: plain RRF


def test_weighted_rrf_leans_towards_the_heavier_ranker() -> None:
    dense_heavy = fuse(BM25, DENSE, IndexSettings(fusion="rrf", dense_weight=0.9, rrf_k=10))
    bm25_heavy = fuse(BM25, DENSE, IndexSettings(fusion="rrf", dense_weight=0.1, rrf_k=10))
    assert int(np.argmax(dense_heavy)) == 2 and int(np.argmax(bm25_heavy)) == 1


def test_rrf_without_bm25_terms_follows_dense() -> None:
    fused = fuse(None, DENSE, IndexSettings(fusion="rrf"))
    assert list(np.argsort(-fused)) == list(np.argsort(-DENSE))


@pytest.mark.parametrize("method", ["zscore", "minmax"])
def test_weighted_fusion_moves_with_the_weight(method: str) -> None:
    dense_only = fuse(BM25, DENSE, IndexSettings(fusion=method, dense_weight=1.0))
    bm25_only = fuse(BM25, DENSE, IndexSettings(fusion=method, dense_weight=0.0))
    assert int(np.argmax(dense_only)) == 2 and int(np.argmax(bm25_only)) == 1
    assert (dense_only > 0).all()


def test_mask_keeps_filtered_chunks_out() -> None:
    mask = np.array([True, False, True, True])
    for method in ("rrf", "zscore", "minmax"):
        fused = fuse(BM25, DENSE, IndexSettings(fusion=method), mask)  # type: ignore[arg-type]
        assert fused[1] <= 0 and int(np.argmax(fused)) != 1


def test_normalise_handles_constant_scores() -> None:
    flat = np.ones(3, dtype=np.float32)
    assert (normalise(flat, "zscore", None) == 0).all()
    assert (normalise(flat, "minmax", None) == 0).all()
