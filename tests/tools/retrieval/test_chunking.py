"""Chunking by structure, by size and not at all; stable ids and citation metadata."""

from __future__ import annotations

import itertools

from kilab.tools.corpus import Document, chunk_document
from kilab.tools.settings import ChunkingSettings

LAW_TEXT = (
    "Lov om eksempel\n"
    "Kapittel 1. Innledende bestemmelser\n"
    "§ 1. Formål\n" + "Loven skal sikre gode boforhold for alle. " * 8 + "\n"
    "§ 2. Virkeområde\n" + "Loven gjelder leie av husrom over hele landet. " * 8 + "\n"
    "§ 3. Definisjoner\n" + "Med husrom menes bygning eller del av bygning. " * 8
)


def test_short_document_is_one_chunk_with_the_record_id() -> None:
    doc = Document(id="lov#§1", text="  Kort tekst.  ", title="T", metadata={"law": "x"})
    [chunk] = chunk_document(doc, ChunkingSettings())
    assert (chunk.id, chunk.text, chunk.title) == ("lov#§1", "Kort tekst.", "T")
    assert chunk.metadata == {"law": "x"}


def test_structure_cuts_at_each_section_and_names_it() -> None:
    doc = Document(id="lov", text=LAW_TEXT, title="Eksempelloven")
    chunks = chunk_document(doc, ChunkingSettings(max_chars=500, min_chars=100))
    assert [c.id for c in chunks] == ["lov#1", "lov#2", "lov#3"]
    assert [c.metadata["section"] for c in chunks] == [
        "§ 1. Formål",
        "§ 2. Virkeområde",
        "§ 3. Definisjoner",
    ]
    # The chapter heading and the law's name stay with the first section.
    assert chunks[0].text.startswith("Lov om eksempel\nKapittel 1.")
    assert chunks[1].title == "Eksempelloven – § 2. Virkeområde"
    assert all(c.metadata["doc_id"] == "lov" for c in chunks)
    assert all(len(c.text) <= 500 for c in chunks)


def test_ids_are_stable_across_runs() -> None:
    doc = Document(id="lov", text=LAW_TEXT)
    settings = ChunkingSettings(max_chars=300, min_chars=100)
    assert chunk_document(doc, settings) == chunk_document(doc, settings)


def test_oversized_section_falls_back_to_overlapping_windows() -> None:
    words = " ".join(f"ord{i}" for i in range(400))
    doc = Document(id="d", text=words)
    chunks = chunk_document(doc, ChunkingSettings(max_chars=300, overlap_chars=50))
    assert len(chunks) > 1
    assert all(len(c.text) <= 300 for c in chunks)
    for before, after in itertools.pairwise(chunks):
        assert after.text.split()[0] in before.text.split()  # overlap carries words over
    assert all(not c.text.startswith(" ") and not c.text.endswith(" ") for c in chunks)
    assert chunks[-1].text.endswith("ord399")


def test_fixed_strategy_ignores_structure() -> None:
    doc = Document(id="lov", text=LAW_TEXT)
    chunks = chunk_document(doc, ChunkingSettings(strategy="fixed", max_chars=400, overlap_chars=0))
    assert all(len(c.text) <= 400 for c in chunks)
    joined = " ".join(c.text for c in chunks)
    assert joined.split() == LAW_TEXT.split()


def test_none_strategy_keeps_long_documents_whole() -> None:
    doc = Document(id="lov", text=LAW_TEXT)
    [chunk] = chunk_document(doc, ChunkingSettings(strategy="none", max_chars=200))
    assert chunk.id == "lov" and chunk.text == LAW_TEXT.strip()


def test_markdown_headings_open_sections() -> None:
    text = (
        "# Guide\n\nIntro.\n\n## Depositum\n\n"
        + "Tekst om depositum. " * 20
        + "\n\n## Oppsigelse\n\n"
        + "Tekst om oppsigelse. " * 20
    )
    chunks = chunk_document(
        Document(id="g.md", text=text, title="Guide"), ChunkingSettings(max_chars=450, min_chars=50)
    )
    assert [c.metadata.get("section") for c in chunks] == ["Depositum", "Oppsigelse"]
    assert chunks[0].text.startswith("# Guide")
