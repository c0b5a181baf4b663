"""Parameters of the built-in node kinds: what ``with:`` and ``settings:`` in YAML may say.

They live apart from the node implementations so that validating configs imports pydantic
models only; the nodes (LangGraph, LangChain, the retrievers) load when a graph compiles.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from kilab.graphs.registry import RefTo
from kilab.tools.retrieval.types import SearchMode


class SearchParams(BaseModel):
    """Parameters of the ``search`` node."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    corpus: Annotated[str, RefTo("corpus")] = Field(description="Name of a corpus config.")
    k: int = Field(5, ge=1, le=100, description="How many passages to retrieve.")
    mode: SearchMode = Field("auto", description="bm25, dense, hybrid, or auto (best installed).")
    filters: dict[str, str] = Field(default_factory=dict, description="Metadata field → value.")
    screen: bool = Field(
        True, description="Quarantine passages that carry instructions aimed at the model."
    )
    screen_model: Annotated[str | None, RefTo("profile")] = Field(
        None,
        description="Also ask this model profile about passages the patterns let through.",
    )


class ResearcherSettings(BaseModel):
    """Settings of the ``researcher`` role."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    corpus: Annotated[str, RefTo("corpus")] = Field(description="Corpus its tools search.")
    search_mode: SearchMode = Field(default="bm25", description="bm25, dense, hybrid or auto.")
    k: int = Field(default=8, ge=1, le=50, description="Passages per search.")
    max_steps: int = Field(default=6, ge=1, le=50, description="Most model turns in one run.")
    token_budget: int = Field(default=20_000, ge=1, description="Most model tokens in one run.")
    mode: Literal["tools", "router"] = Field(
        default="tools",
        description="tools: native tool calls; router: a structured choice.",
    )
    fetch_top: int = Field(
        default=2, ge=0, le=10, description="Offline: documents the planner fetches."
    )
    max_documents: int = Field(default=6, ge=1, le=50, description="Most documents handed on.")
    document_chars: int = Field(
        default=6000, ge=200, description="Most characters of each document."
    )


class FetchParams(BaseModel):
    """Parameters of the ``fetch`` node (agents call ``fetch`` with an id instead)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    corpus: Annotated[str, RefTo("corpus")] = Field(description="Name of a corpus config.")
    ids: list[str] = Field(min_length=1, description="Document ids to add to the passages.")


class ChangesParams(BaseModel):
    """Parameters of the ``changes`` node: documents published between two dates."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    corpus: Annotated[str, RefTo("corpus")] = Field(description="Name of a corpus config.")
    since: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    until: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    filters: dict[str, str] = Field(default_factory=dict)
    k: int = Field(default=10, ge=1, le=100)


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


class HumanParams(BaseModel):
    """Parameters of the ``human-approval`` node."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: str = Field(
        default="Godkjenn utkastet før det sendes ut.", description="Shown to the reviewer."
    )
    eval_policy: Literal["approve", "reject", "revise-once"] = Field(
        default="approve",
        description="Evaluations: approve, reject, or revise once, then approve.",
    )
    eval_comment: str = Field(
        default="Gjør notatet kortere og tydeligere.",
        description="The scripted comment.",
    )
