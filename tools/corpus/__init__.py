"""Corpora: resolve files, load documents of every format, cut them into chunks."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping

from kilab.tools.corpus.chunking import chunk_document, chunk_documents
from kilab.tools.corpus.documents import Document
from kilab.tools.corpus.loaders import LIST_SEPARATOR, load_file
from kilab.tools.corpus.source import (
    SUFFIXES,
    CorpusSource,
    expand_files,
    fingerprint,
    resolve_files,
    source_from_config,
)
from kilab.tools.retrieval.types import Chunk

__all__ = [
    "LIST_SEPARATOR",
    "SUFFIXES",
    "CorpusSource",
    "Document",
    "chunk_document",
    "chunk_documents",
    "expand_files",
    "fingerprint",
    "load_chunks",
    "load_documents",
    "matches",
    "resolve_files",
    "source_from_config",
]


def matches(fields: Mapping[str, str], wanted: Mapping[str, Collection[str]]) -> bool:
    """Whether a record's fields hold one of the wanted values for every field.

    A list field (stored joined with ``"; "``) matches when any of its items does.
    """
    for key, allowed in wanted.items():
        value = fields.get(key, "")
        values = {value, *value.split(LIST_SEPARATOR)} if value else set()
        if values.isdisjoint(allowed):
            return False
    return True


def load_documents(source: CorpusSource) -> Iterator[Document]:
    """Every document of a corpus that passes its ``include`` filter.

    Raises:
        FileNotFoundError: A file or folder does not exist.
        ValueError: A file cannot be read.
    """
    wanted = {key: tuple(values) for key, values in source.include.items()}
    for path, name in expand_files(source.files):
        for document in load_file(path, name):
            if not wanted or matches(_fields(document), wanted):
                yield document


def load_chunks(source: CorpusSource) -> list[Chunk]:
    """Every chunk of a corpus, in file and record order."""
    return list(chunk_documents(load_documents(source), source.chunking))


def _fields(document: Document) -> dict[str, str]:
    return {
        "id": document.id,
        "title": document.title,
        "url": document.url,
        "source": document.source,
        **document.metadata,
    }
