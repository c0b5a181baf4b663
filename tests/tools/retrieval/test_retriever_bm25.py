"""BM25 search through open_retriever: Norwegian matching, filters, the on-disk index."""

from __future__ import annotations

import itertools
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import LAW, write_jsonl

from kilab.core.errors import UserError
from kilab.tools.retrieval import CorpusSource, Retriever, forget_retrievers, open_retriever
from kilab.tools.settings import IndexSettings


def _ids(retriever: Retriever, query: str, **kwargs: object) -> list[str]:
    return [hit.chunk.id for hit in retriever.search(query, **kwargs)]  # type: ignore[arg-type]


def test_finds_the_section_for_an_inflected_question(law_file: Path, cache_dir: Path) -> None:
    retriever = open_retriever(CorpusSource("law", (law_file,)), "bm25", cache_dir)
    assert retriever.mode == "bm25" and len(retriever) == 4
    # "depositumet" and "oppsigelsesfristen" only match the stems of the text's forms.
    assert _ids(retriever, "Hvor stort kan depositumet være?")[0] == "husl#§3-5"
    assert _ids(retriever, "Hva er oppsigelsesfristene for bolig?")[0] == "husl#§9-6"
    hits = retriever.search("festeavgift for tomt", k=2)
    assert hits[0].chunk.id == "tl#§2" and hits[0].chunk.url == "https://lovdata.no/tl/§2"
    assert all(a.score >= b.score for a, b in itertools.pairwise(hits))


def test_stemming_and_stop_words_can_be_turned_off(law_file: Path, cache_dir: Path) -> None:
    plain = IndexSettings(terms="words", stemmer=None, stopwords=None)
    retriever = open_retriever(CorpusSource("law", (law_file,), index=plain), "bm25", cache_dir)
    assert "husl#§3-5" not in _ids(retriever, "depositumet")
    assert _ids(retriever, "Depositum")[0] == "husl#§3-5"
    assert "avhl#§3-9" in _ids(retriever, "hva er det")  # "er" is a stop word no more


def test_no_match_and_empty_query_give_no_hits(law_file: Path, cache_dir: Path) -> None:
    retriever = open_retriever(CorpusSource("law", (law_file,)), "bm25", cache_dir)
    assert retriever.search("xylofon") == []
    assert retriever.search("") == []
    assert retriever.search("hva er det") == []  # stop words only


def test_get_returns_chunks_by_id(law_file: Path, cache_dir: Path) -> None:
    retriever = open_retriever(CorpusSource("law", (law_file,)), "bm25", cache_dir)
    chunk = retriever.get("avhl#§3-9")
    assert chunk is not None and chunk.metadata["law"] == "avhl"
    assert retriever.get("nope") is None


def test_filters_by_field_list_item_and_prefix(law_file: Path, cache_dir: Path) -> None:
    retriever = open_retriever(CorpusSource("law", (law_file,)), "bm25", cache_dir)
    query = "leie bolig eigedom tomt"
    assert set(_ids(retriever, query, filters={"law": "husl"})) <= {"husl#§3-5", "husl#§9-6"}
    justice = _ids(
        retriever, query, k=10, filters={"ministry": "Justis- og beredskapsdepartementet"}
    )
    assert sorted(justice) == ["avhl#§3-9", "tl#§2"]
    assert _ids(retriever, query, filters={"year": "199*", "law": ["tl", "avhl"]})
    assert _ids(retriever, query, filters={"law": "nope"}) == []
    assert _ids(retriever, "festeavgift", filters={"law": "husl"}) == []
    with pytest.raises(UserError, match=r"no chunk .* has a field 'lov'"):
        retriever.search(query, filters={"lov": "husl"})


def test_index_is_saved_and_reused(law_file: Path, cache_dir: Path) -> None:
    source = CorpusSource("law", (law_file,))
    first = open_retriever(source, "bm25", cache_dir)
    assert open_retriever(source, "bm25", cache_dir) is first  # shared in the process
    manifest = first.folder / "manifest.json"
    assert json.loads(manifest.read_text())["chunks"] == 4
    stamp = manifest.stat().st_mtime_ns
    forget_retrievers()
    second = open_retriever(source, "bm25", cache_dir)
    assert second is not first and second.folder == first.folder
    assert manifest.stat().st_mtime_ns == stamp  # loaded, not rebuilt
    assert _ids(second, "depositumet") == _ids(first, "depositumet")


def test_index_is_rebuilt_when_the_corpus_or_settings_change(
    law_file: Path, cache_dir: Path
) -> None:
    source = CorpusSource("law", (law_file,))
    before = open_retriever(source, "bm25", cache_dir)
    write_jsonl(law_file, [*LAW, {"id": "ny", "text": "Helt ny paragraf om snøbrøyting."}])
    after = open_retriever(source, "bm25", cache_dir)
    assert after.folder != before.folder and len(after) == 5
    assert _ids(after, "snøbrøyting") == ["ny"]
    tuned = open_retriever(
        CorpusSource("law", (law_file,), index=IndexSettings(k1=1.2)), "bm25", cache_dir
    )
    assert tuned.folder not in (before.folder, after.folder)
    # Search-only settings (fusion) reuse the built index.
    fused = open_retriever(
        CorpusSource("law", (law_file,), index=IndexSettings(rrf_k=10)), "bm25", cache_dir
    )
    assert fused.folder == after.folder


def test_concurrent_searches_agree(law_file: Path, cache_dir: Path) -> None:
    retriever = open_retriever(CorpusSource("law", (law_file,)), "bm25", cache_dir)
    queries = ["depositum", "oppsigelse bolig", "festeavgift", "mangel eigedom"] * 25
    expected = [_ids(retriever, q) for q in queries]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(lambda q: _ids(retriever, q), queries)) == expected


def test_missing_or_empty_corpus_is_a_user_error(tmp_path: Path, cache_dir: Path) -> None:
    with pytest.raises(UserError, match="no such corpus file"):
        open_retriever(CorpusSource("x", (tmp_path / "nope.jsonl",)), "bm25", cache_dir)
    empty = write_jsonl(tmp_path / "empty.jsonl", [{"id": "a", "text": ""}])
    with pytest.raises(UserError, match="has no text"):
        open_retriever(CorpusSource("x", (empty,)), "bm25", cache_dir)


def test_folder_corpus_searches_every_format(documents_folder: Path, cache_dir: Path) -> None:
    retriever = open_retriever(CorpusSource("docs", (documents_folder,)), "bm25", cache_dir)
    assert _ids(retriever, "konsumprisindeksen")[0] == "sub/rundskriv.pdf"
    assert _ids(retriever, "byggetillatelse naboer")[0] == "side.html"
    assert _ids(retriever, "fritidsbolig")[0] == "sub/notat.txt"


def test_date_ranges_include_both_ends_and_skip_non_dates() -> None:
    from kilab.tools.retrieval.filters import in_range

    assert in_range("2025-03-01 11:45", "2025-03..2025-06")
    assert in_range("2025-06-30 23:59", "2025-03..2025-06")  # TO holds all of June
    assert not in_range("2025-07-01 00:00", "2025-03..2025-06")
    assert in_range("2025-02-07", "..2025-02-28") and not in_range("2025-03-01", "..2025-02-28")
    assert in_range("2026-01-01", "2025-12-31..")
    assert not in_range("Kongen bestemmer", "2025..")
