"""Grounding and citation checks: is each answer sentence supported by what it cites?"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kilab.tools.citations import CitedSentence, parse_answer
from kilab.tools.text import term_set, terms


@dataclass(frozen=True, slots=True)
class SentenceSupport:
    """How well one answer sentence is supported by the passages it cites."""

    sentence: CitedSentence
    support: float
    unknown_ids: tuple[str, ...]


def support(sentence: str, *evidence: str) -> float:
    """Share of a sentence's distinct terms that the evidence texts contain (1.0 if it has
    none)."""
    wanted = set(terms(sentence))
    if not wanted:
        return 1.0
    # Each text's terms separately: a passage's set is cached, a join of passages would not be.
    found: set[str] = set()
    for text in evidence:
        found |= wanted & term_set(text)
    return len(found) / len(wanted)


def check_answer(answer: str, passages: Mapping[str, str]) -> list[SentenceSupport]:
    """Support of every sentence of a cited answer against the passages (id → text)."""
    results = []
    for sentence in parse_answer(answer):
        known = [passages[i] for i in sentence.ids if i in passages]
        unknown = tuple(i for i in sentence.ids if i not in passages)
        results.append(
            SentenceSupport(sentence, support(sentence.text, *known) if known else 0.0, unknown)
        )
    return results
