"""Key facts: does an answer state what a right answer must state? Offline, deterministic.

A case lists its key facts (``facts:`` in the dataset); each fact is a short phrase, or a
list of equivalent phrasings of which any one counts. A fact is stated when every content
term of one phrasing appears in the answer within a short window, after Norwegian
normalisation on both sides:

- number words and digits are one token (``seks``/``6``, ``én``/``en``/``ein``/``1``);
  thousands separators go (``10 000`` = ``10000``);
- abbreviations are spelt out (``mnd`` = ``måned``, ``kr`` = ``krone``, ``%`` = ``prosent``);
- common nynorsk forms become bokmål (``månad`` = ``måned``, ``leigar`` = ``leier``,
  ``ikkje`` = ``ikke``) and bokmål variants one form (``framleie`` = ``fremleie``);
- inflection goes through the Snowball Norwegian stemmer (``måneders`` = ``måned``), and a
  term also matches the head of a compound (``leie`` in ``månedsleie``);
- negations and ``uten``/``før``/``bare`` are content, not stop words, and polarity must
  agree: a fact without a negation is not stated where "ikke" stands in the match or just
  before it ("har ikke rett til å overta" does not state "rett til å overta").

It does not understand the answer: a fact stated and then contradicted still counts. That is
what ``kilab judge calibrate`` measures against people's labels.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from kilab.evals.metrics.answer import NUMBER_WORDS
from kilab.tools.text import NORWEGIAN_STOPWORDS, stem

Fact = str | list[str]

# How many extra answer terms may lie between the first and last term of a fact.
WINDOW_SLACK = 6
# Negations: a fact without one is not stated where one stands in or just before the match.
NEGATIONS = frozenset({"ikke", "ingen", "nei", "aldri"})  # after spelling: ikkje → ikke

_CITATION = re.compile(r"\[[^\[\]]+\]")
_THOUSANDS = re.compile(r"(?<=\d)[ .\u00a0](?=\d{3}(?!\d))")
_TOKEN = re.compile(r"\d+(?:[.,]\d+)?|%|§|[^\W\d_]+")

# Words that carry meaning in a fact although search drops them.
_KEPT = frozenset(
    {"ikke", "ikkje", "ingen", "inkje", "ingi", "ja", "uten", "før", "bare", "kun", "selv"}
)
_UNSTEMMED = _KEPT | {"nei", "aldri"}
_STOPWORDS = (NORWEGIAN_STOPWORDS - _KEPT) | frozenset({"nok", "jo", "vel", "the", "la"})

# One spelling per word: abbreviations, nynorsk forms and bokmål variants (before stemming).
_SPELLING = {
    # abbreviations
    "mnd": "måned",
    "md": "måned",
    "mnds": "måneds",
    "kr": "kroner",
    "pst": "prosent",
    "%": "prosent",
    "ca": "omtrent",
    "jf": "",
    # one: the article and the number are one token, as "en måned" means one month
    "en": "1",
    "ei": "1",
    "et": "1",
    "ein": "1",
    "eit": "1",
    "eitt": "1",
    "ett": "1",
    # nynorsk → bokmål
    "månad": "måned",
    "månader": "måneder",
    "månadar": "måneder",
    "månaders": "måneders",
    "månadars": "måneders",
    "månads": "måneds",
    "veke": "uke",
    "veker": "uker",
    "vekar": "uker",
    "vekes": "ukes",
    "leige": "leie",
    "leiga": "leien",
    "leiger": "leier",
    "leigar": "leier",
    "leigaren": "leieren",
    "utleigar": "utleier",
    "utleigaren": "utleieren",
    "leigeavtale": "leieavtale",
    "leigeavtalen": "leieavtalen",
    "husleiga": "husleien",
    "husvære": "husrom",
    "husværet": "husrommet",
    "oppseiing": "oppsigelse",
    "oppseiinga": "oppsigelsen",
    "oppseiingstid": "oppsigelsestid",
    "oppseiingstida": "oppsigelsestiden",
    "oppseiingsfrist": "oppsigelsesfrist",
    "seie": "si",
    "seier": "sier",
    "ikkje": "ikke",
    "inkje": "ingen",
    "ingi": "ingen",
    "berre": "bare",
    "utan": "uten",
    "frå": "fra",
    "skriftleg": "skriftlig",
    "rimeleg": "rimelig",
    "sakleg": "saklig",
    "vesentleg": "vesentlig",
    "dødsbu": "dødsbo",
    "dødsbuet": "dødsboet",
    "krev": "krever",
    "krevje": "kreve",
    "omsyn": "hensyn",
    "takast": "tas",
    "sjå": "se",
    "sleppe": "slippe",
    "gje": "gi",
    "gjeve": "gi",
    "heile": "hele",
    "fleire": "flere",
    # bokmål variants
    "framleie": "fremleie",
    "framleier": "fremleier",
    "framleien": "fremleien",
    "framleiere": "fremleiere",
    "fram": "frem",
    "framsatt": "fremsatt",
    "framsette": "fremsette",
    "husleia": "husleien",
    "leia": "leien",
    "boka": "boken",
    "døra": "døren",
}


def _spelt(token: str) -> str:
    token = _SPELLING.get(token, token)
    return NUMBER_WORDS.get(token, token)


def _trimmed(term: str) -> str:
    # The stemmer keeps a final -e on short words only (leie, but huslei): drop it everywhere.
    return term[:-1] if len(term) > 3 and term.endswith("e") else term


@lru_cache(maxsize=8192)
def fact_terms(text: str) -> tuple[str, ...]:
    """The normalised, stemmed content terms of a text, in order (see the module notes)."""
    text = _CITATION.sub(" ", unicodedata.normalize("NFKC", text)).lower()
    text = _THOUSANDS.sub("", _THOUSANDS.sub("", text))
    words: list[str] = []
    for token in _TOKEN.findall(text):
        for word in _spelt(token).split():
            if word and word not in _STOPWORDS:
                words.append(word.replace(",", "."))
    return tuple(
        t if t[0].isdigit() or t in _UNSTEMMED else _trimmed(s)
        for t, s in zip(words, stem(words), strict=True)
    )


def _term_matches(wanted: str, found: str) -> bool:
    if wanted == found:
        return True
    if wanted[0].isdigit() or found[0].isdigit():
        return False
    shorter = min(len(wanted), len(found))
    if shorter >= 5 and (found.startswith(wanted) or wanted.startswith(found)):
        return True  # one inflection the stemmer left apart (depositum/depositumet)
    return len(wanted) >= 3 and found.endswith(wanted)  # the head of a compound


def _units(wanted: Sequence[str]) -> list[tuple[str, ...]]:
    """A fact's terms, a number bound to the word after it ("6 måned" is one unit)."""
    units: list[tuple[str, ...]] = []
    i = 0
    while i < len(wanted):
        if wanted[i][0].isdigit() and i + 1 < len(wanted) and not wanted[i + 1][0].isdigit():
            units.append((wanted[i], wanted[i + 1]))
            i += 2
        else:
            units.append((wanted[i],))
            i += 1
    return units


def _unit_positions(unit: tuple[str, ...], answer_terms: Sequence[str]) -> list[int]:
    first = [i for i, found in enumerate(answer_terms) if _term_matches(unit[0], found)]
    if len(unit) == 1:
        return first
    # the number's word follows it at once ("6 måneder") or one word on ("6 hele måneder")
    return [
        i
        for i in first
        if any(
            i + step < len(answer_terms) and _term_matches(unit[1], answer_terms[i + step])
            for step in (1, 2)
        )
    ]


def _polarity_agrees(
    negated: bool, chosen: Sequence[int], width: int, answer_terms: Sequence[str]
) -> bool:
    low, high = min(chosen), max(chosen) + 1
    span = answer_terms[max(0, low - 1) : high + 1]
    return negated == any(term in NEGATIONS for term in span)


def phrase_stated(phrase: str, answer_terms: Sequence[str]) -> bool:
    """Whether every term of a phrase appears in the answer's terms within a short window,
    with the same polarity: "har ikke rett" does not state "har rett"."""
    wanted = fact_terms(phrase)
    if not wanted:
        return False
    negated = any(term in NEGATIONS for term in wanted)
    width = len(wanted) + WINDOW_SLACK
    positions = [_unit_positions(unit, answer_terms) for unit in _units(wanted)]
    if any(not p for p in positions):
        return False
    # Some window of ``width`` answer terms holds a match of every unit, with the polarity.
    for start in sorted({i for p in positions for i in p}):
        chosen = [next((i for i in p if start <= i < start + width), -1) for p in positions]
        if -1 in chosen:
            continue
        if _polarity_agrees(negated, chosen, width, answer_terms):
            return True
    return False


def alternatives(fact: Fact) -> list[str]:
    """The phrasings of a fact, any one of which states it."""
    return [fact] if isinstance(fact, str) else list(fact)


def fact_stated(fact: Fact, answer: str) -> bool:
    """Whether an answer states a fact (any of its phrasings)."""
    terms = fact_terms(answer)
    return any(phrase_stated(phrase, terms) for phrase in alternatives(fact))


def fact_recall(facts: Sequence[Fact], answer: str) -> float | None:
    """The share of the facts an answer states (None: no facts to state)."""
    if not facts:
        return None
    terms = fact_terms(answer)
    stated = sum(1 for fact in facts if any(phrase_stated(p, terms) for p in alternatives(fact)))
    return stated / len(facts)


def missing_facts(facts: Sequence[Fact], answer: str) -> list[str]:
    """The facts an answer does not state (their first phrasing), for failure reasons."""
    terms = fact_terms(answer)
    return [
        alternatives(f)[0]
        for f in facts
        if not any(phrase_stated(p, terms) for p in alternatives(f))
    ]
