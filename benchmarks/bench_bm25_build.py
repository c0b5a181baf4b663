"""BM25 index build and query: kilab's 4-gram and word indexes against raw bm25s, like for like.

All three get the same texts (title and text of each section) and nothing else: no corpus
loading, chunking or saving. Raw bm25s tokenizes with its own Norwegian stop words and the
Snowball stemmer. Build time is the median (min–max) of interleaved repetitions (the order
rotated), with the load average after each; memory is the peak that tracemalloc traces during
one build (Python objects and numpy's arrays, which numpy reports to it; not RSS). Query time
is the mean over the husleie pilot's questions of analysing a question, scoring every section
and taking the 10 best, again interleaved.

The corpus is ``../shared/data/lovdata/current-laws-sections.jsonl.gz`` (15,429 sections)
when present, else the project's own ``data/lovdata/realestate-sections.jsonl``.
"""

from __future__ import annotations

import gzip
import json
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.common import Findings, Spread, Target, load, repetitions, report

ROOT = Path(__file__).resolve().parents[1]
LARGE = ROOT.parent / "shared" / "data" / "lovdata" / "current-laws-sections.jsonl.gz"
SMALL = ROOT / "data" / "lovdata" / "realestate-sections.jsonl"
QUESTIONS = ROOT / "configs" / "datasets" / "husleie.jsonl"
K = 10
TODAY_QUERY_RATIO = 0.64  # the 4-gram index's query time ÷ bm25s's in issue #14


def _rows(path: Path) -> list[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def main() -> Findings:
    """Print build seconds, peak MiB and query ms of each engine, and kilab's ratios to bm25s."""
    import bm25s
    import Stemmer

    from kilab.tools.retrieval.bm25 import BM25Index, top_k
    from kilab.tools.retrieval.types import Chunk
    from kilab.tools.settings import IndexSettings

    path = LARGE if LARGE.exists() else SMALL
    if path is SMALL:
        print(f"{LARGE} is absent (../shared/data/): measuring the smaller {SMALL.name}")
    rows = _rows(path)
    chunks = [
        Chunk(id=str(i), text=r.get("text", ""), title=r.get("title", ""))
        for i, r in enumerate(rows)
    ]
    texts = [f"{c.title}\n{c.text}" if c.title else c.text for c in chunks]
    questions = [str(r["question"]) for r in _rows(QUESTIONS)]
    stemmer = Stemmer.Stemmer("norwegian")

    def raw() -> Any:
        tokens = bm25s.tokenize(
            texts, stopwords="no", stemmer=stemmer.stemWords, show_progress=False
        )
        model = bm25s.BM25()
        model.index(tokens, show_progress=False)
        return model

    def raw_query(model: Any, question: str) -> Any:
        tokens = bm25s.tokenize(
            [question], stopwords="no", stemmer=stemmer.stemWords, show_progress=False
        )
        return model.retrieve(tokens, k=K, show_progress=False)

    def kilab_query(index: Any, question: str) -> Any:
        scores = index.scores(question)
        return [] if scores is None else top_k(scores, K)

    reference = "raw bm25s (stemmed words)"
    grams = "kilab, 4-grams (default)"
    engines: dict[str, tuple[Callable[[], Any], Callable[[Any, str], Any]]] = {
        reference: (raw, raw_query),
        grams: (lambda: BM25Index.build(chunks, IndexSettings()), kilab_query),
        "kilab, stemmed words": (
            lambda: BM25Index.build(chunks, IndexSettings(terms="words")),
            kilab_query,
        ),
    }
    build_s = {name: Spread() for name in engines}
    query_ms = {name: Spread() for name in engines}
    peaks = {name: Spread() for name in engines}
    loads = Spread()
    names = list(engines)
    for rep in range(repetitions()):  # interleaved, so a busy moment hits every engine alike
        shift = rep % len(names)
        for name in names[shift:] + names[:shift]:
            build, query = engines[name]
            started = time.perf_counter()
            built = build()
            build_s[name].add(time.perf_counter() - started)
            started = time.perf_counter()
            for question in questions:
                query(built, question)
            query_ms[name].add((time.perf_counter() - started) / len(questions) * 1000)
            del built
            loads.add(load())
    for name in names:  # memory apart: tracing slows the build
        tracemalloc.start()
        built = engines[name][0]()
        peaks[name].add(tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
        del built
    print(
        f"{len(chunks)} sections of {path.name}, {len(questions)} questions; "
        f"{len(build_s[reference].values)} interleaved repetitions; "
        f"load average {loads.show(1)}"
    )
    print(
        f"{'engine':<28} {'build s (median, min–max)':>27} {'tracemalloc peak MiB':>21} "
        f"{'query ms':>20}"
    )
    for name in engines:
        print(
            f"{name:<28} {build_s[name].show(2):>27} {peaks[name].show(1):>21} "
            f"{query_ms[name].show(2):>20}"
        )
    time_ratio = build_s[grams].median / build_s[reference].median
    memory_ratio = peaks[grams].median / peaks[reference].median
    query_ratio = query_ms[grams].median / query_ms[reference].median
    return report(
        [
            Target(
                "the 4-gram index ≤ 1.5× bm25s's build time",
                f"{time_ratio:.2f}×",
                time_ratio <= 1.5,
            ),
            Target(
                "the 4-gram index ≤ 1.5× bm25s's memory (tracemalloc peak)",
                f"{memory_ratio:.2f}×",
                memory_ratio <= 1.5,
            ),
            Target(
                f"the 4-gram index's query time no worse than today ({TODAY_QUERY_RATIO}× bm25s)",
                f"{query_ratio:.2f}×",
                query_ratio <= TODAY_QUERY_RATIO,
            ),
        ]
    )


if __name__ == "__main__":
    main()
