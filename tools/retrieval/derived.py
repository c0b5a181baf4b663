"""Values derived from a retriever's chunks, computed once per retriever object.

Keyed by the retriever itself (weakly), not by ``id()``: an id is reused once its object is
gone, and a table keyed by it would hand a new retriever the old corpus's values.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import TypeVar

from kilab.tools.retrieval.types import Chunk, Retriever

T = TypeVar("T")


def per_retriever(build: Callable[[Retriever], T]) -> Callable[[Retriever], T]:
    """Cache ``build(retriever)`` for as long as the retriever lives."""
    cache: weakref.WeakKeyDictionary[Retriever, T] = weakref.WeakKeyDictionary()
    lock = threading.Lock()

    def cached(retriever: Retriever) -> T:
        with lock:
            if retriever not in cache:
                cache[retriever] = build(retriever)
            return cache[retriever]

    cached.__doc__ = build.__doc__
    return cached


def document_id(chunk: Chunk) -> str:
    """The id of the document a chunk comes from (its own id when it is a whole document)."""
    return chunk.metadata.get("doc_id", chunk.id)


@per_retriever
def documents(retriever: Retriever) -> dict[str, list[Chunk]]:
    """Document id → its chunks in order."""
    table: dict[str, list[Chunk]] = {}
    for chunk in retriever.chunks:
        table.setdefault(document_id(chunk), []).append(chunk)
    return table
