"""Retrieval benchmark: quality of each search method, speed of kilab BM25 vs references.

Quality: recall@1/5/10 and MRR on NorQuAD validation (questions against the pool of its
passages) and on the husleie pilot's questions against the real-estate law sections, for
BM25 without stemming, BM25 with stemming, dense, and hybrid with three fusions. The husleie
defaults were tuned on husleie.jsonl, so husleie-holdout.jsonl (never tuned on) is measured
beside it.
Speed: build time, queries a second and peak memory of kilab BM25 against raw bm25s and
rank-bm25 on the 15,429 sections of current-laws-sections.jsonl.gz, as ratios.

Dense vectors are cached under ``$KILAB_CACHE`` (default ``.kilab/cache``): the first run
embeds about 1,400 passages (several minutes on two cores), later runs reuse them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.retrieval_quality import METHODS, SHARED, husleie_set, norquad_set
from benchmarks.retrieval_quality import evaluate as evaluate_quality
from benchmarks.retrieval_speed import run_speed
from kilab.tools.corpus import CorpusSource, load_chunks
from kilab.tools.retrieval import dense_available
from kilab.tools.retrieval.bm25 import BM25Index
from kilab.tools.retrieval.store import default_cache_dir
from kilab.tools.settings import IndexSettings

console = Console(highlight=False)


def quality() -> dict[str, dict[str, dict[str, float]]]:
    workdir = default_cache_dir() / "bench"
    candidates = (norquad_set(workdir), husleie_set(), husleie_set("husleie-holdout"))
    sets = [s for s in candidates if s is not None]
    results: dict[str, dict[str, dict[str, float]]] = {}
    for questions in sets:
        table = Table(title=f"Retrieval quality: {questions.name}, {len(questions.gold)} questions")
        for column in ("method", "recall@1", "recall@5", "recall@10", "MRR"):
            table.add_column(column, justify="left" if column == "method" else "right")
        results[questions.name] = {}
        for method in METHODS:
            if method.mode != "bm25" and not dense_available():
                console.print(f"skipping {method.name}: pip install 'kilab[dense]'")
                continue
            started = time.perf_counter()
            scores = evaluate_quality(questions, method, progress=_progress(method.name))
            results[questions.name][method.name] = scores
            table.add_row(
                method.name,
                *(f"{scores[m]:.3f}" for m in ("recall@1", "recall@5", "recall@10", "mrr")),
            )
            console.print(f"  {method.name}: {time.perf_counter() - started:.1f} s", style="dim")
        console.print(table)
    return results


def _progress(name: str):  # type: ignore[no-untyped-def]
    def report(done: int, total: int) -> None:
        if done == total or done % 160 == 0:
            console.print(f"  {name}: embedded {done}/{total} passages", style="dim")

    return report


def speed() -> dict[str, object]:
    corpus = SHARED / "lovdata" / "current-laws-sections.jsonl.gz"
    if not corpus.exists():
        console.print(f"skipping speed: {corpus} is missing (reads ../shared/data)")
        return {}
    queries = _queries()
    measured, extra = run_speed(corpus, queries)
    chunks = load_chunks(CorpusSource("laws", (corpus,)))
    started = time.perf_counter()
    BM25Index.build(chunks, IndexSettings())
    index_only = time.perf_counter() - started
    raw = next(m for m in measured if m.name == "raw bm25s")
    table = Table(
        title=f"BM25 speed on current-laws-sections ({int(extra['chunks'])} chunks, "
        f"{len(queries)} questions, k=10)"
    )
    for column in (
        "engine",
        "build s",
        "× bm25s",
        "queries/s",
        "query time × bm25s",
        "peak MiB",
        "× bm25s",
    ):
        table.add_column(column, justify="left" if column == "engine" else "right")
    for m in measured:
        table.add_row(
            m.name,
            f"{m.build_s:.2f}",
            f"{m.build_s / raw.build_s:.2f}",
            f"{m.qps:.0f}",
            f"{raw.qps / m.qps:.2f}",
            f"{m.peak_mib:.0f}",
            f"{m.peak_mib / raw.peak_mib:.2f}",
        )
    console.print(table)
    console.print(
        f"kilab build above includes reading, chunking and saving; analysis + "
        f"indexing alone: {index_only:.2f} s. Reload from disk (memory-mapped): "
        f"{extra['reload_s']:.2f} s; index on disk: {extra['index_mib']:.0f} MiB."
    )
    return {"engines": [vars(m) for m in measured], "index_only_s": index_only, **extra}


def _queries() -> list[str]:
    questions: list[str] = []
    husleie = Path(__file__).resolve().parents[1] / "configs" / "datasets" / "husleie.jsonl"
    norquad = SHARED / "norquad" / "validation.jsonl"
    for path in (husleie, norquad):
        if path.exists():
            questions += [
                json.loads(line)["question"] for line in path.open(encoding="utf-8") if line.strip()
            ]
    return questions or ["Hvor mye depositum kan utleier kreve?"]


def main() -> None:
    results = {"quality": quality(), "speed": speed()}
    out = default_cache_dir().parent / "bench" / "retrieval.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    console.print(f"results written to {out}")


if __name__ == "__main__":
    main()
