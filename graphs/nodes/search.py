"""The ``search`` tool node: retrieve passages for the question from a corpus."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from kilab.agents.types import ModelUsage
from kilab.core.telemetry import Document, retrieval_span
from kilab.graphs.context import BuildContext
from kilab.graphs.inline import cpu_only
from kilab.graphs.nodes.convert import usage_update
from kilab.graphs.nodes.params import SearchParams
from kilab.graphs.setup import with_set_up
from kilab.graphs.state import GraphState, QuarantinedPassage
from kilab.tools.checks.injection import EXCERPT_CHARS, screen_text
from kilab.tools.retrieval.derived import per_retriever
from kilab.tools.retrieval.types import Passage, Retriever
from kilab.tools.termstats import TermStatistics
from kilab.tools.text import terms

if TYPE_CHECKING:
    from kilab.agents.screening import ModelInjectionClassifier


# The same passages come back case after case; screening them once per text is enough.
_screen = lru_cache(maxsize=4096)(screen_text)


def _quarantined(found: Passage, reasons: list[str], excerpt: str) -> QuarantinedPassage:
    return QuarantinedPassage(**found, reasons=reasons, excerpt=excerpt)


@per_retriever
def _statistics(retriever: Retriever) -> TermStatistics:
    """Term statistics of a retriever's corpus."""
    return TermStatistics(c.text for c in retriever.chunks)


def _classifier(context: BuildContext, profile: str | None) -> ModelInjectionClassifier | None:
    if profile is None:
        return None
    from kilab.agents.screening import ModelInjectionClassifier

    return ModelInjectionClassifier(
        context.profile(profile), use_cache=context.use_cache, cache_dir=context.cache_dir
    )


def build_search(context: BuildContext, params: SearchParams) -> Callable[[GraphState], Any]:
    """Retrieve the best passages for the question from a corpus."""
    from kilab.tools.retrieval import open_retriever

    retriever = open_retriever(context.corpus_source(params.corpus), params.mode, context.cache_dir)
    statistics = _statistics(retriever)
    classifier = _classifier(context, params.screen_model) if params.screen else None

    def search(state: GraphState) -> GraphState:
        question = state["question"]
        with retrieval_span(
            params.corpus,
            question,
            {
                "kilab.corpus": params.corpus,
                "kilab.search.k": params.k,
                "kilab.search.mode": params.mode,
            },
        ) as span:
            hits = retriever.search(question, params.k, params.filters or None)
            if span.recording:
                span.set(
                    {"kilab.search.hits": len(hits), "kilab.search.ids": [h.chunk.id for h in hits]}
                )
                span.set_documents(
                    [
                        Document(h.chunk.id, float(h.score), h.chunk.text, h.chunk.title)
                        for h in hits
                    ]
                )
        wanted = terms(question)
        found = [
            h.passage(statistics.coverage(wanted, f"{h.chunk.title} {h.chunk.text}")) for h in hits
        ]
        if not params.screen:
            return {"passages": found}
        # Documents are data, never instructions: a passage that tries to instruct the model
        # never reaches the drafter, and is kept aside so that runs report it.
        quarantined: list[QuarantinedPassage] = []
        kept: list[Passage] = []
        for candidate in found:
            verdict = _screen(candidate["text"])
            if verdict is None:
                kept.append(candidate)
            else:
                quarantined.append(
                    _quarantined(candidate, list(verdict.pattern_ids), verdict.excerpt)
                )
        usage = ModelUsage()
        if classifier is not None:
            # The second line: a model reads what the patterns let through.
            for candidate in list(kept):
                model_verdict, cost = classifier.classify(candidate)
                usage += cost
                if model_verdict.suspicious:
                    kept.remove(candidate)
                    excerpt = (model_verdict.reason or candidate["text"])[:EXCERPT_CHARS]
                    quarantined.append(_quarantined(candidate, ["model"], excerpt))
        return {
            "passages": kept,
            "quarantined": [*state.get("quarantined", []), *quarantined],
            **usage_update(usage),
        }

    # Without a model screen the node only computes: it may run inline on the event loop.
    def set_up() -> None:
        retriever.warm_up()
        if classifier is not None:
            classifier.set_up()

    with_set_up(search, set_up)
    return search if classifier is not None else cpu_only(search)
