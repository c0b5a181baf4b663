"""The drafter role: writes a cited answer from retrieved passages, or declines."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Protocol

from kilab.agents.role_settings import DrafterSettings as DrafterSettings  # re-exported
from kilab.agents.types import Draft, ReviewFinding
from kilab.core.pii import redact
from kilab.tools.compose import DECLINE_MESSAGE, Source, compose
from kilab.tools.retrieval.types import Passage


def source_agreement(passages: Sequence[Passage]) -> float:
    """The largest share of the passages that come from one source (0 without passages).

    Word overlap cannot tell an off-topic question from an in-scope one when ordinary words
    are shared ("Hvordan lager jeg lapskaus?" shares "lage" with many laws), but where the
    matches lie can: the passages of a question a law answers come mostly from that law,
    while loose matches on common words fall anywhere in the corpus. It needs no corpus
    statistics and no retrieval scores, so it means the same under BM25, dense and hybrid
    search. A corpus whose passages all share one source always agrees (1.0).
    """
    if not passages:
        return 0.0
    counts = Counter(p.get("source", "") for p in passages)
    return max(counts.values()) / len(passages)


class Drafter(Protocol):
    """Writes an answer from passages; revises it from a reviewer's findings."""

    def draft(
        self,
        question: str,
        passages: Sequence[Passage],
        feedback: Sequence[ReviewFinding] = (),
    ) -> Draft: ...


class ExtractiveDrafter:
    """The offline drafter: quotes the best-matching sentences, each with its citation."""

    def __init__(self, settings: DrafterSettings) -> None:
        self.settings = settings

    def draft(
        self,
        question: str,
        passages: Sequence[Passage],
        feedback: Sequence[ReviewFinding] = (),
    ) -> Draft:
        shown = passages[: self.settings.max_passages]
        if source_agreement(shown) < self.settings.min_agreement:
            return Draft(DECLINE_MESSAGE, True)
        composition = compose(
            question,
            [Source(p["id"], p["text"], p.get("coverage")) for p in shown],
            max_sentences=self.settings.max_sentences,
            min_coverage=self.settings.min_coverage,
            exclude={f.sentence for f in feedback if f.sentence},
            focus_weight=self.settings.focus_weight,
        )
        text = composition.text
        if self.settings.redact_personal_data:
            text = redact(text)
        return Draft(text, composition.declined)
