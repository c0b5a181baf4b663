"""The offline drafter declines a question whose passages scatter over many sources, measured
with real BM25 over real law sections (husleieloven and one section of each of eight other
laws from the bundled Lovdata corpus)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from kilab.agents.drafter import DrafterSettings, ExtractiveDrafter, source_agreement
from kilab.tools.compose import DECLINE_MESSAGE
from kilab.tools.retrieval.memory import InMemoryRetriever
from kilab.tools.retrieval.types import Chunk, Passage, passage
from kilab.tools.termstats import TermStatistics
from kilab.tools.text import terms

SECTIONS = Path(__file__).resolve().parents[2] / "data" / "lovdata" / "realestate-sections.jsonl"
HUSLEIELOVEN = "nl-19990326-017"
TENANCY = ("§3-1", "§3-2", "§3-5", "§3-6", "§9-5", "§9-6")
IN_SCOPE = "Kan utleier kreve at depositumet bare settes inn på kontoen hans?"
OFF_TOPIC = "Hvordan lager jeg lapskaus?"


@cache
def _retriever() -> tuple[InMemoryRetriever, TermStatistics]:
    by_law: dict[str, list[Chunk]] = {}
    for line in SECTIONS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        chunk = Chunk(row["id"], row["text"], row["title"], row["url"], row["source"])
        by_law.setdefault(row["law_id"], []).append(chunk)
    tenancy = [c for c in by_law[HUSLEIELOVEN] if c.id.split("#")[1] in TENANCY]
    others = [sections[3] for law, sections in by_law.items() if law != HUSLEIELOVEN][:8]
    chunks = tenancy + others
    return InMemoryRetriever(chunks), TermStatistics(c.text for c in chunks)


def _passages(question: str) -> list[Passage]:
    """The five best passages with their coverage, as the search node gives them."""
    retriever, statistics = _retriever()
    wanted = terms(question)
    return [
        h.passage(statistics.coverage(wanted, f"{h.chunk.title} {h.chunk.text}"))
        for h in retriever.search(question, 5)
    ]


def test_source_agreement_is_the_largest_share_from_one_source() -> None:
    def of(*sources: str) -> list[Passage]:
        return [passage(f"p{i}", "tekst", source=s) for i, s in enumerate(sources)]

    assert source_agreement(of("a", "a", "b", "a", "c")) == 0.6
    assert source_agreement(of("a", "b", "c", "d")) == 0.25
    assert source_agreement(of("", "")) == 1.0  # one unnamed source agrees with itself
    assert source_agreement([]) == 0.0


def test_an_in_scope_question_finds_its_passages_in_one_law_and_is_answered() -> None:
    found = _passages(IN_SCOPE)
    assert found[0]["id"] == f"{HUSLEIELOVEN}#§3-5"
    assert source_agreement(found) >= 0.8
    draft = ExtractiveDrafter(DrafterSettings(min_coverage=0.05, min_agreement=0.8)).draft(
        IN_SCOPE, found
    )
    assert not draft.declined and f"[{HUSLEIELOVEN}#§3-5]" in draft.text


def test_an_off_topic_question_is_declined_where_word_coverage_lets_it_through() -> None:
    found = _passages(OFF_TOPIC)
    # "lager" is a word the laws use: the best passage covers the question well enough
    assert max(p["coverage"] for p in found) >= 0.2
    assert source_agreement(found) < 0.8
    by_coverage = ExtractiveDrafter(DrafterSettings(min_coverage=0.2, min_agreement=0))
    assert not by_coverage.draft(OFF_TOPIC, found).declined
    by_agreement = ExtractiveDrafter(DrafterSettings(min_coverage=0.2, min_agreement=0.8))
    draft = by_agreement.draft(OFF_TOPIC, found)
    assert draft.declined and draft.text == DECLINE_MESSAGE


def test_agreement_counts_only_the_passages_put_before_the_drafter() -> None:
    text = "Leieren betaler depositum til utleieren når avtalen inngås."
    sources = ["husleieloven", "husleieloven", "a", "b", "c"]
    scattered = [passage(f"p{i}", text, source=s) for i, s in enumerate(sources)]
    one = DrafterSettings(min_coverage=0, min_agreement=0.8, max_passages=2)
    assert not ExtractiveDrafter(one).draft("Hvem betaler depositum?", scattered).declined
    five = DrafterSettings(min_coverage=0, min_agreement=0.8, max_passages=5)
    assert ExtractiveDrafter(five).draft("Hvem betaler depositum?", scattered).declined
