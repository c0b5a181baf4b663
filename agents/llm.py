"""The model-backed roles: drafter, reviewer and judge, on any profile but ``offline``."""

from __future__ import annotations

import asyncio
import re
import statistics
from collections.abc import Sequence
from pathlib import Path

from kilab.agents.client import ModelClient
from kilab.agents.drafter import DrafterSettings
from kilab.agents.messages import (
    DECLINE_MARKER,
    correctness_messages,
    draft_messages,
    judge_messages,
    review_messages,
)
from kilab.agents.profiles import ModelProfile
from kilab.agents.reviewer import ReviewerSettings, rule_findings, rules_verdict
from kilab.agents.structured import CorrectnessModel, JudgeModel, VerdictModel
from kilab.agents.types import (
    Draft,
    JudgeScore,
    ModelUsage,
    Review,
    ReviewFinding,
    Severity,
)
from kilab.tools.compose import DECLINE_MESSAGE
from kilab.tools.retrieval.types import Passage

# Sampling the judge several times only means something with some randomness.
JUDGE_SAMPLE_TEMPERATURE = 0.7
_DECLINES = re.compile(rf"{DECLINE_MARKER}|^\s*jeg kan ikke svare", re.IGNORECASE)


def sample_params(profile: ModelProfile, index: int, samples: int) -> dict[str, float | int]:
    """Call parameters of a judge's sample ``index`` of ``samples``: one sample as the profile
    says; several at a temperature that lets them differ, each cached on its own."""
    if samples == 1:
        return {}
    return {"temperature": max(profile.temperature, JUDGE_SAMPLE_TEMPERATURE), "sample": index}


def _draft_of(text: str, usage: ModelUsage) -> Draft:
    text = text.strip()
    if not text or _DECLINES.search(text):
        return Draft(DECLINE_MESSAGE, True, usage)
    return Draft(text, False, usage)


class LLMDrafter:
    """Writes a cited answer with a chat model, or declines when the passages fall short."""

    def __init__(
        self,
        profile: ModelProfile,
        system_prompt: str,
        settings: DrafterSettings,
        *,
        use_cache: bool = True,
        cache_dir: Path | None = None,
        client: ModelClient | None = None,
    ) -> None:
        self.settings = settings
        self.system_prompt = system_prompt
        self.client = client or ModelClient(profile, use_cache=use_cache, cache_dir=cache_dir)

    def set_up(self) -> None:
        """Start the model client before the first question."""
        self.client.set_up()

    def _messages(
        self, question: str, passages: Sequence[Passage], feedback: Sequence[ReviewFinding]
    ) -> list:  # type: ignore[type-arg]
        return draft_messages(
            self.system_prompt,
            question,
            passages[: self.settings.max_passages],
            feedback,
            max_sentences=self.settings.max_sentences,
            max_chars=self.settings.max_passage_chars,
        )

    def draft(
        self,
        question: str,
        passages: Sequence[Passage],
        feedback: Sequence[ReviewFinding] = (),
    ) -> Draft:
        """Draft an answer; without passages it declines without calling the model.

        Raises:
            kilab.core.errors.ModelError: The model failed after its retries.
        """
        if not passages:
            return Draft(DECLINE_MESSAGE, True)
        reply = self.client.complete(self._messages(question, passages, feedback))
        return _draft_of(reply.text, reply.usage)

    async def adraft(
        self,
        question: str,
        passages: Sequence[Passage],
        feedback: Sequence[ReviewFinding] = (),
    ) -> Draft:
        """``draft`` on the event loop."""
        if not passages:
            return Draft(DECLINE_MESSAGE, True)
        reply = await self.client.acomplete(self._messages(question, passages, feedback))
        return _draft_of(reply.text, reply.usage)


class LLMReviewer:
    """A model's verdict, bounded by the rule checks: a draft that breaks a rule is never
    approved, whatever the model says."""

    def __init__(
        self,
        profile: ModelProfile,
        system_prompt: str,
        settings: ReviewerSettings,
        *,
        use_cache: bool = True,
        cache_dir: Path | None = None,
        client: ModelClient | None = None,
    ) -> None:
        self.settings = settings
        self.system_prompt = system_prompt
        self.client = client or ModelClient(profile, use_cache=use_cache, cache_dir=cache_dir)

    def set_up(self) -> None:
        """Start the model client before the first question."""
        self.client.set_up()

    def _combined(
        self, rules: list[ReviewFinding], model: VerdictModel, usage: ModelUsage
    ) -> Review:
        severity: Severity = "error" if model.verdict == "reject" else "warning"
        found = [ReviewFinding("model", severity, f.message, f.sentence) for f in model.findings]
        if model.verdict == "reject" or rules_verdict(rules) == "reject":
            verdict = "reject"
        elif rules or model.verdict == "revise":
            verdict = "revise"
        else:
            verdict = "approved"
        return Review(verdict, (*rules, *found), usage)  # type: ignore[arg-type]

    def review(self, question: str, draft: Draft, passages: Sequence[Passage]) -> Review:
        """Review a draft; a decline is approved without calling the model.

        Raises:
            kilab.core.errors.ModelError: The model failed after its retries or never parsed.
        """
        if draft.declined:
            return Review("approved")
        rules = rule_findings(self.settings, draft, passages)
        verdict, usage = self.client.structured(
            review_messages(self.system_prompt, question, draft.text, passages), VerdictModel
        )
        return self._combined(rules, verdict, usage)

    async def areview(self, question: str, draft: Draft, passages: Sequence[Passage]) -> Review:
        """``review`` on the event loop."""
        if draft.declined:
            return Review("approved")
        rules = rule_findings(self.settings, draft, passages)
        verdict, usage = await self.client.astructured(
            review_messages(self.system_prompt, question, draft.text, passages), VerdictModel
        )
        return self._combined(rules, verdict, usage)


def _score(samples: Sequence[JudgeModel], usage: ModelUsage) -> JudgeScore:
    normalised = tuple((s.score - 1) / 4 for s in samples)
    return JudgeScore(
        score=statistics.fmean(normalised),
        samples=normalised,
        spread=statistics.pstdev(normalised) if len(normalised) > 1 else 0.0,
        reasons=tuple(s.reason for s in samples),
        usage=usage,
    )


class LLMJudge:
    """Scores an answer against reference answers and passages on a bokmål 1–5 rubric."""

    def __init__(
        self,
        profile: ModelProfile,
        *,
        use_cache: bool = True,
        cache_dir: Path | None = None,
        client: ModelClient | None = None,
    ) -> None:
        self.profile = profile
        self.client = client or ModelClient(profile, use_cache=use_cache, cache_dir=cache_dir)

    def set_up(self) -> None:
        """Start the model client before the first question."""
        self.client.set_up()

    def _params(self, index: int, samples: int) -> dict[str, float | int]:
        return sample_params(self.profile, index, samples)

    def score(
        self,
        question: str,
        answer: str,
        references: Sequence[str],
        passages: Sequence[Passage] = (),
        *,
        samples: int = 1,
    ) -> JudgeScore:
        """Score one answer, ``samples`` times; the mean is the score, the spread its doubt.

        Raises:
            kilab.core.errors.ModelError: A sample failed after its retries or never parsed.
        """
        if samples < 1:
            raise ValueError("samples must be at least 1")
        messages = judge_messages(question, answer, references, passages)
        results, usage = [], ModelUsage()
        for index in range(samples):
            result, used = self.client.structured(
                messages, JudgeModel, **self._params(index, samples)
            )
            results.append(result)
            usage += used
        return _score(results, usage)

    async def ascore(
        self,
        question: str,
        answer: str,
        references: Sequence[str],
        passages: Sequence[Passage] = (),
        *,
        samples: int = 1,
    ) -> JudgeScore:
        """``score`` on the event loop; the samples run concurrently."""
        if samples < 1:
            raise ValueError("samples must be at least 1")
        messages = judge_messages(question, answer, references, passages)
        done = await asyncio.gather(
            *(
                self.client.astructured(messages, JudgeModel, **self._params(index, samples))
                for index in range(samples)
            )
        )
        usage = sum((used for _, used in done), ModelUsage())
        return _score([result for result, _ in done], usage)


# A verdict as a score: the mean of k samples is the case's value.
CORRECTNESS_SCORES = {"riktig": 1.0, "delvis": 0.5, "feil": 0.0}


class LLMCorrectnessJudge:
    """Is an answer right by the law? A model compares it with the reference, the key facts
    and the cited law text, on a bokmål rubric (riktig / delvis / feil), ``samples`` times.

    Args:
        profile: The model profile to ask.
        rubric: The system prompt (the project's ``prompts/answer-correct.nb.md``).
    """

    def __init__(
        self,
        profile: ModelProfile,
        rubric: str,
        *,
        use_cache: bool = True,
        cache_dir: Path | None = None,
        client: ModelClient | None = None,
    ) -> None:
        self.profile = profile
        self.rubric = rubric
        self.client = client or ModelClient(profile, use_cache=use_cache, cache_dir=cache_dir)

    def _params(self, index: int, samples: int) -> dict[str, float | int]:
        return sample_params(self.profile, index, samples)

    async def ascore(
        self,
        question: str,
        answer: str,
        references: Sequence[str],
        facts: Sequence[str],
        passages: Sequence[Passage] = (),
        *,
        samples: int = 1,
    ) -> JudgeScore:
        """The samples' mean (riktig 1, delvis 0.5, feil 0), their spread and reasons.

        Raises:
            kilab.core.errors.ModelError: A sample failed after its retries or never parsed.
        """
        if samples < 1:
            raise ValueError("samples must be at least 1")
        messages = correctness_messages(self.rubric, question, answer, references, facts, passages)
        done = await asyncio.gather(
            *(
                self.client.astructured(messages, CorrectnessModel, **self._params(i, samples))
                for i in range(samples)
            )
        )
        values = tuple(CORRECTNESS_SCORES[result.verdict] for result, _ in done)
        return JudgeScore(
            score=statistics.fmean(values),
            samples=values,
            spread=statistics.pstdev(values) if len(values) > 1 else 0.0,
            reasons=tuple(result.reason for result, _ in done),
            usage=sum((used for _, used in done), ModelUsage()),
        )
