"""Token counts and cost of model replies, from the profile's prices."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kilab.agents.profiles import ModelProfile
from kilab.agents.types import ModelUsage


def cost_of(profile: ModelProfile, input_tokens: int, output_tokens: int) -> float:
    """What a call costs at the profile's prices (per million input and output tokens)."""
    return (
        input_tokens * profile.price_input_per_mtok + output_tokens * profile.price_output_per_mtok
    ) / 1_000_000


def tokens_of(usage_metadata: Mapping[str, Any] | None) -> tuple[int, int]:
    """Input and output tokens from a LangChain ``usage_metadata`` (zeros when absent)."""
    if not usage_metadata:
        return 0, 0
    return int(usage_metadata.get("input_tokens", 0)), int(usage_metadata.get("output_tokens", 0))


def usage_of(
    profile: ModelProfile, input_tokens: int, output_tokens: int, *, cached: bool = False
) -> ModelUsage:
    """The usage of one call; a reply served from the cache costs nothing."""
    cost = 0.0 if cached else cost_of(profile, input_tokens, output_tokens)
    return ModelUsage(1, input_tokens, output_tokens, cost)
