"""Term statistics of a corpus for BM25, counted and laid out in compact arrays.

Character grams are five to six times more terms than words, so nothing here holds one
Python list of term ids per document: texts are counted a batch at a time into the
distinct (document, term) pairs in the smallest integer types that hold them, and those
batches are then scored and written term-major (the layout bm25s scores queries from)
one at a time, each dropped once written.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from kilab.tools.retrieval.analysis import analyze
from kilab.tools.settings import IndexSettings
from kilab.tools.text import tokenize

BATCH = 256  # documents counted, then scored, at once: bounds the temporary arrays


@dataclass(frozen=True, slots=True)
class CountBatch:
    """The distinct terms of consecutive documents and how often each occurs in each.

    Document-major: the batch's ``k``-th document owns the next ``distinct[k]`` entries of
    ``terms`` (ascending) and ``counts``, and has ``lengths[k]`` terms in all.
    """

    terms: npt.NDArray[np.unsignedinteger[Any]]
    counts: npt.NDArray[np.unsignedinteger[Any]]
    distinct: npt.NDArray[np.int64]
    lengths: npt.NDArray[np.int64]


@dataclass(slots=True)
class TermCounts:
    """A corpus's term counts, batch by batch in document order, and their vocabulary."""

    batches: list[CountBatch]
    vocabulary: dict[str, int]

    def __len__(self) -> int:
        return sum(len(batch.lengths) for batch in self.batches)

    def lengths(self) -> npt.NDArray[np.int64]:
        """The number of terms of each document."""
        return _concatenate([batch.lengths for batch in self.batches], np.int64)

    def document_frequencies(self) -> npt.NDArray[np.int64]:
        """How many documents each vocabulary term occurs in."""
        frequencies = np.zeros(len(self.vocabulary), dtype=np.int64)
        for batch in self.batches:  # a batch's pairs are distinct: a term's count is its df
            present, documents = np.unique(batch.terms, return_counts=True)
            frequencies[present] += documents
        return frequencies

    def documents(self) -> Iterator[dict[int, int]]:
        """Each document's terms and counts (for checks; the build never expands them)."""
        for batch in self.batches:
            ends = np.cumsum(batch.distinct).tolist()
            terms, counts = batch.terms.tolist(), batch.counts.tolist()
            for start, end in zip([0, *ends[:-1]], ends, strict=True):
                yield dict(zip(terms[start:end], counts[start:end], strict=True))


def count_terms(texts: Iterable[str], settings: IndexSettings) -> TermCounts:
    """Every text's term counts under the settings, and the vocabulary they index.

    Each distinct token is analysed once (words repeat far more often than they are new),
    so a text costs a dictionary lookup per token.
    """
    vocabulary: dict[str, int] = {}
    per_token: dict[str, bytes] = {}  # a token's term ids, as the machine ints of ``ids``
    batches: list[CountBatch] = []
    ids = array("i")
    lengths = array("q")
    for text in texts:
        tokens = tokenize(text)
        # New tokens in the order they first occur, so term ids are too (as bm25s numbers).
        for token in [t for t in dict.fromkeys(tokens) if t not in per_token]:
            terms = analyze(token, settings)
            per_token[token] = array(
                "i", [vocabulary.setdefault(term, len(vocabulary)) for term in terms]
            ).tobytes()
        # One C loop per text: the tokens' ids joined, not extended id by id.
        encoded = b"".join(map(per_token.__getitem__, tokens))
        ids.frombytes(encoded)
        lengths.append(len(encoded) // ids.itemsize)
        if len(lengths) == BATCH:
            batches.append(_count(ids, lengths, len(vocabulary)))
            del ids[:], lengths[:]
    if lengths:
        batches.append(_count(ids, lengths, len(vocabulary)))
    return TermCounts(batches, vocabulary)


def _count(ids: array[int], lengths: array[int], n_vocab: int) -> CountBatch:
    """The distinct (document, term) pairs of a batch's term ids, with their counts."""
    sizes = np.array(lengths, dtype=np.int64)
    docs = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    width = max(n_vocab, 1)
    pairs, tf = np.unique(docs * width + np.asarray(ids, dtype=np.int64), return_counts=True)
    doc_of, term_of = np.divmod(pairs, width)
    return CountBatch(
        terms=term_of.astype(np.min_scalar_type(width - 1)),
        counts=tf.astype(np.min_scalar_type(tf.max(initial=0))),
        distinct=np.bincount(doc_of, minlength=len(sizes)),
        lengths=sizes,
    )


# The score of each pair of a batch, given the batch's documents' term lengths per pair.
PairScorer = Callable[[CountBatch, npt.NDArray[np.int64]], npt.NDArray[np.floating[Any]]]


@dataclass(frozen=True, slots=True)
class Columns:
    """Scores term-major: term ``t``'s documents (ascending) and scores are the entries
    ``indptr[t]:indptr[t + 1]`` of ``indices`` and ``data`` (scipy's CSC layout)."""

    data: npt.NDArray[np.floating[Any]]
    indices: npt.NDArray[np.signedinteger[Any]]
    indptr: npt.NDArray[np.int64]


def term_major(
    counted: TermCounts,
    frequencies: npt.NDArray[np.int64],
    score: PairScorer,
    dtype: npt.DTypeLike = np.float32,
) -> Columns:
    """Score every (document, term) pair and lay the scores out term-major, given each
    term's document frequency (its number of pairs).

    Consumes ``counted.batches``: each batch is dropped once written, so the counts and the
    scores are never both held whole. Documents come in ascending order, so each term's
    next free place is a cursor that only moves forward.
    """
    n_vocab = len(counted.vocabulary)
    indptr = np.zeros(n_vocab + 1, dtype=np.int64)
    np.cumsum(frequencies, out=indptr[1:])
    pairs = int(indptr[-1])
    index_type = np.int32 if pairs < np.iinfo(np.int32).max else np.int64
    data = np.empty(pairs, dtype=dtype)
    indices: npt.NDArray[np.signedinteger[Any]] = np.empty(pairs, dtype=index_type)
    cursor = indptr[:-1].copy()
    first = 0
    counted.batches.reverse()  # popped from the end, first batch first
    while counted.batches:
        batch = counted.batches.pop()
        n_docs = len(batch.lengths)
        scores = score(batch, np.repeat(batch.lengths, batch.distinct))
        docs = np.repeat(np.arange(first, first + n_docs, dtype=index_type), batch.distinct)
        # Group the batch's pairs by term, documents still ascending within a term; a
        # group's k-th pair goes k places past its term's cursor.
        order = np.argsort(batch.terms, kind="stable")
        terms = batch.terms[order]
        starts = np.flatnonzero(np.r_[True, terms[1:] != terms[:-1]])
        sizes = np.diff(np.r_[starts, len(terms)])
        present = terms[starts]
        places = np.arange(len(terms)) + np.repeat(cursor[present] - starts, sizes)
        data[places] = scores[order]
        indices[places] = docs[order]
        cursor[present] += sizes
        first += n_docs
        del batch, scores, docs, order, terms, places
    return Columns(data, indices, indptr)


def _concatenate(parts: list[npt.NDArray[Any]], dtype: type[np.generic]) -> npt.NDArray[Any]:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)
