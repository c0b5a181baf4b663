"""BM25 index build: kilab's 4-gram and word indexes against raw bm25s, like for like.

All three get the same texts (title and text of each section) and nothing else: no corpus
loading, chunking or saving. Raw bm25s tokenizes with its own Norwegian stop words and the
Snowball stemmer. Build time is the median (min–max) of interleaved repetitions; memory is
the peak traced by tracemalloc during one build (numpy reports its arrays to it).

The corpus is ``../shared/data/lovdata/current-laws-sections.jsonl.gz`` (15,429 sections)
when present, else the project's own ``data/lovdata/realestate-sections.jsonl``.
"""

from __future__ import annotations

import gzip
import json
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LARGE = ROOT.parent / "shared" / "data" / "lovdata" / "current-laws-sections.jsonl.gz"
SMALL = ROOT / "data" / "lovdata" / "realestate-sections.jsonl"
REPEATS = 3


def _rows(path: Path) -> list[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def main() -> None:
    """Print build seconds and peak MiB of each engine, and kilab's ratios to raw bm25s."""
    import bm25s
    import Stemmer

    from kilab.tools.retrieval.bm25 import BM25Index
    from kilab.tools.retrieval.types import Chunk
    from kilab.tools.settings import IndexSettings

    path = LARGE if LARGE.exists() else SMALL
    if path is SMALL:
        print(f"{LARGE} is absent: measuring the smaller {SMALL.name}")
    rows = _rows(path)
    chunks = [
        Chunk(id=str(i), text=r.get("text", ""), title=r.get("title", ""))
        for i, r in enumerate(rows)
    ]
    texts = [f"{c.title}\n{c.text}" if c.title else c.text for c in chunks]
    stemmer = Stemmer.Stemmer("norwegian")

    def raw() -> Any:
        tokens = bm25s.tokenize(
            texts, stopwords="no", stemmer=stemmer.stemWords, show_progress=False
        )
        model = bm25s.BM25()
        model.index(tokens, show_progress=False)
        return model

    engines: dict[str, Callable[[], Any]] = {
        "raw bm25s (stemmed words)": raw,
        "kilab, 4-grams (default)": lambda: BM25Index.build(chunks, IndexSettings()),
        "kilab, stemmed words": lambda: BM25Index.build(chunks, IndexSettings(terms="words")),
    }
    seconds: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(REPEATS):  # interleaved, so a busy moment hits every engine alike
        for name, build in engines.items():
            started = time.perf_counter()
            build()
            seconds[name].append(time.perf_counter() - started)
    peaks: dict[str, float] = {}
    for name, build in engines.items():
        tracemalloc.start()
        built = build()
        peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        del built
    print(f"{len(chunks)} sections of {path.name}; load average {os.getloadavg()[0]:.2f}")
    print(f"{'engine':<28} {'build s (median, min–max)':>27} {'peak MiB':>9}")
    for name in engines:
        times = seconds[name]
        print(
            f"{name:<28} {statistics.median(times):>12.2f} "
            f"({min(times):.2f}–{max(times):.2f}) {peaks[name]:>9.1f}"
        )
    reference = "raw bm25s (stemmed words)"
    grams = "kilab, 4-grams (default)"
    time_ratio = statistics.median(seconds[grams]) / statistics.median(seconds[reference])
    memory_ratio = peaks[grams] / peaks[reference]
    print(
        f"target: 4-gram build ≤ 1.5 × bm25s's time → {time_ratio:.2f} × "
        f"({'met' if time_ratio <= 1.5 else 'NOT met'}); ≤ 1.5 × its memory → "
        f"{memory_ratio:.2f} × ({'met' if memory_ratio <= 1.5 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
