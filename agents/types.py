"""What the roles hand back to the graph: drafts, verdicts, findings and usage."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Verdict = Literal["approved", "revise", "reject"]
Severity = Literal["info", "warning", "error"]


@dataclass(frozen=True, slots=True)
class ModelUsage:
    """Tokens and cost of the model calls behind one step."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0

    def __add__(self, other: ModelUsage) -> ModelUsage:
        return ModelUsage(
            self.calls + other.calls,
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cost + other.cost,
        )


@dataclass(frozen=True, slots=True)
class ReviewFinding:
    """One problem a reviewer found in a draft."""

    check: str
    severity: Severity
    message: str
    sentence: str = ""


@dataclass(frozen=True, slots=True)
class Draft:
    """A drafted answer with inline citations, or a decline."""

    text: str
    declined: bool
    usage: ModelUsage = field(default_factory=ModelUsage)


@dataclass(frozen=True, slots=True)
class Review:
    """A reviewer's verdict on a draft and the findings behind it."""

    verdict: Verdict
    findings: tuple[ReviewFinding, ...] = ()
    usage: ModelUsage = field(default_factory=ModelUsage)


@dataclass(frozen=True, slots=True)
class JudgeScore:
    """A model judge's score of one answer, over one or more samples.

    Attributes:
        score: Mean of the samples, 0 (1 on the rubric) to 1 (5 on the rubric).
        samples: Each sample's normalised score.
        spread: Population standard deviation of the samples (0 for one sample).
        reasons: Each sample's short reason.
        usage: Tokens and cost of every sample.
    """

    score: float
    samples: tuple[float, ...]
    spread: float
    reasons: tuple[str, ...] = ()
    usage: ModelUsage = field(default_factory=ModelUsage)
