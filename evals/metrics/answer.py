"""Answer metrics: SQuAD-style exact match and token F1 with Norwegian-aware normalisation.

SQuAD lower-cases, strips punctuation and English articles. Here the articles are the
Norwegian ``en``, ``ei`` and ``et``; number words become digits (``seks`` → ``6``, and the
stressed ``én``/``ett`` → ``1``); thousands separators are dropped and a decimal comma becomes
a point, so that "10 000 kr" and "10000 kroner" agree on the number. Citations are removed first.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

_CITATION = re.compile(r"\[[^\[\]]+\]")
_THOUSANDS = re.compile(r"(?<=\d)[ .\u00a0](?=\d{3}(?!\d))")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_PUNCTUATION = re.compile(r"(?<!\d)\.|\.(?!\d)|[^\w\s.]|_")
ARTICLES = frozenset({"en", "ei", "et"})
NUMBER_WORDS = {
    "null": "0",
    "én": "1",
    "éi": "1",
    "ett": "1",
    "eitt": "1",
    "to": "2",
    "tre": "3",
    "fire": "4",
    "fem": "5",
    "seks": "6",
    "sju": "7",
    "syv": "7",
    "åtte": "8",
    "ni": "9",
    "ti": "10",
    "elleve": "11",
    "tolv": "12",
    "tretten": "13",
    "fjorten": "14",
    "femten": "15",
    "seksten": "16",
    "sytten": "17",
    "atten": "18",
    "nitten": "19",
    "tjue": "20",
    "tyve": "20",
    "tretti": "30",
    "tredve": "30",
    "førti": "40",
    "femti": "50",
    "seksti": "60",
    "sytti": "70",
    "åtti": "80",
    "nitti": "90",
    "hundre": "100",
}


def normalize_tokens(text: str) -> list[str]:
    """Tokens of an answer after Norwegian-aware normalisation."""
    text = _CITATION.sub(" ", unicodedata.normalize("NFKC", text)).lower()
    # Repeat: "1 000 000" needs two passes, as matches may not overlap.
    text = _THOUSANDS.sub("", _THOUSANDS.sub("", text))
    text = _PUNCTUATION.sub(" ", _DECIMAL_COMMA.sub(".", text))
    tokens = [NUMBER_WORDS.get(token, token) for token in text.split()]
    return [token for token in tokens if token not in ARTICLES]


def normalize_answer(text: str) -> str:
    """The normalised answer as one string of space-separated tokens."""
    return " ".join(normalize_tokens(text))


def exact_match(prediction: str, references: Sequence[str]) -> float | None:
    """1.0 when the normalised prediction equals a normalised reference (None: no reference)."""
    if not references:
        return None
    predicted = normalize_answer(prediction)
    return float(any(predicted == normalize_answer(ref) for ref in references))


def _f1(predicted: list[str], reference: list[str]) -> float:
    if not predicted or not reference:
        return float(predicted == reference)
    common = Counter(predicted) & Counter(reference)
    overlap = sum(common.values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(predicted), overlap / len(reference)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: str, references: Sequence[str]) -> float | None:
    """The best token F1 against any reference (None: no reference)."""
    if not references:
        return None
    predicted = normalize_tokens(prediction)
    return max(_f1(predicted, normalize_tokens(ref)) for ref in references)


def contains_reference(prediction: str, references: Sequence[str]) -> float | None:
    """1.0 when a normalised reference appears, token-aligned, in the normalised prediction."""
    if not references:
        return None
    predicted = f" {normalize_answer(prediction)} "
    return float(
        any(
            f" {normalize_answer(ref)} " in predicted for ref in references if normalize_answer(ref)
        )
    )
