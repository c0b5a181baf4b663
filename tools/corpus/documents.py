"""A loaded document, before chunking."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Document:
    """One record or file, with the fields a citation needs.

    Attributes:
        id: Stable id: the record's ``id`` field, or the file's path for whole files.
        text: The full text; headings of Markdown, HTML and PDF are kept as ``#`` lines.
        title: Title for display and for matching.
        url: Where a reader finds the original.
        source: The source's name (the collection or file).
        metadata: Every other field, as strings (lists joined with ``"; "``).
        page_starts: For PDFs, the character offset at which each page starts.
    """

    id: str
    text: str
    title: str = ""
    url: str = ""
    source: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)
    page_starts: tuple[int, ...] = ()
