"""Retrieval speed and size: kilab BM25 against raw bm25s and rank-bm25 on the same terms."""

from __future__ import annotations

import shutil
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from kilab.tools.corpus import load_chunks
from kilab.tools.retrieval import CorpusSource, forget_retrievers, open_retriever
from kilab.tools.retrieval.bm25 import analyze, index_text
from kilab.tools.settings import IndexSettings

K = 10
WORDS = IndexSettings(terms="words")


@dataclass
class Engine:
    """How one engine builds an index over texts and answers one query."""

    name: str
    build: Callable[[], Any]
    query: Callable[[Any, str], Any]


@dataclass
class Measured:
    name: str
    build_s: float
    qps: float
    peak_mib: float


def engines(source: CorpusSource, texts: Sequence[str], cache: Path) -> list[Engine]:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("norwegian")

    # The references index stemmed words, so kilab is compared on the same terms; its default
    # character 4-grams (several times more terms) are measured beside them.
    words = replace(source, index=WORDS)

    def kilab_build(corpus: CorpusSource) -> Callable[[], Any]:
        def build() -> Any:
            forget_retrievers()
            shutil.rmtree(cache, ignore_errors=True)
            return open_retriever(corpus, "bm25", cache)

        return build

    def raw_build() -> Any:
        tokens = bm25s.tokenize(
            list(texts), stopwords="no", stemmer=stemmer.stemWords, show_progress=False
        )
        model = bm25s.BM25()
        model.index(tokens, show_progress=False)
        return model

    def raw_query(model: Any, question: str) -> Any:
        tokens = bm25s.tokenize(
            question, stopwords="no", stemmer=stemmer.stemWords, show_progress=False
        )
        return model.retrieve(tokens, k=K, show_progress=False)

    def rank_build() -> Any:
        from rank_bm25 import BM25Okapi

        return BM25Okapi([analyze(t, WORDS) or ["∅"] for t in texts])

    def rank_query(model: Any, question: str) -> Any:
        scores = model.get_scores(analyze(question, WORDS))
        return np.argsort(-scores)[:K]

    return [
        Engine("kilab BM25", kilab_build(words), lambda r, q: r.search(q, k=K)),
        Engine("kilab BM25, 4-grams", kilab_build(source), lambda r, q: r.search(q, k=K)),
        Engine("raw bm25s", raw_build, raw_query),
        Engine("rank-bm25", rank_build, rank_query),
    ]


def measure(engine: Engine, queries: Sequence[str], min_seconds: float = 3.0) -> Measured:
    """Build time, queries a second (after warm-up) and peak traced memory of one engine."""
    started = time.perf_counter()
    index = engine.build()
    build_s = time.perf_counter() - started
    for question in queries[:20]:
        engine.query(index, question)  # warm-up (numba, caches)
    count, started = 0, time.perf_counter()
    while True:
        for question in queries:
            engine.query(index, question)
        count += len(queries)
        elapsed = time.perf_counter() - started
        if elapsed >= min_seconds:
            break
    del index
    tracemalloc.start()
    index = engine.build()
    for question in queries[:50]:
        engine.query(index, question)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return Measured(engine.name, build_s, count / elapsed, peak / 2**20)


def run_speed(corpus: Path, queries: Sequence[str]) -> tuple[list[Measured], dict[str, float]]:
    """Measure the engines on a corpus file; also kilab's cold reload of its default index."""
    source = CorpusSource(corpus.name.split(".")[0], (corpus,))
    texts = [index_text(c) for c in load_chunks(source)]
    with tempfile.TemporaryDirectory(prefix="kilab-bench-") as folder:
        cache = Path(folder) / "cache"
        results = [measure(engine, queries) for engine in engines(source, texts, cache)]
        open_retriever(source, "bm25", cache)
        forget_retrievers()
        started = time.perf_counter()
        reloaded = open_retriever(source, "bm25", cache)
        reload_s = time.perf_counter() - started
        size = sum(f.stat().st_size for f in reloaded.folder.rglob("*") if f.is_file())
    return results, {"chunks": float(len(texts)), "reload_s": reload_s, "index_mib": size / 2**20}
