"""The reviewer role: checks a draft and approves it, sends it back, or rejects it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from kilab.agents.types import Draft, Review, ReviewFinding
from kilab.tools.grounding import check_answer
from kilab.tools.retrieval.types import Passage

RuleName = Literal["citations", "grounding", "personal-data"]
ALL_RULES: tuple[RuleName, ...] = ("citations", "grounding", "personal-data")


class ReviewerSettings(BaseModel):
    """Settings of the reviewer role."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: list[RuleName] = Field(
        default_factory=lambda: list(ALL_RULES),
        description="Rule-based checks to apply.",
    )
    min_support: float = Field(
        0.6, ge=0, le=1, description="Share of a sentence's terms its cited passages must hold."
    )


class Reviewer(Protocol):
    """Judges a draft against the passages it was written from."""

    def review(self, question: str, draft: Draft, passages: Sequence[Passage]) -> Review: ...


def rule_findings(
    settings: ReviewerSettings, draft: Draft, passages: Sequence[Passage]
) -> list[ReviewFinding]:
    """The findings of the rule-based checks; shared by the offline and the model reviewer."""
    if draft.declined:
        return []
    findings: list[ReviewFinding] = []
    texts = {p["id"]: p["text"] for p in passages}
    for result in check_answer(draft.text, texts):
        sentence = result.sentence.text
        if "citations" in settings.rules:
            if not result.sentence.ids:
                findings.append(
                    ReviewFinding("citations", "error", "sentence cites no source", sentence)
                )
            for unknown in result.unknown_ids:
                findings.append(
                    ReviewFinding(
                        "citations",
                        "error",
                        f"cites {unknown!r}, which was not retrieved",
                        sentence,
                    )
                )
        if (
            "grounding" in settings.rules
            and result.sentence.ids
            and result.support < settings.min_support
        ):
            findings.append(
                ReviewFinding(
                    "grounding",
                    "error",
                    f"only {result.support:.0%} of the sentence is found in its sources",
                    sentence,
                )
            )
        if "personal-data" in settings.rules:
            from kilab.core.pii import find_pii

            for match in find_pii(sentence):
                findings.append(
                    ReviewFinding("personal-data", "error", f"contains a {match.kind}", sentence)
                )
    return findings


class RuleReviewer:
    """The offline reviewer: approves a draft only when every rule passes."""

    def __init__(self, settings: ReviewerSettings) -> None:
        self.settings = settings

    def review(self, question: str, draft: Draft, passages: Sequence[Passage]) -> Review:
        findings = rule_findings(self.settings, draft, passages)
        return Review("revise" if findings else "approved", tuple(findings))
