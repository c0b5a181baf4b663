"""``answer_correct``: is the answer right by the law? Asked of a model, or of the fact matcher.

Two judges give the same kind of verdict, a score in 0..1 that bands into correct / partly /
wrong (``label_of``), so that ``kilab judge calibrate`` can score either against people:

- the offline **fact matcher** (``fact_recall``): the share of a case's key facts stated;
- a **model** on any profile (``LLMCorrectnessJudge``): riktig 1, delvis 0.5, feil 0 on the
  bokmål rubric in the project's ``prompts/answer-correct.nb.md``, the mean of k samples,
  comparing the answer with the reference, the key facts and the cited law text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal, Protocol

from kilab.agents.types import JudgeScore
from kilab.core.errors import UserError
from kilab.evals.datasets import Case
from kilab.evals.metrics.facts import alternatives, fact_recall
from kilab.evals.metrics.judge import (
    SampledScore,
    cited_passages,
    judge_profile,
    model_profile,
    samples_of,
)
from kilab.evals.records import CaseOutput
from kilab.graphs.project import Project
from kilab.tools.retrieval.types import Passage

Label = Literal["correct", "partly", "wrong"]
LABELS: tuple[Label, ...] = ("correct", "partly", "wrong")
ANSWER_CORRECT = "answer_correct"
PROMPT_FILE = Path("prompts") / "answer-correct.nb.md"
# Score bands: a mean of k model samples, or a share of facts stated.
CORRECT_AT = 0.8
WRONG_AT = 0.2


def label_of(score: float) -> Label:
    """The band of a score: correct from 0.8, wrong to 0.2, partly between."""
    if score >= CORRECT_AT:
        return "correct"
    if score <= WRONG_AT:
        return "wrong"
    return "partly"


class CorrectnessJudge(Protocol):
    """Anything that scores how right an answer is (0..1) and says who it is."""

    @property
    def identity(self) -> str:
        """What the judge is, for calibration records: its kind, model and prompt."""
        ...

    async def score(self, case: Case, answer: str, passages: Sequence[Passage]) -> list[float]:
        """The judge's samples for one answer (one for a deterministic judge)."""
        ...


@lru_cache(maxsize=1)
def fact_matcher_version() -> str:
    """A digest of what the fact matcher's verdicts depend on: its code, the word lists it
    normalises with and the score bands, so that a calibration of another version of it no
    longer counts."""
    from kilab.evals.metrics import facts
    from kilab.evals.metrics.answer import NUMBER_WORDS
    from kilab.tools.text import NORWEGIAN_STOPWORDS

    sha = hashlib.sha256(Path(facts.__file__).read_bytes())
    sha.update(repr(sorted(NUMBER_WORDS.items())).encode())
    sha.update(repr(sorted(NORWEGIAN_STOPWORDS)).encode())
    sha.update(f"{CORRECT_AT}/{WRONG_AT}".encode())
    return sha.hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class FactMatcherJudge:
    """The offline fact matcher as a correctness judge (needs facts, or uses the answers)."""

    identity: str = "fact_recall"

    @property
    def version(self) -> str:
        """The matcher's version (``fact_matcher_version``): its calibration is of it."""
        return fact_matcher_version()

    async def score(self, case: Case, answer: str, passages: Sequence[Passage]) -> list[float]:
        facts = case.facts or [list(case.answers)]
        value = fact_recall(facts, answer)
        return [] if value is None else [value]


class ModelCorrectness(Protocol):
    """``kilab.agents.llm.LLMCorrectnessJudge`` or a test double."""

    async def ascore(
        self,
        question: str,
        answer: str,
        references: Sequence[str],
        facts: Sequence[str],
        passages: Sequence[Passage] = (),
        *,
        samples: int = 1,
    ) -> JudgeScore: ...


@dataclass(frozen=True, slots=True)
class ModelJudge:
    """A model's correctness verdicts, ``samples`` per answer."""

    model: ModelCorrectness
    identity: str
    samples: int = 3

    async def score(self, case: Case, answer: str, passages: Sequence[Passage]) -> list[float]:
        facts = [alternatives(f)[0] for f in case.facts]
        verdict = await self.model.ascore(
            case.question, answer, case.answers, facts, passages, samples=self.samples
        )
        return samples_of(verdict)


@dataclass(frozen=True, slots=True)
class CorrectnessMetric(SampledScore):
    """The ``answer_correct`` metric over a judge: answer cases with a reference only."""

    judge: CorrectnessJudge
    samples: int = 1
    name: str = field(default=ANSWER_CORRECT, kw_only=True)
    description: str = field(
        default="a model's verdict that the answer is right by the law (0..1), mean of k",
        kw_only=True,
    )

    async def ascore(self, case: Case, output: CaseOutput) -> list[float]:
        if case.expect != "answer" or not (case.answers or case.facts):
            return []
        if output.declined or not output.answer.strip():
            return [0.0]  # a decline of an answerable question states nothing right
        return await self.judge.score(case, output.answer, cited_passages(output))


def rubric(project: Project) -> tuple[str, str]:
    """The correctness rubric of the project and a short digest of it.

    Raises:
        UserError: The project has no ``prompts/answer-correct.nb.md``.
    """
    path = project.root / PROMPT_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise UserError(f"no correctness rubric at {path} (the judge's prompt file)") from None
    return text, hashlib.sha256(text.encode()).hexdigest()[:12]


def model_judge(
    project: Project,
    profile: str,
    *,
    samples: int = 3,
    use_cache: bool = True,
    cache_dir: Path | None = None,
) -> ModelJudge:
    """The correctness judge on a named model profile, with the project's rubric.

    Raises:
        NotFoundError: No such profile.
        UserError: The profile is ``offline`` (use the fact matcher) or the rubric is missing.
    """
    chosen = model_profile(project, profile, "correctness judge")
    if chosen.provider == "offline":
        raise UserError("the offline profile cannot judge; its judge is the fact matcher")
    from kilab.agents.llm import LLMCorrectnessJudge
    from kilab.agents.models import endpoint_of

    text, digest = rubric(project)
    model = LLMCorrectnessJudge(chosen, text, use_cache=use_cache, cache_dir=cache_dir)
    identity = (
        f"{ANSWER_CORRECT}:{chosen.provider}:{chosen.model}@{endpoint_of(chosen)}"
        f":prompt-{digest}:k{samples}"
    )
    return ModelJudge(model, identity, samples)


def correctness_for(
    project: Project,
    pilot: str,
    profile: str | None,
    *,
    samples: int = 3,
    use_cache: bool = True,
) -> CorrectnessMetric | None:
    """The ``answer_correct`` metric when the pilot scores it and a judge profile is given
    (``--judge``) or the project has a judge agent; None otherwise (the run says it skipped
    the metric)."""
    chosen = judge_profile(project, profile)
    if ANSWER_CORRECT not in project.pilot(pilot).metrics or chosen is None:
        return None
    judge = model_judge(project, chosen, samples=samples, use_cache=use_cache)
    return CorrectnessMetric(judge, samples=samples)
