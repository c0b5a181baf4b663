"""Norwegian BM25 over chunks with bm25s: analysis, build, save and memory-mapped load."""

from __future__ import annotations

import logging
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from bm25s.scoring import _build_idf_array, _select_idf_scorer, _select_tfc_scorer

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


@dataclass(frozen=True, slots=True)
class TermCounts:
    """Each chunk's distinct terms and how often each occurs, document-major and compact.

    ``terms[k]`` occurs ``counts[k]`` times in its chunk; chunk ``d`` owns the entries
    ``offsets[d]:offsets[d + 1]`` and has ``lengths[d]`` terms in all. This is what BM25
    needs of a corpus, at a fraction of the memory of one list of term ids per chunk
    (character grams are five to six times more terms than words).
    """

    terms: npt.NDArray[np.int32]
    counts: npt.NDArray[np.int32]
    offsets: npt.NDArray[np.int64]
    lengths: npt.NDArray[np.int64]
    vocabulary: dict[str, int]

    def __len__(self) -> int:
        return len(self.lengths)


_BATCH = 1024  # chunks counted at once: bounds the memory of the raw term ids


def count_terms(texts: Iterable[str], settings: IndexSettings) -> TermCounts:
    """Every text's term counts under the settings, and the vocabulary they index.

    Each distinct token is analysed once (words repeat far more often than they are new),
    so a text costs a dictionary lookup per token; term ids are counted a batch of texts at a
    time, so only the distinct (chunk, term) pairs are ever held for the whole corpus.
    """
    vocabulary: dict[str, int] = {}
    per_token: dict[str, tuple[int, ...]] = {}
    terms: list[npt.NDArray[np.int32]] = []
    counts: list[npt.NDArray[np.int32]] = []
    distinct: list[npt.NDArray[np.int64]] = []
    lengths = array("q")
    batch = array("i")
    batch_lengths = array("q")

    def flush() -> None:
        ids = np.array(batch, dtype=np.int32)  # copies: the array is reused for the next batch
        sizes = np.array(batch_lengths, dtype=np.int64)
        docs = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
        width = max(len(vocabulary), 1)
        pairs, tf = np.unique(docs * width + ids, return_counts=True)
        doc_of, term_of = np.divmod(pairs, width)
        terms.append(term_of.astype(np.int32))
        counts.append(tf.astype(np.int32))
        distinct.append(np.bincount(doc_of, minlength=len(sizes)))
        lengths.extend(batch_lengths)
        del batch[:], batch_lengths[:]

    for text in texts:
        start = len(batch)
        for token in tokenize(text):
            ids = per_token.get(token)
            if ids is None:
                ids = per_token[token] = tuple(
                    vocabulary.setdefault(term, len(vocabulary))
                    for term in analyze(token, settings)
                )
            batch.extend(ids)
        batch_lengths.append(len(batch) - start)
        if len(batch_lengths) == _BATCH:
            flush()
    if batch_lengths:
        flush()
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    if distinct:
        np.cumsum(np.concatenate(distinct), out=offsets[1:])
    return TermCounts(
        _concatenate(terms, np.int32),
        _concatenate(counts, np.int32),
        offsets,
        np.array(lengths, dtype=np.int64),
        vocabulary,
    )


def _concatenate(parts: list[npt.NDArray[Any]], dtype: type[np.generic]) -> npt.NDArray[Any]:
    """One array of the parts, which are dropped (so both are never held at once for long)."""
    whole = np.concatenate(parts) if parts else np.zeros(0, dtype)
    parts.clear()
    return whole


class _CountedBM25(bm25s.BM25):  # type: ignore[misc]  # bm25s has no type hints
    """bm25s's BM25, built from :class:`TermCounts` with array operations.

    bm25s counts each document's terms in a Python loop, which for character grams costs
    more than the analysis; ``build_index_from_ids`` is the override point bm25s offers for
    building differently. The scores are bm25s's own formulas (its idf and tf scorers) on the
    same numbers in the same float64 → float32 order, so the index is exactly the one
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
        n_docs, n_vocab = len(counted), len(unique_token_ids)
        doc_frequencies = np.bincount(counted.terms, minlength=n_vocab)
        idf = _build_idf_array(
            dict(enumerate(doc_frequencies.tolist())),
            n_docs=n_docs,
            compute_idf_fn=_select_idf_scorer(self.idf_method),
            dtype=self.dtype,
        )
        scores = np.empty(len(counted.terms), dtype=self.dtype)
        tf_scorer = _select_tfc_scorer(self.method)
        average = counted.lengths.mean()
        # A block of documents at a time: the float64 temporaries of the formula stay small.
        for first in range(0, n_docs, _BATCH):
            last = min(first + _BATCH, n_docs)
            start, end = counted.offsets[first], counted.offsets[last]
            tfc = tf_scorer(
                tf_array=counted.counts[start:end].astype(self.dtype),
                l_d=np.repeat(
                    counted.lengths[first:last], np.diff(counted.offsets[first : last + 1])
                ),
                l_avg=average,
                k1=self.k1,
                b=self.b,
                delta=self.delta,
            )
            scores[start:end] = idf[counted.terms[start:end]] * tfc
        # Document-major rows → term-major columns, documents ascending within a term (as
        # bm25s's own build orders them); scipy converts without an index array of its own.
        index_type = np.int32 if len(scores) < np.iinfo(np.int32).max else np.int64
        rows = sp.csr_matrix(
            (
                scores,
                counted.terms.astype(index_type, copy=False),
                counted.offsets.astype(index_type),
            ),
            shape=(n_docs, n_vocab),
        )
        del scores
        columns = rows.tocsc()
        return {
            "data": columns.data,
            "indices": columns.indices,
            "indptr": columns.indptr.astype(np.int64),
            "num_docs": n_docs,
        }


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
