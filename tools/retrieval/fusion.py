"""Combine BM25 and dense scores into one ranking.

Both rankers score every chunk, so fusion works on whole score arrays: reciprocal rank
fusion over each ranker's top candidates, or a weighted sum of normalised scores.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kilab.tools.settings import IndexSettings

Scores = npt.NDArray[np.float32]
Mask = npt.NDArray[np.bool_]


def _ranking(scores: Scores, n: int, mask: Mask | None) -> npt.NDArray[np.intp]:
    """Positions of the n best positive scores, best first."""
    valid = scores > 0 if mask is None else (scores > 0) & mask
    positions = np.flatnonzero(valid)
    if len(positions) > n:
        positions = positions[np.argpartition(-scores[positions], n - 1)[:n]]
    return positions[np.lexsort((positions, -scores[positions]))]


def reciprocal_rank_fusion(
    rankings: list[npt.NDArray[np.intp]],
    size: int,
    k: int = 60,
    weights: list[float] | None = None,
) -> Scores:
    """RRF: each chunk scores the (weighted) sum of ``1 / (k + rank)`` over the rankings."""
    fused = np.zeros(size, dtype=np.float32)
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        ranks = np.arange(1, len(ranking) + 1)
        fused[ranking] += (weight / (k + ranks)).astype(np.float32)
    return fused


def normalise(scores: Scores, method: str, mask: Mask | None) -> Scores:
    """Scores on a common scale: z-scores or min-max, computed over the allowed chunks."""
    pool = scores if mask is None else scores[mask]
    if len(pool) == 0:
        return np.zeros_like(scores)
    if method == "zscore":
        spread = float(pool.std()) or 1.0
        return ((scores - float(pool.mean())) / spread).astype(np.float32)
    low, high = float(pool.min()), float(pool.max())
    return ((scores - low) / ((high - low) or 1.0)).astype(np.float32)


def fuse(
    bm25: Scores | None, dense: Scores, settings: IndexSettings, mask: Mask | None = None
) -> Scores:
    """One score per chunk from both rankers, higher is better; zero or less means no hit.

    Args:
        bm25: BM25 scores (None when no query term is in the index).
        dense: Cosine similarities.
        settings: Which fusion and its parameters.
        mask: Chunks that pass the filters (others never score).
    """
    size = len(dense)
    weight = settings.dense_weight
    if settings.fusion == "rrf":
        rankings = [_ranking(dense, settings.candidates, mask)]
        weights = [2 * weight]  # equal weights (0.5) give plain RRF
        if bm25 is not None:
            rankings.append(_ranking(bm25, settings.candidates, mask))
            weights.append(2 * (1 - weight))
        return reciprocal_rank_fusion(rankings, size, settings.rrf_k, weights)
    combined = weight * normalise(dense, settings.fusion, mask)
    if bm25 is not None:
        combined += (1 - weight) * normalise(bm25, settings.fusion, mask)
    # Shift so that every allowed chunk is positive and the rest are not.
    floor = float(combined.min()) if size else 0.0
    shifted = (combined - floor + 1e-6).astype(np.float32)
    if mask is not None:
        shifted[~mask] = 0
    return shifted
