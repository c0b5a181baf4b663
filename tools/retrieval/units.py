"""Paragraph windows of a chunk: the extra vectors of multi-vector dense retrieval.

One vector per law section blurs a section that covers several rules (a question about one
paragraph competes with the section's other paragraphs), and e5 reads only its first 512
tokens. So a long chunk also gets one vector per window of consecutive paragraphs, each
prefixed with the chunk's title so the window keeps its context; a chunk then scores its
best vector. Short paragraphs are merged until a window is long enough to mean something.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kilab.tools.retrieval.analysis import index_text
from kilab.tools.retrieval.types import Chunk

MIN_CHARS = 250
MAX_CHARS = 800


def windows(text: str, min_chars: int = MIN_CHARS, max_chars: int = MAX_CHARS) -> list[str]:
    """Consecutive paragraphs (lines) joined into windows of about min..max characters.

    A paragraph longer than ``max_chars`` stays whole (the model truncates it); a short
    tail is joined to the window before it.
    """
    paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
    found: list[str] = []
    current = ""
    for paragraph in paragraphs:
        if current and len(current) + len(paragraph) > max_chars and len(current) >= min_chars:
            found.append(current)
            current = paragraph
        else:
            current = f"{current}\n{paragraph}" if current else paragraph
        if len(current) >= min_chars:
            found.append(current)
            current = ""
    if current:
        if found and len(current) < min_chars // 2:
            found[-1] = f"{found[-1]}\n{current}"
        else:
            found.append(current)
    return found


def unit_texts(chunk: Chunk, min_chars: int = MIN_CHARS, max_chars: int = MAX_CHARS) -> list[str]:
    """The texts embedded besides the whole chunk: its windows, titled; none if it has one."""
    parts = windows(chunk.text, min_chars, max_chars)
    if len(parts) < 2:
        return []
    return [f"{chunk.title}\n{part}" if chunk.title else part for part in parts]


@dataclass(frozen=True, slots=True)
class DenseTexts:
    """What the embedder sees of a corpus: one text per chunk, then the unit texts.

    Attributes:
        chunks: One text per chunk, in chunk order.
        units: Unit texts, grouped by chunk in chunk order.
        owner: The chunk position of each unit text.
    """

    chunks: list[str]
    units: list[str]
    owner: list[int]

    def all(self) -> list[str]:
        """Every text to embed: the chunks', then the units'."""
        return self.chunks + self.units


def dense_texts(chunks: Sequence[Chunk], with_units: bool) -> DenseTexts:
    """The texts to embed for chunks, with their paragraph windows if ``with_units``."""
    units: list[str] = []
    owner: list[int] = []
    if with_units:
        for position, chunk in enumerate(chunks):
            texts = unit_texts(chunk)
            units.extend(texts)
            owner.extend([position] * len(texts))
    return DenseTexts([index_text(c) for c in chunks], units, owner)
