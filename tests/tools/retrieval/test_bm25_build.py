"""kilab's array build of the BM25 index against bm25s's own, on real law sections."""

from __future__ import annotations

import json
from pathlib import Path

import bm25s
import numpy as np
import pytest

from kilab.tools.retrieval.bm25 import BM25Index, analyze, count_terms
from kilab.tools.settings import IndexSettings

ROOT = Path(__file__).resolve().parents[3]
SECTIONS = ROOT / "data" / "lovdata" / "realestate-sections.jsonl"


def _texts(limit: int = 2500) -> list[str]:
    with SECTIONS.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for _, line in zip(range(limit), handle, strict=False)]
    return [f"{row.get('title', '')}\n{row['text']}" for row in rows] + ["", "og i på"]


@pytest.mark.parametrize("terms", ["chargrams", "words"])
def test_flat_build_writes_exactly_the_index_bm25s_builds(terms: str) -> None:
    settings = IndexSettings(terms=terms)  # type: ignore[arg-type]
    texts = _texts()
    counted = count_terms(texts, settings)
    vocabulary = counted.vocabulary

    reference = bm25s.BM25(k1=settings.k1, b=settings.b)
    lists: list[list[int]] = [[vocabulary[t] for t in analyze(text, settings)] for text in texts]
    assert [len(x) for x in lists] == counted.lengths.tolist()
    for doc, ids in enumerate(lists):
        start, end = counted.offsets[doc], counted.offsets[doc + 1]
        expected = {term: ids.count(term) for term in set(ids)}
        terms, counts = counted.terms[start:end].tolist(), counted.counts[start:end].tolist()
        got = dict(zip(terms, counts, strict=True))
        assert got == expected
    reference.index((lists, dict(vocabulary)), show_progress=False)

    chunks = [_chunk(i, text) for i, text in enumerate(texts)]
    built = BM25Index.build(chunks, settings)._model
    for key in ("data", "indices", "indptr"):
        assert np.array_equal(built.scores[key], reference.scores[key]), key
        assert built.scores[key].dtype == reference.scores[key].dtype, key
    assert built.scores["num_docs"] == reference.scores["num_docs"]
    assert built.vocab_dict == reference.vocab_dict


def _chunk(i: int, text: str) -> object:
    from kilab.tools.retrieval.types import Chunk

    return Chunk(id=f"c{i}", text=text)
