"""What a question asks for (its focus) and whether a sentence states that kind of thing.

A question asking "how much" wants a number, "how long" or "when" a time or deadline, "may I"
or "must I" a right or a duty, "who" a party. A law sentence that states such a thing answers
the question better than one that merely shares its words, so the extractive composer
prefers it. Bokmål and nynorsk forms are both listed; matching is on lower-cased words.
"""

from __future__ import annotations

import re
from typing import Literal

Focus = Literal["amount", "time", "right", "party"]

_QUESTION: tuple[tuple[Focus, re.Pattern[str]], ...] = (
    ("amount", re.compile(r"\b(hvor|kor)\s+(mye|mykje|mange|stor|store|høy|høg)\b|\bbeløp")),
    (
        "time",
        re.compile(
            r"\b(hvor|kor)\s+(lang|lenge|raskt|tidlig|tidleg|ofte|kort)\b|\bnår\b|\bfrist"
            r"|\boppsigelsestid|\boppseiingstid|\bvarsel\b"
        ),
    ),
    ("party", re.compile(r"^\s*(hvem|kven)\b")),
    (
        "right",
        re.compile(
            r"^\s*(kan|må|har|får|skal|er det lov|gjelder|plikter|kan eg|må eg)\b"
            r"|\b(lov til|rett til|lov å|nekte|kreve|krevje)\b"
        ),
    ),
)

# "en"/"ett" are also articles: a time ("en måned") still counts, an amount needs more.
_COUNT = (
    r"\d|\b(én|to|tre|fire|fem|seks|sju|syv|åtte|ni|ti|elleve|tolv|fjorten|femten|tjue|"
    r"halv|dobbel)\b"
)
_NUMBER = rf"{_COUNT}|\b(en|ett|ein|eitt)\b"
_STATES: dict[Focus, re.Pattern[str]] = {
    "amount": re.compile(
        rf"({_COUNT}).{{0,40}}\b(leie|leige|kroner|beløp|måneders|månaders|prosent|medlemmer|"
        r"tredjedeler)\b|\bsummen\b|\bkonsumprisindeks"
    ),
    "time": re.compile(
        rf"({_NUMBER}).{{0,12}}\b(dag|dager|døgn|uke|uker|veke|veker|måned|måneder|månad|"
        r"månader|år|månedsskifte)\b|\b(innen|innan|tidligst|tidlegast|senest|seinast|straks|"
        r"rimelig tid|rimeleg tid)\b"
    ),
    "right": re.compile(
        r"\b(kan|kan ikke|kan ikkje|plikter|pliktar|skal|har rett|har krav|må|kan kreve|"
        r"kan krevje|kan bare|kan ikke nektes|ikke adgang|har adgang)\b"
    ),
    "party": re.compile(
        r"\b(utleieren|leieren|utleigaren|leigaren|framleieren|tingretten|"
        r"takstnemnda?|husleietvistutvalget)\b"
    ),
}


def question_focus(question: str) -> frozenset[Focus]:
    """The kinds of answer a question asks for (empty when it says nothing recognisable)."""
    text = question.lower()
    return frozenset(focus for focus, pattern in _QUESTION if pattern.search(text))


def states(sentence: str, focus: Focus) -> bool:
    """Whether a sentence states something of that kind (a number of months, a duty …)."""
    return bool(_STATES[focus].search(sentence.lower()))
