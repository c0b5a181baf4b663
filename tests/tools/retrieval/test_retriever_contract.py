"""The Retriever contract, one suite for every implementation: the in-memory retriever and
the corpus retriever in its BM25, dense and hybrid modes."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import LAW, write_jsonl

from kilab.core.errors import UserError
from kilab.tools.corpus import CorpusSource, load_chunks
from kilab.tools.retrieval import InMemoryRetriever, Retriever, documents, open_retriever

KINDS = ["memory", "bm25", "dense", "hybrid"]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> CorpusSource:
    return CorpusSource("law", (write_jsonl(tmp_path_factory.mktemp("law") / "law.jsonl", LAW),))


# One retriever of each kind for the module: the dense ones embed the corpus once.
@pytest.fixture(scope="module", params=KINDS)
def retriever(
    request: pytest.FixtureRequest, source: CorpusSource, tmp_path_factory: pytest.TempPathFactory
) -> Retriever:
    if request.param == "memory":
        return InMemoryRetriever(load_chunks(source), name="law")
    return open_retriever(source, request.param, tmp_path_factory.mktemp("cache"))


def _ids(retriever: Retriever, query: str, k: int = 5, **filters: str | list[str]) -> list[str]:
    return [hit.chunk.id for hit in retriever.search(query, k, filters or None)]


def test_it_is_a_retriever(retriever: Retriever) -> None:
    assert isinstance(retriever.chunks[0].id, str)
    assert {c.id for c in retriever.chunks} == {"husl#§3-5", "husl#§9-6", "avhl#§3-9", "tl#§2"}


def test_the_matching_section_comes_first_and_scores_fall(retriever: Retriever) -> None:
    assert _ids(retriever, "depositum seks måneders leie")[0] == "husl#§3-5"
    assert _ids(retriever, "festeavgift for tomt")[0] == "tl#§2"
    hits = retriever.search("leie bolig", k=3)
    assert 0 < len(hits) <= 3
    assert all(a.score >= b.score for a, b in itertools.pairwise(hits))


def test_k_limits_the_hits(retriever: Retriever) -> None:
    assert len(retriever.search("leie bolig eigedom tomt festeavgift", k=2)) <= 2
    assert len(retriever.search("leie bolig eigedom tomt festeavgift", k=1)) == 1


def test_get_by_id(retriever: Retriever) -> None:
    chunk = retriever.get("avhl#§3-9")
    assert chunk is not None and chunk.metadata["law"] == "avhl"
    assert retriever.get("nope") is None


def test_filters_by_field_list_item_prefix_and_range(retriever: Retriever) -> None:
    query = "leie bolig eigedom tomt"
    assert set(_ids(retriever, query, law="husl")) <= {"husl#§3-5", "husl#§9-6"}
    justice = _ids(retriever, query, 10, ministry="Justis- og beredskapsdepartementet")
    assert sorted(justice) == ["avhl#§3-9", "tl#§2"]
    assert set(_ids(retriever, query, 10, year="199*", law=["tl", "avhl"])) == {
        "tl#§2",
        "avhl#§3-9",
    }
    assert _ids(retriever, query, law="nope") == []
    assert (
        _ids(retriever, "festeavgift", law="husl") == []
        or retriever.search("festeavgift", 5, {"law": "husl"})[0].chunk.metadata["law"] == "husl"
    )
    with pytest.raises(UserError, match=r"no chunk .* has a field 'lov'"):
        retriever.search(query, filters={"lov": "husl"})


def test_concurrent_searches_agree(retriever: Retriever) -> None:
    questions = ["depositum", "oppsigelsesfrist bolig", "festeavgift", "som han er"] * 4
    alone = [_ids(retriever, q) for q in questions]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(lambda q: _ids(retriever, q), questions)) == alone


def test_derived_tables_follow_the_retriever_not_its_address(source: CorpusSource) -> None:
    # A table keyed by id() would hand a new retriever at a reused address the old corpus.
    chunks = load_chunks(source)
    for size in (4, 2, 3, 1):
        assert len(documents(InMemoryRetriever(chunks[:size]))) == size
