"""The ``composer`` role: a briefing note with fixed headings from the passages found.

Offline it is the extractive note composer (``kilab.tools.notes``); on a model profile the model
writes the note from the passages, following the agent's prompt file.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kilab.agents.drafter import DrafterSettings
from kilab.graphs.context import AgentBinding, BuildContext
from kilab.graphs.nodes.convert import findings_of, usage_update
from kilab.graphs.registry import role
from kilab.graphs.state import GraphState
from kilab.tools.citations import cited_ids
from kilab.tools.notes import NoteSettings, NoteSource, compose_note


class ComposerSettings(BaseModel):
    """Settings of the ``composer`` role."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    background: int = Field(default=2, ge=1, le=10, description="Sentences under Bakgrunn.")
    points: int = Field(default=6, ge=1, le=20, description="Points under Hovedpunkter.")
    consequences: int = Field(default=3, ge=1, le=10, description="Points under Konsekvenser.")
    min_coverage: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="Decline below this coverage of the request.",
    )
    focus: float = Field(
        default=0.8,
        ge=0,
        le=1,
        description="Offline: quote only documents covering this share of the "
        "best document's coverage of the request.",
    )
    max_sources: int = Field(default=3, ge=1, le=20, description="Offline: most documents quoted.")
    max_passages: int = Field(default=6, ge=1, description="Most documents put before a model.")
    max_passage_chars: int = Field(
        default=4000, ge=200, description="Most characters of each document."
    )


class ComposerNode:
    """Graph node that writes the note into ``draft``."""

    def __init__(self, settings: ComposerSettings, drafter: Any = None) -> None:
        self.settings, self.drafter = settings, drafter

    def _offline(self, state: GraphState) -> GraphState:
        docs = [
            NoteSource(p["id"], p["title"], p["url"], p["text"]) for p in state.get("passages", [])
        ]
        s = self.settings
        text, declined = compose_note(
            state["question"],
            docs,
            NoteSettings(
                s.background, s.points, s.consequences, s.min_coverage, s.focus, s.max_sources
            ),
        )
        return {
            "draft": text,
            "declined": declined,
            "citations": [] if declined else cited_ids(text),
        }

    def invoke(self, state: GraphState) -> GraphState:
        if self.drafter is None:
            return self._offline(state)
        result = self.drafter.draft(
            state["question"], state.get("passages", []), findings_of(state)
        )
        return _drafted(result)

    async def ainvoke(self, state: GraphState) -> GraphState:
        if self.drafter is None:
            return await asyncio.to_thread(self._offline, state)
        result = await self.drafter.adraft(
            state["question"], state.get("passages", []), findings_of(state)
        )
        return _drafted(result)


def _drafted(result: Any) -> GraphState:
    return {
        "draft": result.text,
        "declined": result.declined,
        "citations": [] if result.declined else cited_ids(result.text),
        **usage_update(result.usage),
    }


@role("composer", ComposerSettings)
def build_composer(
    context: BuildContext, agent: AgentBinding, settings: ComposerSettings
) -> ComposerNode:
    """Write a briefing note (Bakgrunn, Hovedpunkter, Konsekvenser, Kilder), every claim cited."""
    if agent.profile.provider == "offline":
        return ComposerNode(settings)
    from kilab.agents.llm import LLMDrafter

    drafter = LLMDrafter(
        agent.profile,
        agent.prompt,
        DrafterSettings.model_validate(
            {
                "max_sentences": settings.background + settings.points + settings.consequences,
                "max_passages": settings.max_passages,
                "max_passage_chars": settings.max_passage_chars,
            }
        ),
        use_cache=context.use_cache,
        cache_dir=context.cache_dir,
    )
    return ComposerNode(settings, drafter)
