"""Retrieval over corpora: Norwegian BM25, dense (e5) and hybrid search, with filters.

The retriever and the corpus loaders are imported on first use, so that importing the
types (``kilab.tools.retrieval.types``) stays light and free of import cycles.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from kilab.tools.retrieval.types import Chunk, Filters, Hit, Passage, Retriever, SearchMode

if TYPE_CHECKING:
    from kilab.tools.corpus import CorpusSource, source_from_config
    from kilab.tools.retrieval.dense import dense_available
    from kilab.tools.retrieval.derived import document_id, documents, per_retriever
    from kilab.tools.retrieval.memory import InMemoryRetriever
    from kilab.tools.retrieval.retriever import (
        CorpusRetriever,
        forget_retrievers,
        open_retriever,
        resolve_mode,
    )

__all__ = [
    "Chunk",
    "CorpusRetriever",
    "CorpusSource",
    "Filters",
    "Hit",
    "InMemoryRetriever",
    "Passage",
    "Retriever",
    "SearchMode",
    "dense_available",
    "document_id",
    "documents",
    "forget_retrievers",
    "open_retriever",
    "per_retriever",
    "resolve_mode",
    "source_from_config",
]

_LAZY = {
    "CorpusSource": "kilab.tools.corpus",
    "source_from_config": "kilab.tools.corpus",
    "dense_available": "kilab.tools.retrieval.dense",
    "CorpusRetriever": "kilab.tools.retrieval.retriever",
    "document_id": "kilab.tools.retrieval.derived",
    "documents": "kilab.tools.retrieval.derived",
    "per_retriever": "kilab.tools.retrieval.derived",
    "InMemoryRetriever": "kilab.tools.retrieval.memory",
    "forget_retrievers": "kilab.tools.retrieval.retriever",
    "open_retriever": "kilab.tools.retrieval.retriever",
    "resolve_mode": "kilab.tools.retrieval.retriever",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'kilab.tools.retrieval' has no attribute {name!r}")
