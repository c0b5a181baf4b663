"""Settings of corpora and indexes, shared by the corpus config kind and the retrieval tools."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ChunkingSettings(BaseModel):
    """How documents are cut into passages."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    strategy: Literal["structure", "fixed", "none"] = "structure"
    max_chars: int = Field(default=2000, gt=100)
    overlap_chars: int = Field(default=200, ge=0)
    min_chars: int = Field(
        default=200, ge=0, description="A section shorter than this is joined with the next one."
    )


class IndexSettings(BaseModel):
    """How passages are indexed (BM25) and how BM25 and dense results are fused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Character 4-grams beat stemmed words on both benchmark sets (benchmarks/bench_retrieval.py):
    # recall@5 0.45 → 0.63 on the husleie law questions, 0.981 → 0.985 on NorQuAD.
    terms: Literal["words", "chargrams"] = Field(
        default="chargrams",
        description=(
            "BM25 terms: words (stemmed if a stemmer is set), or the character 4-grams of "
            "each word, which match inflections and the parts of compound words."
        ),
    )
    stemmer: Literal["norwegian"] | None = "norwegian"
    stopwords: Literal["norwegian"] | None = "norwegian"
    k1: float = Field(default=1.5, gt=0)
    b: float = Field(default=0.75, ge=0, le=1)
    dense_center: bool = Field(
        default=True, description="Centre passage and question vectors on the corpus mean."
    )
    dense_units: bool = Field(
        default=True,
        description=(
            "Also embed windows of a long chunk's paragraphs (titled) and score the chunk by "
            "its best vector."
        ),
    )
    # Defaults measured in benchmarks/bench_retrieval.py: with character 4-gram BM25 and
    # paragraph vectors, z-scored scores (dense 0.7) rank best on both question sets; dense
    # is much stronger than BM25 on plainly worded law questions, so it weighs more.
    fusion: Literal["rrf", "zscore", "minmax"] = Field(
        default="zscore", description="How hybrid search combines BM25 and dense scores."
    )
    dense_weight: float = Field(
        default=0.7, ge=0, le=1, description="Weight of the dense ranking or scores in fusion."
    )
    rrf_k: int = Field(default=10, gt=0, description="The k of reciprocal rank fusion.")
    candidates: int = Field(
        default=100,
        gt=0,
        description="How many hits of each ranker reciprocal rank fusion considers.",
    )

    def index_fields(self) -> dict[str, object]:
        """The settings that change the built index (the rest only change searching)."""
        return self.model_dump(
            mode="json",
            include={"terms", "stemmer", "stopwords", "k1", "b", "dense_center", "dense_units"},
        )
