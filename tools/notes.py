"""The extractive note composer: a briefing note (notat) with fixed headings, every claim cited.

The offline method behind the notat pilot, and the baseline a model has to beat. It only
copies sentences from the sources (so every sentence is grounded in what it cites) and
arranges them under the headings Bakgrunn, Hovedpunkter, Konsekvenser and Kilder.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kilab.tools.citations import CitedSentence, format_answer
from kilab.tools.compose import _EDITORIAL, DECLINE_MESSAGE, Source, compose, coverage
from kilab.tools.text import split_sentences, terms

HEADINGS = ("Bakgrunn", "Hovedpunkter", "Konsekvenser", "Kilder")
# Words that mark what a rule means for those it applies to: duties, sanctions, dates.
CONSEQUENCE_CUES = (
    "trer i kraft ikrafttredelse overgangsregler plikt skal gebyr straff sanksjon oppheves "
    "gjelder fra frist kostnader"
)
# The request around the topic: "Lag et kort notat om …", "Skriv eit oversiktsnotat om …".
_REQUEST = re.compile(
    r"^\s*(lag|skriv|utarbeid)\s+(et|eit|ein|en)?\s*(kort|kortfattet)?\s*\w*notat\s+(om|over)\s+",
    re.IGNORECASE,
)
_HEADING_LINE = re.compile(r"^\s*#{1,6}\s*(.+?)\s*:?\s*$|^\s*(\w+)\s*:\s*$")


@dataclass(frozen=True, slots=True)
class NoteSource:
    """A document the note may quote: its id, title, link and text."""

    id: str
    title: str
    url: str
    text: str


@dataclass(frozen=True, slots=True)
class NoteSettings:
    """How much goes under each heading."""

    background: int = 2
    points: int = 6
    consequences: int = 3
    min_coverage: float = 0.2
    focus: float = 0.8  # quote only sources covering this share of the best one's coverage
    max_sources: int = 3


def topic_of(request: str) -> str:
    """What a note is to be about: the request without "Lag et kort notat om"."""
    topic = _REQUEST.sub("", request.strip(), count=1)
    return topic[:1].upper() + topic[1:] if topic else request


def _lead_sentences(source: NoteSource, most: int) -> list[CitedSentence]:
    chosen = []
    for sentence in split_sentences(source.text):
        if len(sentence.split()) >= 5 and not _EDITORIAL.match(sentence):
            chosen.append(CitedSentence(sentence, (source.id,)))
        if len(chosen) >= most:
            break
    return chosen


def _bullets(sentences: Sequence[CitedSentence]) -> str:
    return "\n".join(f"- {format_answer([s])}" for s in sentences)


def compose_note(
    question: str, sources: Sequence[NoteSource], settings: NoteSettings = NoteSettings()
) -> tuple[str, bool]:
    """A note with the four headings, or the decline message when nothing covers the question.

    Returns:
        The note's text and whether it declined.
    """
    question = topic_of(question)
    wanted = terms(question)
    covered = [coverage(wanted, f"{s.title} {s.text}") for s in sources]
    best = max(covered, default=0.0)
    if best < settings.min_coverage:
        return DECLINE_MESSAGE, True
    sources = [s for s, c in zip(sources, covered, strict=True) if c >= settings.focus * best]
    sources = sources[: settings.max_sources]
    plain = [Source(s.id, s.text) for s in sources]
    background = _lead_sentences(sources[0], settings.background)
    used = {s.text for s in background}
    points = compose(question, plain, max_sentences=settings.points, min_coverage=0.0, exclude=used)
    used |= {s.text for s in points.sentences}
    effects = compose(
        f"{question} {CONSEQUENCE_CUES}",
        plain,
        max_sentences=settings.consequences,
        min_coverage=0.0,
        exclude=used,
    )
    cited = {
        i for part in (background, points.sentences, effects.sentences) for s in part for i in s.ids
    }
    listed = [s for s in sources if s.id in cited] or sources[:1]
    sections = [
        ("Bakgrunn", format_answer(background)),
        ("Hovedpunkter", _bullets(points.sentences)),
        ("Konsekvenser", _bullets(effects.sentences) or "- Ingen særskilte konsekvenser funnet."),
        (
            "Kilder",
            "\n".join(f"- [{s.id}] {s.title}" + (f" ({s.url})" if s.url else "") for s in listed),
        ),
    ]
    return "\n\n".join(f"## {heading}\n{body}" for heading, body in sections), False


def headings_of(note: str) -> list[str]:
    """The headings of a note in order (Markdown ``## X`` lines or ``X:`` lines)."""
    found = []
    for line in note.splitlines():
        match = _HEADING_LINE.match(line)
        if match:
            found.append((match.group(1) or match.group(2)).strip().rstrip(":"))
    return found


def body_of(note: str) -> str:
    """The note without its headings and its list of sources: the claims it makes."""
    kept, in_sources = [], False
    for line in note.splitlines():
        match = _HEADING_LINE.match(line)
        if match:
            in_sources = (match.group(1) or match.group(2)).strip().casefold() == "kilder"
            continue
        if not in_sources and line.strip():
            kept.append(line.strip().removeprefix("- ").strip())
    return "\n".join(kept)
