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

from kilab.agents.profiles import ModelProfile
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


@dataclass(frozen=True, slots=True, kw_only=True)
class SampledScore:
    """How a metric that a model's samples score describes itself (0..1, higher is better,
    the mean of k): the judge's, ``answer_correct``'s, and either read back from the store.
    Its fields are keyword-only, so that a metric built on it takes its judge first."""

    name: str = "judge"
    direction: Direction = "higher"
    low: float = 0.0
    high: float | None = 1.0
    aggregate: Aggregate = "mean"
    pass_at: float | None = None
    description: str = JUDGE_DESCRIPTION
    unit: str = ""
    precision: int = 2


def cited_passages(output: CaseOutput) -> list[Passage]:
    """The passages the answer cites, which a judge reads beside it."""
    cited = set(output.citations)
    return [p for p in output.passages if p["id"] in cited]


def samples_of(verdict: JudgeScore) -> list[float]:
    """A verdict's samples (its score alone when it kept none)."""
    return list(verdict.samples) or [verdict.score]


@dataclass(frozen=True, slots=True)
class JudgeMetric(SampledScore):
    """The ``judge`` metric over any Judge; not applied to declined answers."""

    judge: Judge
    samples: int = 3

    async def ascore(self, case: Case, output: CaseOutput) -> list[float]:
        if output.declined or case.expect == "decline" or not output.answer.strip():
            return []
        verdict = await self.judge.ascore(
            case.question,
            output.answer,
            case.answers or case.key_points,
            cited_passages(output),
            samples=self.samples,
        )
        return samples_of(verdict)


@dataclass(frozen=True, slots=True)
class StoredJudge(SampledScore):
    """The judge's description for summarising stored values (no model needed)."""

    def score(self, case: Case, output: CaseOutput) -> float | None:
        return None  # only read back from the store


def judge_profile(project: Project, profile: str | None) -> str | None:
    """The profile a model judge runs on: the one named (``--judge``), else the project's
    ``judge`` agent's; None when neither is configured or it is ``offline`` (which cannot
    judge), and the caller skips the metric and says so."""
    if profile is None:
        judges = [a for a in project.agents.values() if a.spec.role == "judge"]
        if not judges:
            return None
        profile = judges[0].spec.model
    return None if profile == "offline" else profile


def model_profile(project: Project, profile: str, judge: str = "judge") -> ModelProfile:
    """The project's model profile of this name, for ``judge``.

    Raises:
        NotFoundError: No such profile (with the nearest names).
    """
    known = project.models.spec.profiles if project.models else {}
    if profile not in known:
        message = f"no model profile {profile!r} for the {judge}"
        raise NotFoundError(suggesting(message, profile, known, listed=""))
    return known[profile]


def judge_for(
    project: Project,
    profile: str | None,
    *,
    samples: int = 3,
    use_cache: bool = True,
    cache_dir: Path | None = None,
) -> JudgeMetric | None:
    """The judge metric on a named profile, or on the project's ``judge`` agent's profile
    (``judge_profile``); None when neither is configured."""
    chosen = judge_profile(project, profile)
    if chosen is None:
        return None
    from kilab.agents.llm import LLMJudge

    spec = model_profile(project, chosen)
    if cache_dir is None:
        return JudgeMetric(LLMJudge(spec, use_cache=use_cache), samples)
    return JudgeMetric(LLMJudge(spec, use_cache=use_cache, cache_dir=cache_dir), samples)
