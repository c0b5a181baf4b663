"""Cut documents into passages: by structure (a law's §, a heading), else by size.

Chunking works on character spans of the document's text, so every chunk knows where it
starts (the PDF page) and which heading it falls under (the section for the citation).
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Iterator

from kilab.tools.corpus.documents import Document
from kilab.tools.retrieval.types import Chunk
from kilab.tools.settings import ChunkingSettings

Span = tuple[int, int]

# A line that opens a section: a Markdown heading, a law's §, a chapter, a part or an article.
_HEADING = re.compile(
    r"^[ \t]*(?:#{1,6}[ \t]+\S.*"
    r"|§[ \t]*\d+[\w-]*\..*"
    r"|(?:Kapittel|Kap\.)[ \t]+\d+[\w-]*\.?(?:[ \t].*)?"
    r"|Del[ \t]+[IVXLC\d]+\.?(?:[ \t].*)?"
    r"|(?:Artikkel|Art\.)[ \t]+\d+[\w-]*\.?(?:[ \t].*)?)$",
    re.MULTILINE,
)
_PARAGRAPH = re.compile(r"\n[ \t]*\n|\n")
_MAX_HEADING = 120


def chunk_documents(documents: Iterable[Document], settings: ChunkingSettings) -> Iterator[Chunk]:
    """Chunks of every document, in order."""
    for document in documents:
        yield from chunk_document(document, settings)


def chunk_document(document: Document, settings: ChunkingSettings) -> list[Chunk]:
    """Cut one document into chunks.

    A document that fits in ``max_chars`` (or with strategy ``none``) stays one chunk whose
    id is the document's id; the parts of a longer one get ids ``<id>#1``, ``<id>#2`` …, and
    their metadata names the document (``doc_id``), the part and the section heading.
    """
    text = document.text
    whole = _strip(text, (0, len(text)))
    if settings.strategy == "none" or whole[1] - whole[0] <= settings.max_chars:
        return [_chunk(document, text, whole, 0, [])]
    if settings.strategy == "fixed":
        spans = _windows(text, whole, settings.max_chars, settings.overlap_chars)
    else:
        spans = structure_spans(text, settings)
    spans = [s for s in spans if s[1] > s[0]]
    headings = [(m.start(), m.group(0)) for m in _HEADING.finditer(text)]
    return [
        _chunk(document, text, span, n, headings, settings.min_chars)
        for n, span in enumerate(spans, 1)
    ]


def structure_spans(text: str, settings: ChunkingSettings) -> list[Span]:
    """Spans that start at headings, small sections joined and big ones split by size."""
    starts = sorted({0, *(m.start() for m in _HEADING.finditer(text))})
    sections = [_strip(text, (a, b)) for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    merged: list[Span] = []
    for start, end in sections:
        if end <= start:
            continue
        previous = merged[-1] if merged else None
        # A heading with little under it belongs with what follows (join into the previous
        # span only while that span is itself still tiny).
        if (
            previous
            and previous[1] - previous[0] < settings.min_chars
            and end - previous[0] <= settings.max_chars
        ):
            merged[-1] = (previous[0], end)
        else:
            merged.append((start, end))
    spans: list[Span] = []
    for span in merged:
        if span[1] - span[0] <= settings.max_chars:
            spans.append(span)
        else:
            spans.extend(_split_big(text, span, settings))
    return spans


def _split_big(text: str, span: Span, settings: ChunkingSettings) -> list[Span]:
    """Pack paragraphs up to the size cap; a paragraph over the cap becomes windows."""
    cuts = [span[0]]
    cuts += [m.end() for m in _PARAGRAPH.finditer(text, span[0], span[1])]
    cuts.append(span[1])
    pieces = [_strip(text, pair) for pair in itertools.pairwise(cuts)]
    spans: list[Span] = []
    current: Span | None = None
    for piece in pieces:
        if piece[1] <= piece[0]:
            continue
        if piece[1] - piece[0] > settings.max_chars:
            if current:
                spans.append(current)
                current = None
            spans.extend(_windows(text, piece, settings.max_chars, settings.overlap_chars))
        elif current and piece[1] - current[0] <= settings.max_chars:
            current = (current[0], piece[1])
        else:
            if current:
                spans.append(current)
            current = piece
    if current:
        spans.append(current)
    return spans


def _windows(text: str, span: Span, size: int, overlap: int) -> list[Span]:
    """Windows of at most ``size`` characters overlapping by ``overlap``, cut at spaces."""
    overlap = min(overlap, size // 2)
    spans: list[Span] = []
    start = span[0]
    while start < span[1]:
        end = min(start + size, span[1])
        if end < span[1]:
            space = text.rfind(" ", start + size // 2, end)
            end = space if space > start else end
        spans.append(_strip(text, (start, end)))
        if end >= span[1]:
            break
        next_start = max(end - overlap, start + 1)
        space = text.find(" ", next_start, end)
        start = space + 1 if overlap and space != -1 else next_start
    return spans


def _strip(text: str, span: Span) -> Span:
    start, end = span
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _heading(headings: list[tuple[int, str]], span: Span, lead: int) -> str:
    """The heading a span falls under: the last one opening within its first ``lead``
    characters (a chapter title merged with its first § is named by the §), else the
    nearest one before it."""
    limit = min(span[0] + max(lead, 1), span[1])
    index = bisect.bisect_left(headings, limit, key=lambda h: h[0])
    found = headings[index - 1][1] if index else ""
    return found.strip().lstrip("#").strip()[:_MAX_HEADING]


def _chunk(
    document: Document,
    text: str,
    span: Span,
    number: int,
    headings: list[tuple[int, str]],
    lead: int = 0,
) -> Chunk:
    metadata = dict(document.metadata)
    if document.page_starts:
        metadata["page"] = str(bisect.bisect_right(document.page_starts, span[0]))
    if number == 0:
        return Chunk(
            id=document.id,
            text=text[span[0] : span[1]],
            title=document.title,
            url=document.url,
            source=document.source,
            metadata=metadata,
        )
    heading = _heading(headings, span, lead)
    metadata["doc_id"] = document.id
    metadata["part"] = str(number)
    title = document.title
    if heading:
        metadata["section"] = heading
        if heading.lower() not in title.lower():
            title = f"{title} – {heading}" if title else heading
    return Chunk(
        id=f"{document.id}#{number}",
        text=text[span[0] : span[1]],
        title=title,
        url=document.url,
        source=document.source,
        metadata=metadata,
    )
