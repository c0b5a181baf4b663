"""Paragraph windows, multi-vector dense scoring and character 4-gram BM25 terms."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kilab.tools.retrieval import Chunk, CorpusSource, open_retriever
from kilab.tools.retrieval import dense as dense_module
from kilab.tools.retrieval.bm25 import analyze, char_grams
from kilab.tools.retrieval.dense import DIM, DenseIndex
from kilab.tools.retrieval.units import dense_texts, unit_texts, windows
from kilab.tools.settings import IndexSettings

LONG = "a" * 300
SHORT = "kort linje"


def test_short_paragraphs_are_merged_and_long_ones_split() -> None:
    text = "\n".join([SHORT, LONG, SHORT, SHORT, LONG, "b" * 900])
    parts = windows(text, min_chars=250, max_chars=800)
    assert parts == [
        f"{SHORT}\n{LONG}",
        f"{SHORT}\n{SHORT}\n{LONG}",
        "b" * 900,  # one long paragraph stays whole
    ]


def test_a_short_tail_joins_the_window_before_it() -> None:
    assert windows(f"{LONG}\n{SHORT}") == [f"{LONG}\n{SHORT}"]
    assert windows(f"{LONG}\n{'c' * 200}") == [LONG, "c" * 200]


def test_only_chunks_of_several_windows_get_titled_units() -> None:
    single = Chunk("s", f"{SHORT}\n{SHORT}", title="Loven § 1")
    assert unit_texts(single) == []
    double = Chunk("d", f"{LONG}\n{'d' * 300}", title="Loven § 2")
    assert unit_texts(double) == [f"Loven § 2\n{LONG}", f"Loven § 2\n{'d' * 300}"]
    texts = dense_texts([single, double], with_units=True)
    assert texts.chunks == ["Loven § 1\nkort linje\nkort linje", f"Loven § 2\n{LONG}\n{'d' * 300}"]
    assert texts.owner == [1, 1] and texts.all()[2:] == texts.units
    assert dense_texts([single, double], with_units=False).units == []


def _unit(axis: int) -> np.ndarray:
    vector = np.zeros(DIM, dtype=np.float32)
    vector[axis] = 1.0
    return vector


def test_a_chunk_scores_its_best_vector(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dense_module, "embed_query", lambda text: _unit(2))
    chunks = np.stack([_unit(0), _unit(1), _unit(3)])
    # Chunk 1 has a window pointing where the question points; chunk 2 has two that do not.
    units = np.stack([_unit(2), _unit(4), _unit(5)])
    index = DenseIndex.from_vectors(chunks, center=False, units=units, owner=[1, 2, 2])
    scores = index.scores("spørsmål")
    assert scores[1] == pytest.approx(1.0) and scores[0] == scores[2] == pytest.approx(0.5)
    index.save(tmp_path / "dense.npy")
    loaded = DenseIndex.load(tmp_path / "dense.npy")
    assert loaded.unit_count == 3
    assert np.allclose(loaded.scores("spørsmål"), scores)
    single = DenseIndex.from_vectors(chunks, center=False)
    single.save(tmp_path / "dense.npy")  # no units: stale unit files go
    assert DenseIndex.load(tmp_path / "dense.npy").unit_count == 0
    with pytest.raises(ValueError, match="owner"):
        DenseIndex.from_vectors(chunks, center=False, units=units, owner=[1])


def test_character_grams_mark_word_ends() -> None:
    assert char_grams(["leie", "ny"]) == ["_lei", "leie", "eie_", "_ny_"]
    assert analyze("Husleien", IndexSettings()) == [
        "_hus",
        "husl",
        "usle",
        "slei",
        "leie",
        "eien",
        "ien_",
    ]
    assert analyze("Husleien", IndexSettings(terms="words")) == ["huslei"]


def test_character_grams_find_parts_of_compound_words(law_file: Path, cache_dir: Path) -> None:
    question = "Hvor mye kan depositumsbeløpet være?"  # the section says "deponere et beløp"
    grams = open_retriever(CorpusSource("law", (law_file,)), "bm25", cache_dir)
    assert grams.search(question, k=1)[0].chunk.id == "husl#§3-5"
    words = CorpusSource("law", (law_file,), index=IndexSettings(terms="words"))
    assert "husl#§3-5" not in [
        h.chunk.id for h in open_retriever(words, "bm25", cache_dir).search(question)
    ]
