"""The optional judge metric: a language model scores each answer on a bokmål rubric.

It is pluggable: anything with ``ascore(question, answer, references, passages, samples=k)``
returning a score in 0..1 with its samples (``kilab.agents.llm.LLMJudge`` on any model profile)
can judge. With no judge profile configured the metric is skipped, and the run says so.
The k samples of a case are stored; their mean is the case's value and their spread is
reported as the judge's doubt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kilab.agents.types import JudgeScore
from kilab.core.errors import NotFoundError, suggesting
from kilab.evals.datasets import Case
from kilab.evals.metrics.base import Aggregate, Direction
from kilab.evals.records import CaseOutput
from kilab.graphs.project import Project
from kilab.tools.retrieval.types import Passage

JUDGE_DESCRIPTION = "a model's rubric score of the answer (0..1), mean of k samples"


class Judge(Protocol):
    """Scores one answer ``samples`` times; values in 0..1."""

    async def ascore(
        self,
        question: str,
        answer: str,
        references: Sequence[str],
        passages: Sequence[Passage] = (),
        *,
        samples: int = 1,
    ) -> JudgeScore: ...


@dataclass(frozen=True, slots=True)
class JudgeMetric:
    """The ``judge`` metric over any Judge; not applied to declined answers."""

    judge: Judge
    samples: int = 3
    name: str = "judge"
    direction: Direction = "higher"
    low: float = 0.0
    high: float | None = 1.0
    aggregate: Aggregate = "mean"
    pass_at: float | None = None
    description: str = JUDGE_DESCRIPTION
    unit: str = ""
    precision: int = 2

    async def ascore(self, case: Case, output: CaseOutput) -> list[float]:
        if output.declined or case.expect == "decline" or not output.answer.strip():
            return []
        cited = set(output.citations)
        passages = [p for p in output.passages if p["id"] in cited]
        verdict = await self.judge.ascore(
            case.question,
            output.answer,
            case.answers or case.key_points,
            passages,
            samples=self.samples,
        )
        return list(verdict.samples) or [verdict.score]


@dataclass(frozen=True, slots=True)
class StoredJudge:
    """The judge's description for summarising stored values (no model needed)."""

    name: str = "judge"
    direction: Direction = "higher"
    low: float = 0.0
    high: float | None = 1.0
    aggregate: Aggregate = "mean"
    pass_at: float | None = None
    description: str = JUDGE_DESCRIPTION
    unit: str = ""
    precision: int = 2

    def score(self, case: Case, output: CaseOutput) -> float | None:
        return None  # only read back from the store


def judge_for(
    project: Project,
    profile: str | None,
    *,
    samples: int = 3,
    use_cache: bool = True,
    cache_dir: Path | None = None,
) -> JudgeMetric | None:
    """The judge metric on a named profile, or on the project's ``judge`` agent's profile.

    Returns None when neither is configured (or the profile is ``offline``, which cannot
    judge): the caller skips the metric and says so.
    """
    if profile is None:
        judges = [a for a in project.agents.values() if a.spec.role == "judge"]
        if not judges:
            return None
        profile = judges[0].spec.model
    if profile == "offline":
        return None
    known = project.models.spec.profiles if project.models else {}
    if profile not in known:
        message = f"no model profile {profile!r} for the judge"
        raise NotFoundError(suggesting(message, profile, known, listed=""))
    from kilab.agents.llm import LLMJudge

    if cache_dir is None:
        return JudgeMetric(LLMJudge(known[profile], use_cache=use_cache), samples)
    judge = LLMJudge(known[profile], use_cache=use_cache, cache_dir=cache_dir)
    return JudgeMetric(judge, samples)
