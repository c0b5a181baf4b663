"""What BM25 indexes of a text: its title and text, as stemmed words or character 4-grams.

Kept apart from the index itself so that callers which only need the texts or terms (the
dense embedder, the benchmarks) do not import bm25s, numba and scipy for them.
"""

from __future__ import annotations

from kilab.tools.retrieval.types import Chunk
from kilab.tools.settings import IndexSettings
from kilab.tools.text import NORWEGIAN_STOPWORDS, stem, tokenize

GRAM = 4


def index_text(chunk: Chunk) -> str:
    """What BM25 and the embedder see of a chunk: its title, then its text."""
    return f"{chunk.title}\n{chunk.text}" if chunk.title else chunk.text


def analyze(text: str, settings: IndexSettings) -> list[str]:
    """The index terms of a text under the settings: tokens less stop words, then either
    stemmed words or each word's character 4-grams."""
    tokens = tokenize(text)
    if settings.stopwords == "norwegian":
        tokens = [t for t in tokens if t not in NORWEGIAN_STOPWORDS]
    if settings.terms == "chargrams":
        return char_grams(tokens)
    if settings.stemmer == "norwegian":
        tokens = stem(tokens)
    return tokens


def char_grams(tokens: list[str], n: int = GRAM) -> list[str]:
    """The character n-grams of each token, its ends marked (``_hus``, ``eie_``).

    Norwegian writes compounds as one word ("depositumskonto", "husleieøkning") and
    inflects by suffix, so shared n-grams match what whole words and stems miss.
    """
    grams: list[str] = []
    for token in tokens:
        word = f"_{token}_"
        if len(word) <= n:
            grams.append(word)
        else:
            grams.extend(word[i : i + n] for i in range(len(word) - n + 1))
    return grams
