"""The drafter and reviewer roles as graph nodes, on any model profile.

A role object may offer ``adraft``/``areview`` for real concurrency on the event loop;
otherwise its synchronous method runs in a worker thread.
"""

from __future__ import annotations

import asyncio
from typing import Any

from kilab.agents.drafter import Drafter, ExtractiveDrafter
from kilab.agents.reviewer import Reviewer, RuleReviewer
from kilab.agents.role_settings import DrafterSettings, ReviewerSettings
from kilab.agents.types import Draft, Review
from kilab.graphs.context import AgentBinding, BuildContext
from kilab.graphs.inline import cpu_only
from kilab.graphs.nodes.convert import findings_of, to_finding, usage_update
from kilab.graphs.setup import set_up_of
from kilab.graphs.state import GraphState
from kilab.tools.citations import cited_ids


class DraftNode:
    """Graph node around a drafter."""

    def __init__(self, drafter: Drafter) -> None:
        self.drafter = drafter

    def set_up(self) -> None:
        """The drafter's own set-up (a model client), if it has one."""
        if (set_up := set_up_of(self.drafter)) is not None:
            set_up()

    def invoke(self, state: GraphState) -> GraphState:
        return self._update(
            self.drafter.draft(state["question"], state.get("passages", []), findings_of(state))
        )

    async def ainvoke(self, state: GraphState) -> GraphState:
        adraft = getattr(self.drafter, "adraft", None)
        args = (state["question"], state.get("passages", []), findings_of(state))
        result = (
            await adraft(*args) if adraft else await asyncio.to_thread(self.drafter.draft, *args)
        )
        return self._update(result)

    @staticmethod
    def _update(result: Draft) -> GraphState:
        return {
            "draft": result.text,
            "declined": result.declined,
            "citations": [] if result.declined else cited_ids(result.text),
            **usage_update(result.usage),
        }


class ReviewNode:
    """Graph node around a reviewer; its verdict is the outcome that routes take."""

    def __init__(self, reviewer: Reviewer) -> None:
        self.reviewer = reviewer

    def set_up(self) -> None:
        """The reviewer's own set-up (a model client), if it has one."""
        if (set_up := set_up_of(self.reviewer)) is not None:
            set_up()

    def invoke(self, state: GraphState) -> GraphState:
        return self._update(state, self.reviewer.review(*self._args(state)))

    async def ainvoke(self, state: GraphState) -> GraphState:
        areview = getattr(self.reviewer, "areview", None)
        args = self._args(state)
        result = (
            await areview(*args)
            if areview
            else await asyncio.to_thread(self.reviewer.review, *args)
        )
        return self._update(state, result)

    @staticmethod
    def _args(state: GraphState) -> tuple[str, Draft, list[Any]]:
        draft = Draft(state.get("draft", ""), state.get("declined", False))
        return state["question"], draft, state.get("passages", [])

    @staticmethod
    def _update(state: GraphState, result: Review) -> GraphState:
        findings = [to_finding(f) for f in result.findings]
        return {
            "verdict": result.verdict,
            "outcome": result.verdict,
            "findings": findings,
            "feedback": [*state.get("feedback", []), *findings],
            **usage_update(result.usage),
        }


def build_drafter(
    context: BuildContext, agent: AgentBinding, settings: DrafterSettings
) -> DraftNode:
    """Write a cited answer from the retrieved passages, or decline."""
    if agent.profile.provider == "offline":
        return cpu_only(DraftNode(ExtractiveDrafter(settings)))
    from kilab.agents.llm import LLMDrafter

    return DraftNode(
        LLMDrafter(
            agent.profile,
            agent.prompt,
            settings,
            use_cache=context.use_cache,
            cache_dir=context.cache_dir,
        )
    )


def build_reviewer(
    context: BuildContext, agent: AgentBinding, settings: ReviewerSettings
) -> ReviewNode:
    """Check the draft: every citation resolves, every sentence is supported, no personal data."""
    if agent.profile.provider == "offline":
        return cpu_only(ReviewNode(RuleReviewer(settings)))
    from kilab.agents.llm import LLMReviewer

    return ReviewNode(
        LLMReviewer(
            agent.profile,
            agent.prompt,
            settings,
            use_cache=context.use_cache,
            cache_dir=context.cache_dir,
        )
    )
