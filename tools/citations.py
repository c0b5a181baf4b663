"""Answers with inline citations: ``Sentence one. [id-1] Sentence two. [id-2][id-3]``.

One format everywhere: the composer writes it, language models are asked for it, the
reviewer and the metrics read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kilab.tools.text import split_sentences

_CITATION = re.compile(r"\[([^\[\]\s][^\[\]]*?)\]")
_TRAILING_CITATIONS = re.compile(r"(\s*\[[^\[\]]+\])+\s*$")


@dataclass(frozen=True, slots=True)
class CitedSentence:
    """A sentence of an answer and the passage ids it cites."""

    text: str
    ids: tuple[str, ...]


def cited_ids(answer: str) -> list[str]:
    """Every cited id in order of first appearance."""
    seen: dict[str, None] = {}
    for match in _CITATION.finditer(answer):
        for part in match.group(1).split(","):
            if part.strip():
                seen.setdefault(part.strip(), None)
    return list(seen)


def parse_answer(answer: str) -> list[CitedSentence]:
    """Split an answer into sentences with the ids each one cites.

    A citation after a sentence's full stop belongs to that sentence; citations that stand
    alone on their own line belong to the sentence before them.
    """
    sentences: list[CitedSentence] = []
    # Move citations that follow a full stop in front of it, so sentence splitting keeps
    # them with their sentence: "Tekst. [a]" -> "Tekst [a]."
    normalised = re.sub(r"([.!?])((?:\s*\[[^\[\]]+\])+)", r"\2\1", answer)
    for sentence in split_sentences(normalised):
        ids = tuple(cited_ids(sentence))
        text = _CITATION.sub("", sentence).strip()
        text = re.sub(r"\s+([.!?,;:])", r"\1", text)
        if not text:
            if sentences and ids:
                last = sentences[-1]
                sentences[-1] = CitedSentence(last.text, (*last.ids, *ids))
            continue
        sentences.append(CitedSentence(text, ids))
    return sentences


def format_answer(sentences: list[CitedSentence]) -> str:
    """Render sentences with their citations in the one format."""
    parts = []
    for sentence in sentences:
        text = _TRAILING_CITATIONS.sub("", sentence.text).strip()
        if text and text[-1] not in ".!?":
            text += "."
        parts.append(text + "".join(f" [{i}]" for i in sentence.ids))
    return " ".join(parts)
