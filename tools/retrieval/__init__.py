"""Retrieval over corpora: Norwegian BM25, dense (e5) and hybrid search, with filters."""

from tools.corpus import CorpusSource
from tools.retrieval.dense import dense_available
from tools.retrieval.retriever import CorpusRetriever, open_retriever, resolve_mode
from tools.retrieval.types import Chunk, Hit, Retriever, SearchMode

__all__ = [
    "Chunk",
    "CorpusRetriever",
    "CorpusSource",
    "Hit",
    "Retriever",
    "SearchMode",
    "dense_available",
    "open_retriever",
    "resolve_mode",
]
