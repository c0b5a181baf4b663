"""The offline fact matcher: Norwegian normalisation, number binding, polarity."""

from __future__ import annotations

import pytest

from kilab.evals.datasets import Case
from kilab.evals.metrics import get_metric
from kilab.evals.metrics.facts import fact_recall, fact_stated, missing_facts
from kilab.evals.records import CaseOutput


@pytest.mark.parametrize(
    ("fact", "answer"),
    [
        ("seks måneders leie", "Utleier kan kreve opptil 6 mnd. husleie i depositum."),
        ("seks måneders leie", "Depositumet kan ikke overstige summen av seks måneders leie."),
        ("én måned", "Fristen er en måned."),
        ("én måned", "Oppseiingstida er ein månad."),  # nynorsk
        ("fem uker", "Leigaren har fem veker på seg."),
        ("10 000 kroner", "Gebyret var 10000 kr."),
        ("depositumskonto", "Utleieren dekker kostnadene med å opprette depositumskontoen."),
        ("saklig grunn", "Han kan ikke nekte uten saklig grunn."),
        (
            "ikke lengre enn én måned",
            "Det kan ikke avtales forskuddsbetaling for lengre tid enn én måned.",
        ),
        ("fremleie", "Du kan framleie med godkjenning."),
    ],
)
def test_facts_are_found_through_normalisation(fact: str, answer: str) -> None:
    assert fact_stated(fact, answer)


@pytest.mark.parametrize(
    ("fact", "answer"),
    [
        ("seks måneders leie", "Utleier kan kreve tre måneders leie, og du har seks uker."),
        ("rett til å overta", "Nei, du har ikke rett til å overta leieavtalen."),
        ("ikke lengre enn én måned", "Forskuddsbetaling kan avtales for lengre tid enn én måned."),
        ("tre måneder", "Oppsigelsesfristen er én måned."),
        ("skriftlig", ""),
    ],
)
def test_wrong_numbers_and_flipped_polarity_are_not_facts(fact: str, answer: str) -> None:
    assert not fact_stated(fact, answer)


def test_recall_counts_facts_and_alternatives() -> None:
    facts = [["seks måneder", "et halvt år"], "skriftlig"]
    assert fact_recall(facts, "Et halvt år, og kravet må være skriftlig.") == 1.0
    assert fact_recall(facts, "Seks måneder.") == 0.5
    assert missing_facts(facts, "Seks måneder.") == ["skriftlig"]
    assert fact_recall([], "noe") is None


def test_the_metric_applies_to_answer_cases_with_facts() -> None:
    metric = get_metric("fact_recall")
    case = Case(id="c", question="Q?", answers=["seks måneders leie"], facts=["seks måneder"])
    assert metric.score(case, CaseOutput(answer="Inntil 6 måneder. [a]")) == 1.0
    assert metric.score(case, CaseOutput(answer="Beklager.", declined=True)) == 0.0
    assert metric.score(Case(id="d", question="Q?", answers=["x"]), CaseOutput(answer="x")) is None
    decline = Case(id="e", question="Q?", expect="decline", facts=["x"])
    assert metric.score(decline, CaseOutput(answer="x")) is None


def test_a_case_without_facts_keeps_its_hash() -> None:
    plain = Case(id="c", question="Q?", answers=["a"])
    assert "facts" not in plain.model_dump_json(exclude_defaults=True)
    with_facts = Case(id="c", question="Q?", answers=["a"], facts=["a"])
    assert plain.content_hash() != with_facts.content_hash()
    assert (
        plain.content_hash() == Case(id="c", question="Q?", answers=["a"], facts=[]).content_hash()
    )
