"""A retriever over chunks given in code: BM25 in memory, no corpus files, no disk cache.

For tests, notebooks and small fixed sets of passages (a handful of rules a pilot always
shows). It keeps the contract of the corpus retriever, filters included, and passes the same
conformance tests (tests/tools/retrieval/test_retriever_contract.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from kilab.tools.retrieval.bm25 import BM25Index, top_k
from kilab.tools.retrieval.filters import field_values, matches, unknown_field, wanted_values
from kilab.tools.retrieval.types import Chunk, Filters, Hit
from kilab.tools.settings import IndexSettings


class InMemoryRetriever:
    """BM25 search over a list of chunks held in memory."""

    def __init__(
        self, chunks: Iterable[Chunk], settings: IndexSettings | None = None, name: str = "memory"
    ) -> None:
        self.name = name
        self._chunks = list(chunks)
        self._by_id = {chunk.id: chunk for chunk in self._chunks}
        self._bm25 = BM25Index.build(self._chunks, settings or IndexSettings())

    @property
    def chunks(self) -> Sequence[Chunk]:
        return self._chunks

    def __len__(self) -> int:
        return len(self._chunks)

    def get(self, chunk_id: str) -> Chunk | None:
        return self._by_id.get(chunk_id)

    def search(self, query: str, k: int = 5, filters: Filters | None = None) -> list[Hit]:
        mask = self._mask(filters) if filters else None
        if mask is not None and not mask.any():
            return []
        scores = self._bm25.scores(query)
        if scores is None:
            return []
        return [Hit(self._chunks[i], float(scores[i])) for i in top_k(scores, k, mask)]

    def _mask(self, filters: Filters) -> np.ndarray:
        mask = np.ones(len(self._chunks), dtype=bool)
        for field, wanted in filters.items():
            values = [field_values(chunk, field) for chunk in self._chunks]
            if not any(values):
                raise unknown_field(self.name, field, self._chunks)
            allowed = wanted_values(wanted)
            mask &= [any(matches(v, w) for v in vs for w in allowed) for vs in values]
        return mask
