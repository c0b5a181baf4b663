"""The ``composer`` role: a briefing note with fixed headings from the passages found.

Offline it is the extractive note composer (``kilab.tools.notes``); on a model profile the model
writes the note from the passages, following the agent's prompt file.
"""

from __future__ import annotations

import asyncio
from typing import Any

from kilab.agents.role_settings import DrafterSettings
from kilab.graphs.context import AgentBinding, BuildContext
from kilab.graphs.nodes.convert import findings_of, usage_update
from kilab.graphs.nodes.params import ComposerSettings
from kilab.graphs.state import GraphState
from kilab.tools.citations import cited_ids
from kilab.tools.notes import NoteSettings, NoteSource, compose_note


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
