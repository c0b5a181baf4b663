"""The retrieval contract: chunks, hits, the passage every later layer speaks, and the
Retriever protocol every node searches through."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, NotRequired, Protocol

# typing_extensions' TypedDict, so that pydantic (records, LangGraph Studio's input form)
# can read these types on Python 3.11.
from typing_extensions import TypedDict

SearchMode = Literal["bm25", "dense", "hybrid", "auto"]
Filters = Mapping[str, str | Sequence[str]]


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

    def passage(self, coverage: float) -> Passage:
        """This hit as the passage the graph, the roles and the run store keep."""
        chunk = self.chunk
        return Passage(
            id=chunk.id,
            title=chunk.title,
            text=chunk.text,
            url=chunk.url,
            source=chunk.source,
            score=float(self.score),
            coverage=coverage,
        )


class Passage(TypedDict):
    """A retrieved passage, from the search node to the run store, with what a citation needs.

    Plain data rather than a class: checkpoints and stored runs keep it as JSON that can be
    read back years later without our code.
    """

    id: str
    title: str
    text: str
    url: str
    source: str
    score: float
    # IDF-weighted share of the question's terms found in the passage; absent where nobody
    # measured it (a passage given in code, a run stored before it was kept).
    coverage: NotRequired[float]


def passage(
    id: str,
    text: str,
    title: str = "",
    url: str = "",
    source: str = "",
    score: float = 0.0,
    coverage: float | None = None,
) -> Passage:
    """A passage from its parts (a document an agent fetched, text a test gives a role)."""
    made = Passage(id=id, title=title, text=text, url=url, source=source, score=score)
    if coverage is not None:
        made["coverage"] = coverage
    return made


class Retriever(Protocol):
    """Finds the chunks that best match a question: the seam every search node and agent
    tool uses. ``kilab.tools.retrieval.CorpusRetriever`` (BM25, dense, hybrid over a corpus on
    disk) and ``InMemoryRetriever`` (chunks given in code) implement it."""

    @property
    def chunks(self) -> Sequence[Chunk]:
        """Every chunk, in index order."""
        ...

    def get(self, chunk_id: str) -> Chunk | None:
        """A chunk by id, or None."""
        ...

    def search(self, query: str, k: int = 5, filters: Filters | None = None) -> list[Hit]:
        """The k best chunks for a question, best first (see CorpusRetriever.search)."""
        ...
