"""Norwegian BM25 over chunks with bm25s: analysis, build, save and memory-mapped load."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np
import numpy.typing as npt

from kilab.tools.retrieval.types import Chunk
from kilab.tools.settings import IndexSettings
from kilab.tools.text import NORWEGIAN_STOPWORDS, stem, tokenize

Scores = npt.NDArray[np.float32]


GRAM = 4


def analyze(text: str, settings: IndexSettings) -> list[str]:
    """The index terms of a text under the settings: tokens less stop words, then either
    stemmed words or each word's character 4-grams."""
    tokens = tokenize(text)
    if settings.stopwords == "norwegian":
        tokens = [t for t in tokens if t not in NORWEGIAN_STOPWORDS]
    if settings.terms == "chargrams":
        return char_grams(tokens)
    if settings.stemmer == "norwegian":
        tokens = stem(tokens)
    return tokens


def char_grams(tokens: list[str], n: int = GRAM) -> list[str]:
    """The character n-grams of each token, its ends marked (``_hus``, ``eie_``).

    Norwegian writes compounds as one word ("depositumskonto", "husleieøkning") and
    inflects by suffix, so shared n-grams match what whole words and stems miss.
    """
    grams: list[str] = []
    for token in tokens:
        word = f"_{token}_"
        if len(word) <= n:
            grams.append(word)
        else:
            grams.extend(word[i : i + n] for i in range(len(word) - n + 1))
    return grams


def index_text(chunk: Chunk) -> str:
    """What BM25 and the embedder see of a chunk: its title, then its text."""
    return f"{chunk.title}\n{chunk.text}" if chunk.title else chunk.text


class BM25Index:
    """A bm25s index of chunks, scored by Norwegian terms."""

    def __init__(self, model: bm25s.BM25, settings: IndexSettings) -> None:
        self._model = model
        self._settings = settings
        self._size = int(model.scores["num_docs"])

    @classmethod
    def build(cls, chunks: Sequence[Chunk], settings: IndexSettings) -> BM25Index:
        """Index the chunks (in order; a chunk's position is its document number)."""
        model = bm25s.BM25(k1=settings.k1, b=settings.b)
        # Terms become ids chunk by chunk, so the corpus is held as lists of shared ints
        # rather than one string per term (character grams are several times more terms).
        vocabulary: dict[str, int] = {}
        ids = [
            [
                vocabulary.setdefault(term, len(vocabulary))
                for term in analyze(index_text(c), settings)
            ]
            for c in chunks
        ]
        _quiet()
        model.index((ids, vocabulary), show_progress=False)
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
