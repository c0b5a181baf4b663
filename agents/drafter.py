"""The drafter role: writes a cited answer from retrieved passages, or declines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from kilab.agents.role_settings import DrafterSettings as DrafterSettings  # re-exported
from kilab.agents.types import Draft, ReviewFinding
from kilab.core.pii import redact
from kilab.tools.compose import Source, compose
from kilab.tools.retrieval.types import Passage


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
        composition = compose(
            question,
            [
                Source(p["id"], p["text"], p.get("coverage"))
                for p in passages[: self.settings.max_passages]
            ],
            max_sentences=self.settings.max_sentences,
            min_coverage=self.settings.min_coverage,
            exclude={f.sentence for f in feedback if f.sentence},
            focus_weight=self.settings.focus_weight,
        )
        text = composition.text
        if self.settings.redact_personal_data:
            text = redact(text)
        return Draft(text, composition.declined)
