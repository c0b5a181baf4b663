"""Norwegian text basics shared by retrieval, composing and checks.

Tokens are lower-cased word characters; terms are tokens without stop words, stemmed with
the Snowball Norwegian stemmer (which also handles most nynorsk inflection well enough).
"""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path

import Stemmer


def _bm25s_norwegian_stopwords() -> tuple[str, ...]:
    """bm25s's Norwegian stop words, loaded from its ``stopwords`` module file alone.

    ``import bm25s.stopwords`` would first import the ``bm25s`` package, and with it numba and
    scipy (0.2–0.7 s), which a word list does not need; the module itself imports nothing.
    """
    package = importlib.util.find_spec("bm25s")  # locates the package without importing it
    assert package is not None and package.origin is not None, "bm25s is a dependency"
    spec = importlib.util.spec_from_file_location(
        "kilab._bm25s_stopwords", Path(package.origin).with_name("stopwords.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    words: tuple[str, ...] = module.STOPWORDS_NORWEGIAN
    return words


STOPWORDS_NORWEGIAN = _bm25s_norwegian_stopwords()

_TOKEN = re.compile(r"[0-9a-zæøåäöüéèáàóòôê]+(?:[-–][0-9a-zæøåäöüéèáàóòôê]+)*", re.IGNORECASE)
# Sentence ends: . ! ? followed by space and a capital, a digit, a quote or §; but not after
# common Norwegian abbreviations (f.eks., jf., nr., bl.a.) or a section number such as "§ 3."
_ABBREVIATIONS = frozenset(
    (
        "f.eks",
        "jf",
        "nr",
        "bl.a",
        "ca",
        "dvs",
        "mv",
        "m.v",
        "m.m",
        "osv",
        "pkt",
        "kap",
        "jfr",
        "ift",
        "evt",
        "inkl",
        "ikr",
        "res",
        "st",
        "tlf",
    )
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÆØÅ0-9«\"§(])|\n+")

NORWEGIAN_STOPWORDS: frozenset[str] = frozenset(STOPWORDS_NORWEGIAN) | frozenset(
    # Question words and fillers that bm25s's list lacks, in bokmål and nynorsk.
    (
        "hva",
        "kva",
        "hvem",
        "kven",
        "hvordan",
        "korleis",
        "kor",
        "når",
        "hvorfor",
        "kvifor",
        "hvilke",
        "kan",
        "må",
        "får",
        "gjelder",
        "jeg",
        "eg",
        "meg",
        "min",
        "mitt",
        "mine",
        "vi",
        "oss",
        "det",
        "er",
        "noe",
        "noko",
        "mye",
        "mykje",
        "mange",
        "ein",
        "eit",
        "ikkje",
        "dersom",
        "om",
    )
)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("norwegian")


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens."""
    tokens: list[str] = _TOKEN.findall(text.lower())
    return tokens


def stem(tokens: list[str]) -> list[str]:
    """Snowball Norwegian stems of tokens."""
    result: list[str] = _stemmer().stemWords(tokens)
    return result


def terms(text: str) -> list[str]:
    """Content terms: stemmed tokens without stop words, in order, repeats kept."""
    return stem([t for t in tokenize(text) if t not in NORWEGIAN_STOPWORDS])


# Passages recur in every case that retrieves them (and again in composing and review), so
# their term sets are computed once; questions and answers are mostly new and just pass by.
@lru_cache(maxsize=4096)
def term_set(text: str) -> frozenset[str]:
    """The distinct content terms of a text (cached by text)."""
    return frozenset(terms(text))


@lru_cache(maxsize=4096)
def term_prefixes(text: str) -> frozenset[str]:
    """The six-letter prefixes of a text's terms of six or more letters (cached by text)."""
    return frozenset(t[:6] for t in term_set(text) if len(t) >= 6)


def split_sentences(text: str) -> list[str]:
    """Split text into sentences, keeping abbreviations and section numbers whole."""
    pieces = _SENTENCE_END.split(text)
    sentences: list[str] = []
    for piece in (p.strip() for p in pieces):
        if not piece:
            continue
        previous = sentences[-1] if sentences else ""
        last_word = previous.rsplit(" ", 1)[-1].rstrip(".").lower()
        if previous and (
            last_word in _ABBREVIATIONS
            or previous.endswith(("§", "§ "))
            or re.search(r"§\s*\d+[-\w]*\.$", previous)
        ):
            sentences[-1] = f"{previous} {piece}"
        else:
            sentences.append(piece)
    return sentences
