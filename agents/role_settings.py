"""Settings of the drafter and reviewer roles, apart from the roles themselves.

Validating a config needs only these models; the roles import the PII patterns, the
injection screen and the composer, which compiling a graph needs and validating does not.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kilab.tools.compose import FOCUS_WEIGHT


class DrafterSettings(BaseModel):
    """Settings of the drafter role (any model profile)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_sentences: int = Field(3, ge=1, le=20, description="Most sentences in an answer.")
    min_coverage: float = Field(
        0.2,
        ge=0,
        le=1,
        description="Offline: decline unless a passage holds this IDF-weighted share of the "
        "question's terms.",
    )
    min_agreement: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Offline: decline unless this share of the passages comes from one source "
        "(one law): a question the corpus answers finds its passages in one place, an "
        "off-topic one scatters them over many.",
    )
    focus_weight: float = Field(
        FOCUS_WEIGHT,
        ge=0,
        description="Offline: how much more a sentence counts when it states what the question "
        "asks for (a number, a deadline, a right or duty).",
    )
    max_passages: int = Field(5, ge=1, description="Most passages put before the drafter.")
    redact_personal_data: bool = Field(
        True, description="Offline: mask identity numbers, phones, e-mails and accounts it quotes."
    )
    max_passage_chars: int = Field(
        1500, ge=100, description="Model drafters: passages are cut to this many characters."
    )


RuleName = Literal["citations", "grounding", "personal-data", "contacts"]
ALL_RULES: tuple[RuleName, ...] = ("citations", "grounding", "personal-data", "contacts")
# A rule whose finding means the draft is not to be given out at all, not revised: a URL or
# contact detail that no cited source holds is what an obeyed injection leaves behind.
REJECTING_RULES: frozenset[str] = frozenset({"contacts"})


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
