"""Norwegian BM25 over chunks with bm25s: build, save and memory-mapped load."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import numpy.typing as npt
from bm25s.scoring import _build_idf_array, _select_idf_scorer, _select_tfc_scorer

from kilab.tools.retrieval.analysis import GRAM, analyze, char_grams, index_text
from kilab.tools.retrieval.termstats import CountBatch, TermCounts, count_terms, term_major
from kilab.tools.retrieval.types import Chunk
from kilab.tools.settings import IndexSettings

__all__ = ["GRAM", "BM25Index", "Scores", "analyze", "char_grams", "index_text", "top_k"]

Scores = npt.NDArray[np.float32]


class _CountedBM25(bm25s.BM25):  # type: ignore[misc]  # bm25s has no type hints
    """bm25s's BM25, built from :class:`TermCounts` with array operations.

    bm25s counts each document's terms in a Python loop and builds its matrix from three
    arrays of every (document, term) pair, which for character grams costs more time and
    memory than the analysis; ``build_index_from_ids`` is the override point bm25s offers
    for building differently. The scores are bm25s's own formulas (its idf and tf scorers)
    on the same numbers in the same float64 → float32 order, so the index is exactly the one
    ``bm25s.BM25.index`` builds (a test compares them) and saves and loads as one.
    """

    def build_index_from_ids(
        self,
        unique_token_ids: list[int],
        corpus_token_ids: TermCounts,
        show_progress: bool = True,
        leave_progress: bool = False,
    ) -> dict[str, Any]:
        if self.method in self.methods_requiring_nonoccurrence:
            raise NotImplementedError(f"BM25 method {self.method!r} is not supported here")
        self.nonoccurrence_array = None
        counted = corpus_token_ids
        n_docs = len(counted)
        frequencies = counted.document_frequencies()
        idf = _build_idf_array(
            dict(enumerate(frequencies.tolist())),
            n_docs=n_docs,
            compute_idf_fn=_select_idf_scorer(self.idf_method),
            dtype=self.dtype,
        )
        tf_scorer = _select_tfc_scorer(self.method)
        average = counted.lengths().mean()

        def score(batch: CountBatch, lengths: npt.NDArray[np.int64]) -> Scores:
            tfc = tf_scorer(
                tf_array=batch.counts.astype(self.dtype),
                l_d=lengths,
                l_avg=average,
                k1=self.k1,
                b=self.b,
                delta=self.delta,
            )
            scores: Scores = (idf[batch.terms] * tfc).astype(self.dtype)
            return scores

        columns = term_major(counted, frequencies, score, dtype=self.dtype)
        return {
            "data": columns.data,
            "indices": columns.indices,
            "indptr": columns.indptr,
            "num_docs": n_docs,
        }


class BM25Index:
    """A bm25s index of chunks, scored by Norwegian terms."""

    def __init__(self, model: bm25s.BM25, settings: IndexSettings) -> None:
        self._model = model
        self._settings = settings
        self._size = int(model.scores["num_docs"])

    @classmethod
    def build(cls, chunks: Sequence[Chunk], settings: IndexSettings) -> BM25Index:
        """Index the chunks (in order; a chunk's position is its document number)."""
        model = _CountedBM25(k1=settings.k1, b=settings.b)
        counted = count_terms((index_text(c) for c in chunks), settings)
        _quiet()
        # bm25s takes an object with ids and vocab as given and hands the ids to the override.
        corpus = bm25s.tokenization.Tokenized(ids=counted, vocab=counted.vocabulary)
        model.index(corpus, show_progress=False)
        return cls(model, settings)

    def save(self, folder: Path) -> None:
        """Write the index files into a folder."""
        self._model.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, settings: IndexSettings, mmap: bool = True) -> BM25Index:
        """Read a saved index; its score arrays are memory-mapped unless ``mmap`` is false."""
        _quiet()
        model = bm25s.BM25.load(str(folder), mmap=mmap, show_progress=False)
        return cls(model, settings)

    def __len__(self) -> int:
        return self._size

    def query_ids(self, query: str) -> list[int]:
        """Vocabulary ids of the query's terms that occur in the index."""
        ids: list[int] = self._model.get_tokens_ids(analyze(query, self._settings))
        return ids

    def scores(self, query: str) -> Scores | None:
        """BM25 scores of every chunk for the query, or None when no term is indexed."""
        ids = self.query_ids(query)
        if not ids:
            return None
        scores: Scores = self._model.get_scores_from_ids(ids)
        return scores


def top_k(scores: Scores, k: int, mask: npt.NDArray[np.bool_] | None = None) -> list[int]:
    """Positions of the k highest positive scores, best first (within ``mask`` if given)."""
    if mask is not None:
        scores = np.where(mask, scores, np.float32(0))
    k = min(k, len(scores))
    if k <= 0:
        return []
    everything = np.arange(len(scores))
    candidates = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else everything
    # Ties go to the earlier chunk, so results do not depend on argpartition's order.
    ordered = candidates[np.lexsort((candidates, -scores[candidates]))]
    return [int(i) for i in ordered if scores[i] > 0]


def _quiet() -> None:
    # bm25s logs each save and load at INFO through the root logger's handlers.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
