"""How well each offline decline signal tells the questions to decline from the answerable
ones, on the husleie pilot's dev split (where its thresholds were chosen) and on its test
split: ``python -m benchmarks.decline_signals``.

For every question it takes the passages the pilot hands its drafter (a run of the baseline,
and one of the bm25 variant for BM25's own scores) and computes what the drafter could
threshold: term coverage (the best share of the question's terms one of the passages holds,
``min_coverage``), source agreement (the largest share of the passages from one source,
``min_agreement``) and the top retrieval score. AUC is the chance that an answerable question
scores higher than one to decline (Mann–Whitney U over n₁·n₀, from scipy).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from scipy.stats import mannwhitneyu

from kilab.agents.drafter import DrafterSettings, source_agreement
from kilab.evals.harness import EvalOptions, run_eval
from kilab.evals.records import CaseResult
from kilab.evals.store import MemoryRunStore
from kilab.graphs.project import open_project
from kilab.tools.compose import coverage
from kilab.tools.retrieval.types import Passage
from kilab.tools.text import terms

PILOT = "husleie"
SHOWN = DrafterSettings().max_passages  # the passages the drafter looks at


def best_coverage(question: str, passages: Sequence[Passage]) -> float:
    wanted = set(terms(question))
    return max((coverage(wanted, p["text"]) for p in passages), default=0.0)


def top_score(question: str, passages: Sequence[Passage]) -> float:
    return max((p["score"] for p in passages), default=0.0)


def agreement(question: str, passages: Sequence[Passage]) -> float:
    return source_agreement(passages)


Signal = Callable[[str, Sequence[Passage]], float]
SIGNALS: dict[str, tuple[str, Signal]] = {
    "term coverage (hybrid)": ("baseline", best_coverage),
    "source agreement (hybrid)": ("baseline", agreement),
    "top fused score (hybrid)": ("baseline", top_score),
    "source agreement (bm25)": ("bm25", agreement),
    "top BM25 score (bm25)": ("bm25", top_score),
}


def auc(results: Sequence[CaseResult], signal: Signal) -> tuple[float, int, int]:
    """AUC of ``signal`` for answerable (positive) against to-decline (negative) cases."""
    values: dict[bool, list[float]] = {True: [], False: []}
    for result in results:
        shown = result.output.passages[:SHOWN]
        values[result.case.expect == "answer"].append(signal(result.case.question, shown))
    answer, decline = values[True], values[False]
    u = mannwhitneyu(answer, decline).statistic
    return float(u) / (len(answer) * len(decline)), len(answer), len(decline)


def main() -> None:
    project = open_project()
    runs = {}
    for split in ("dev", "test"):
        options = EvalOptions(variants=["baseline", "bm25"], split=split, use_cache=False)
        report = run_eval(project, PILOT, MemoryRunStore(), options)
        runs[split] = report.results
    print(f"{'signal':<28} {'dev AUC':>8} {'test AUC':>9}   cases (answer / decline)")
    for name, (variant, signal) in SIGNALS.items():
        cells, counts = [], []
        for split in ("dev", "test"):
            value, n_answer, n_decline = auc(
                [r for r in runs[split] if r.variant == variant], signal
            )
            cells.append(f"{value:.2f}")
            counts.append(f"{split} {n_answer}/{n_decline}")
        print(f"{name:<28} {cells[0]:>8} {cells[1]:>9}   {', '.join(counts)}")


if __name__ == "__main__":
    main()
