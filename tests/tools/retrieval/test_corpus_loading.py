"""Loading every format into documents and chunks, with metadata and stable ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from kilab.tools.corpus import CorpusSource, load_chunks, load_documents, resolve_files
from kilab.tools.settings import ChunkingSettings


def _docs(folder: Path) -> dict[str, object]:
    return {d.id: d for d in load_documents(CorpusSource("docs", (folder,)))}


def test_jsonl_fields_and_metadata(law_file: Path) -> None:
    documents = list(load_documents(CorpusSource("law", (law_file,))))
    assert [d.id for d in documents] == ["husl#§3-5", "husl#§9-6", "avhl#§3-9", "tl#§2"]
    first = documents[0]
    assert first.title == "Husleieloven § 3-5. Depositum"
    assert first.url == "https://lovdata.no/husl/§3-5"
    assert first.source == "husleieloven"
    assert first.metadata["ministry"] == "Kommunal- og distriktsdepartementet"
    assert first.metadata["year"] == "1999"
    assert "text" not in first.metadata and "id" not in first.metadata
    assert documents[2].metadata["ministry"] == (
        "Justis- og beredskapsdepartementet; Kommunal- og distriktsdepartementet"
    )


def test_folder_reads_every_format_and_skips_the_rest(documents_folder: Path) -> None:
    docs = _docs(documents_folder)
    assert set(docs) == {
        "veileder.md",
        "side.html",
        "sub/notat.txt",
        "sub/rundskriv.pdf",
        "husl#§3-5",
        "husl#§9-6",
    }


def test_markdown_title_and_text(documents_folder: Path) -> None:
    doc = _docs(documents_folder)["veileder.md"]
    assert doc.title == "Veileder for leietakere"  # type: ignore[attr-defined]
    assert "## Depositum" in doc.text  # type: ignore[attr-defined]
    assert doc.url.startswith("file://")  # type: ignore[attr-defined]


def test_html_drops_scripts_and_navigation_and_keeps_headings(documents_folder: Path) -> None:
    doc = _docs(documents_folder)["side.html"]
    text: str = doc.text  # type: ignore[attr-defined]
    assert doc.title == "Nabovarsel"  # type: ignore[attr-defined]
    assert text.startswith("# Nabovarsel")
    assert "Naboer skal varsles" in text and "Vent to uker" in text
    assert text.count("Send varsel") == 1
    assert "skjult" not in text and "Meny" not in text


def test_text_file_drops_byte_order_mark(documents_folder: Path) -> None:
    doc = _docs(documents_folder)["sub/notat.txt"]
    assert doc.text.startswith("Notat om fritidsbolig")  # type: ignore[attr-defined]


def test_pdf_text_title_and_pages(documents_folder: Path) -> None:
    doc = _docs(documents_folder)["sub/rundskriv.pdf"]
    assert doc.title == "Rundskriv H-1/25"  # type: ignore[attr-defined]
    assert "Leien kan justeres etter konsumprisindeksen." in doc.text  # type: ignore[attr-defined]
    assert "Husleieøkning" in doc.text  # type: ignore[attr-defined]
    assert len(doc.page_starts) == 2  # type: ignore[attr-defined]


def test_pdf_chunks_know_their_page(documents_folder: Path) -> None:
    source = CorpusSource(
        "docs",
        (documents_folder / "sub" / "rundskriv.pdf",),
        chunking=ChunkingSettings(max_chars=120, min_chars=10),
    )
    chunks = load_chunks(source)
    pages = {c.metadata["section"]: c.metadata["page"] for c in chunks if "section" in c.metadata}
    assert pages == {"§ 1. Depositum": "1", "§ 2. Husleieøkning": "2"}


def test_include_filter_keeps_matching_records_and_list_items(law_file: Path) -> None:
    only_husl = CorpusSource("law", (law_file,), include={"law": ("husl",)})
    assert [c.id for c in load_chunks(only_husl)] == ["husl#§3-5", "husl#§9-6"]
    justice = CorpusSource(
        "law", (law_file,), include={"ministry": ("Justis- og beredskapsdepartementet",)}
    )
    assert [c.id for c in load_chunks(justice)] == ["avhl#§3-9", "tl#§2"]


def test_globs_resolve_relative_to_the_config_folder(documents_folder: Path) -> None:
    files = resolve_files(documents_folder, ["*.md", "sub/*.txt", "lover.jsonl.gz"])
    assert [f.name for f in files] == ["veileder.md", "notat.txt", "lover.jsonl.gz"]
    assert all(f.is_absolute() for f in files)


def test_missing_file_and_broken_json_are_reported(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.jsonl"):
        list(load_documents(CorpusSource("x", (tmp_path / "nope.jsonl",))))
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "a", "text": "ok"}\n{not json\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.jsonl:2"):
        list(load_documents(CorpusSource("x", (broken,))))
