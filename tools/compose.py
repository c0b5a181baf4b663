"""The extractive composer: answers from the best-matching sentences of retrieved passages.

It is the offline drafter's method and the baseline a language model has to beat: every
sentence it writes is copied from a source and cited, and it declines when the passages do
not cover the question.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from kilab.tools.citations import CitedSentence, format_answer
from kilab.tools.focus import question_focus, states
from kilab.tools.text import split_sentences, term_prefixes, term_set, terms

# Lines in law texts that record history rather than say what the law is.
_EDITORIAL = re.compile(
    r"^(Endret|Tilføyd|Opphevet|Endra|Tilføydd|Oppheva|Jf\.|Jfr\.|Overskriften endret)\b",
    re.IGNORECASE,
)
# A section heading ("§ 3-5. Depositum", "Kapittel 9. Opphør") names a topic; it answers
# nothing, so it is never quoted (its words still tell what the sentences under it are about).
_HEADING = re.compile(r"^(§+\s*\d+|kap(ittel)?\.?\s+(\d+|[ivxlc]+)\b)", re.IGNORECASE)
FOCUS_WEIGHT = 0.5
DECLINE_MESSAGE = (
    "Jeg fant ingen kilder som svarer på dette spørsmålet, så jeg kan ikke gi et sikkert svar. "
    "Spørsmålet kan ligge utenfor det denne assistenten dekker."
)


@dataclass(frozen=True, slots=True)
class Source:
    """A passage the composer may quote."""

    id: str
    text: str
    coverage: float | None = None  # measured against corpus statistics, if known


@dataclass(frozen=True, slots=True)
class Composition:
    """What the composer wrote, or why it declined."""

    sentences: tuple[CitedSentence, ...]
    declined: bool
    coverage: float

    @property
    def text(self) -> str:
        return DECLINE_MESSAGE if self.declined else format_answer(list(self.sentences))


def matched_terms(question_terms: Collection[str], text_terms: Collection[str]) -> set[str]:
    """Question terms found in a text, whole or as the first part of a compound.

    Norwegian glues words together: "oppsigelsestid" should meet "oppsigelsesfrist", and
    "depositum" should meet "depositumskonto". Terms of six or more letters that share their
    first six letters count as a match.
    """
    present = set(text_terms)
    prefixes = {t[:6] for t in present if len(t) >= 6}
    return _matched(question_terms, present, prefixes)


def _matched(
    question_terms: Collection[str], present: Collection[str], prefixes: Collection[str]
) -> set[str]:
    return {t for t in question_terms if t in present or (len(t) >= 6 and t[:6] in prefixes)}


def matched_in(question_terms: Collection[str], text: str) -> set[str]:
    """``matched_terms`` against a text's terms, with the text's terms cached."""
    return _matched(question_terms, term_set(text), term_prefixes(text))


def coverage(question_terms: Collection[str], text: str) -> float:
    """Share of the question's distinct terms that occur in a text."""
    wanted = set(question_terms)
    if not wanted:
        return 0.0
    return len(matched_in(wanted, text)) / len(wanted)


def is_heading(sentence: str, position: int) -> bool:
    """Whether a sentence of a passage is a heading: it starts with a section or chapter
    number, or it is the passage's first line and ends without a full stop."""
    if _HEADING.match(sentence):
        return True
    return position == 0 and not sentence.rstrip().endswith((".", "?", "!", ":", ";"))


def compose(
    question: str,
    sources: Sequence[Source],
    *,
    max_sentences: int = 3,
    min_coverage: float = 0.5,
    exclude: Collection[str] = (),
    focus_weight: float = FOCUS_WEIGHT,
) -> Composition:
    """Pick the sentences that best cover the question, each cited to its source.

    Args:
        question: What was asked.
        sources: Retrieved passages, best first.
        max_sentences: Most sentences in the answer.
        min_coverage: Decline unless some passage holds this share of the question's terms.
        exclude: Sentences a reviewer rejected; never used again.
        focus_weight: How much more a sentence counts when it states what the question asks
            for (a number, a time or deadline, a right or duty, a party: ``tools.focus``).
    """
    question_terms = set(terms(question))
    best = max(
        (coverage(question_terms, s.text) if s.coverage is None else s.coverage for s in sources),
        default=0.0,
    )
    if not question_terms or best < min_coverage:
        return Composition((), True, best)

    focus = question_focus(question)
    scored: list[tuple[float, int, int, CitedSentence]] = []
    for rank, source in enumerate(sources):
        sentences = split_sentences(source.text)
        # A heading ("§ 3-5. Depositum") names what every sentence under it is about.
        heading = (
            matched_in(question_terms, sentences[0])
            if sentences and is_heading(sentences[0], 0)
            else set()
        )
        body = 0
        for position, sentence in enumerate(sentences):
            words = sentence.split()
            if (
                len(words) < 5
                or is_heading(sentence, position)
                or _EDITORIAL.match(sentence)
                or sentence in exclude
            ):
                continue
            body += 1
            own = matched_in(question_terms, sentence)
            inherited = heading - own
            if not own and not inherited:
                continue
            # Law sections state their main rule first, so early sentences get a lead bonus;
            # better-ranked passages and earlier sentences break ties.
            lead = 0.2 / body if body <= 2 else 0.0
            brevity = 1 + len(words) / 60
            score = ((len(own) + 0.5 * len(inherited)) / len(question_terms) / brevity + lead) / (
                1 + 0.1 * rank
            )
            if focus:  # a sentence that states what is asked for beats one that shares words
                answered = sum(states(sentence, f) for f in focus) / len(focus)
                score *= 1 + focus_weight * answered
            scored.append((score, rank, position, CitedSentence(sentence, (source.id,))))
    scored.sort(key=lambda item: (-item[0], item[1], item[2]))
    chosen = sorted(scored[:max_sentences], key=lambda item: (item[1], item[2]))
    if not chosen:
        return Composition((), True, best)
    return Composition(tuple(item[3] for item in chosen), False, best)
