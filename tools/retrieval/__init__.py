"""Retrieval over corpora: Norwegian BM25, dense (e5) and hybrid search, with filters.

The retriever and the corpus loaders are imported on first use, so that importing the
types (``kilab.tools.retrieval.types``) stays light and free of import cycles.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from kilab.tools.retrieval.types import Chunk, Hit, Retriever, SearchMode

if TYPE_CHECKING:
    from kilab.tools.corpus import CorpusSource, source_from_config
    from kilab.tools.retrieval.dense import dense_available
    from kilab.tools.retrieval.retriever import (
        CorpusRetriever,
        document_id,
        forget_retrievers,
        open_retriever,
        resolve_mode,
    )

__all__ = [
    "Chunk",
    "CorpusRetriever",
    "CorpusSource",
    "Hit",
    "Retriever",
    "SearchMode",
    "dense_available",
    "document_id",
    "forget_retrievers",
    "open_retriever",
    "resolve_mode",
    "source_from_config",
]

_LAZY = {
    "CorpusSource": "kilab.tools.corpus",
    "source_from_config": "kilab.tools.corpus",
    "dense_available": "kilab.tools.retrieval.dense",
    "CorpusRetriever": "kilab.tools.retrieval.retriever",
    "document_id": "kilab.tools.retrieval.retriever",
    "forget_retrievers": "kilab.tools.retrieval.retriever",
    "open_retriever": "kilab.tools.retrieval.retriever",
    "resolve_mode": "kilab.tools.retrieval.retriever",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'kilab.tools.retrieval' has no attribute {name!r}")
