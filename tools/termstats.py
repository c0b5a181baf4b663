"""Corpus term statistics: how much of a question a passage really covers.

Plain term overlap lets common words carry an off-topic question ("Hvordan lager jeg
lapskaus?" shares "lage" with many laws). Weighting each question term by its inverse
document frequency in the corpus makes the rare, topical words count, and words the corpus
has never seen count most.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable

from kilab.tools.compose import matched_in
from kilab.tools.text import terms


class TermStatistics:
    """Document frequencies of the terms of a corpus."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.frequencies: Counter[str] = Counter()
        self.documents = 0
        for text in texts:
            self.documents += 1
            self.frequencies.update(set(terms(text)))  # once per text: not worth caching

    def idf(self, term: str) -> float:
        """Inverse document frequency, smoothed; unseen terms get the highest weight."""
        return math.log((self.documents + 1) / (self.frequencies.get(term, 0) + 0.5))

    def coverage(self, question_terms: Collection[str], text: str) -> float:
        """IDF-weighted share of the question's distinct terms found in a text."""
        wanted = set(question_terms)
        # Summed in sorted order: a set's order changes with each process's string hashing,
        # and the last bits of a float sum with it (results must not depend on the process).
        total = sum(self.idf(t) for t in sorted(wanted))
        if not total:
            return 0.0
        found = matched_in(wanted, text)
        return sum(self.idf(t) for t in sorted(found)) / total
