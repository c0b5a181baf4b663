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
    assert [len(x) for x in lists] == counted.lengths().tolist()
    assert len(counted) == len(texts) and len(counted.batches) > 1  # batches meet
    expected = [{term: ids.count(term) for term in set(ids)} for ids in lists]
    assert list(counted.documents()) == expected
    # Ids in order of first occurrence, as bm25s numbers them: the saved index is the same
    # from one run to the next.
    first_seen = dict.fromkeys(t for text in texts for t in analyze(text, settings))
    assert list(vocabulary.items()) == [(t, i) for i, t in enumerate(first_seen)]
    assert all(b.terms.itemsize == 2 for b in counted.batches)  # < 65,536 terms: 16 bits
    reference.index((lists, dict(vocabulary)), show_progress=False)

    chunks = [_chunk(i, text) for i, text in enumerate(texts)]
    built = BM25Index.build(chunks, settings)._model
    for key in ("data", "indices", "indptr"):
        assert np.array_equal(built.scores[key], reference.scores[key]), key
        assert built.scores[key].dtype == reference.scores[key].dtype, key
    assert built.scores["num_docs"] == reference.scores["num_docs"]
    assert built.vocab_dict == reference.vocab_dict


def test_counts_past_a_byte_and_empty_batches_survive_the_compact_types() -> None:
    texts = ["leie " * 300 + "depositum", "", "og i på"]
    counted = count_terms(texts, IndexSettings(terms="words"))
    assert list(counted.documents()) == [{0: 300, 1: 1}, {}, {}]
    assert counted.lengths().tolist() == [301, 0, 0]
    built = BM25Index.build([_chunk(i, text) for i, text in enumerate(texts)], IndexSettings())
    scores = built.scores("leie")
    assert scores is not None and scores[0] > 0 and not scores[1:].any()
    assert built.scores("kontrakt") is None


def test_saved_index_reloads_memory_mapped_with_the_same_scores(tmp_path: Path) -> None:
    chunks = [_chunk(i, text) for i, text in enumerate(_texts(300))]
    built = BM25Index.build(chunks, IndexSettings())
    built.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25", IndexSettings())
    for key in ("data", "indices", "indptr"):
        assert isinstance(loaded._model.scores[key], np.memmap), key
    question = "Hvor mye depositum kan utleier kreve?"
    assert np.array_equal(loaded.scores(question), built.scores(question))  # type: ignore[arg-type]


def _chunk(i: int, text: str) -> object:
    from kilab.tools.retrieval.types import Chunk

    return Chunk(id=f"c{i}", text=text)
