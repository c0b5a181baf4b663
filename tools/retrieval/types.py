"""The retrieval contract: chunks, hits and the Retriever protocol."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

SearchMode = Literal["bm25", "dense", "hybrid", "auto"]


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage of a document, with everything a citation needs."""

    id: str
    text: str
    title: str = ""
    url: str = ""
    source: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Hit:
    """A chunk found by a search, with its score (higher is better)."""

    chunk: Chunk
    score: float


class Retriever(Protocol):
    """Finds the chunks that best match a question."""

    def search(
        self, query: str, k: int = 5, filters: Mapping[str, str] | None = None
    ) -> list[Hit]: ...
