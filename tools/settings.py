"""Settings of corpora and indexes, shared by the corpus config kind and the retrieval tools."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ChunkingSettings(BaseModel):
    """How documents are cut into passages."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    strategy: Literal["structure", "fixed", "none"] = "structure"
    max_chars: int = Field(2000, gt=100)
    overlap_chars: int = Field(200, ge=0)


class IndexSettings(BaseModel):
    """How passages are indexed for BM25."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stemmer: Literal["norwegian"] | None = "norwegian"
    stopwords: Literal["norwegian"] | None = "norwegian"
    k1: float = Field(1.5, gt=0)
    b: float = Field(0.75, ge=0, le=1)
