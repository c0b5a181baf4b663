"""The reviewer role: checks a draft and approves it, sends it back, or rejects it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from kilab.agents.role_settings import REJECTING_RULES
from kilab.agents.role_settings import ReviewerSettings as ReviewerSettings  # re-exported
from kilab.agents.types import Draft, Review, ReviewFinding
from kilab.tools.checks.contacts import foreign_contacts
from kilab.tools.grounding import check_answer
from kilab.tools.retrieval.types import Passage


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
    checked = check_answer(draft.text, texts)
    for result in checked:
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
    if "contacts" in settings.rules:
        cited = {i for result in checked for i in result.sentence.ids if i in texts}
        for contact in foreign_contacts(draft.text, (texts[i] for i in sorted(cited))):
            where = next((r.sentence.text for r in checked if contact.text in r.sentence.text), "")
            findings.append(
                ReviewFinding(
                    "contacts",
                    "error",
                    f"the {contact.kind} {contact.text!r} is in none of the cited sources",
                    where,
                )
            )
    return findings


def rules_verdict(findings: Sequence[ReviewFinding]) -> Literal["approved", "revise", "reject"]:
    """What the rule findings alone decide: reject, revise, or nothing against approving."""
    if any(f.check in REJECTING_RULES for f in findings):
        return "reject"
    return "revise" if findings else "approved"


class RuleReviewer:
    """The offline reviewer: approves a draft only when every rule passes."""

    def __init__(self, settings: ReviewerSettings) -> None:
        self.settings = settings

    def review(self, question: str, draft: Draft, passages: Sequence[Passage]) -> Review:
        findings = rule_findings(self.settings, draft, passages)
        return Review(rules_verdict(findings), tuple(findings))
