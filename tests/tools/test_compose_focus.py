"""The extractive composer never quotes a heading and prefers the sentence that states what
the question asks for (a number, a deadline, a right or duty) over one that shares its words."""

from __future__ import annotations

import pytest

from kilab.tools.compose import Source, compose, is_heading
from kilab.tools.focus import question_focus, states

DEPOSIT = (
    "§ 3-5. Depositum\n"
    "Depositumet skal stå på en særskilt konto i leierens navn.\n"
    "Depositumet kan ikke overstige summen av seks måneders leie."
)


def _answer(question: str, text: str, **kwargs: float) -> list[str]:
    found = compose(question, [Source("s", text)], max_sentences=1, min_coverage=0.1, **kwargs)
    return [s.text for s in found.sentences]


def test_a_heading_is_never_an_answer_sentence() -> None:
    question = "Hva er tidspunkt for overlevering av husrommet?"
    text = (
        "§ 2-1. Tidspunkt for overlevering av husrommet\n"
        "Utleieren skal stille husrommet til leierens disposisjon til avtalt tid."
    )
    found = compose(question, [Source("s", text)], max_sentences=3, min_coverage=0.1)
    assert [s.text for s in found.sentences] == [
        "Utleieren skal stille husrommet til leierens disposisjon til avtalt tid."
    ]
    assert is_heading("§ 9-3 a. Midlertidig unntak ved utleie av fritidsbolig som bolig", 3)
    assert is_heading("Kapittel 9. Opphør av leieavtalen", 1)
    assert is_heading("Depositum", 0) and not is_heading("Leien skal betales.", 0)


def test_the_sentence_that_states_the_amount_wins_over_the_first_one() -> None:
    question = "Hvor mye kan depositumet være?"
    assert question_focus(question) >= {"amount"}
    first, amount = DEPOSIT.split("\n")[1:]
    assert _answer(question, DEPOSIT, focus_weight=0.0) == [first]  # the lead sentence
    assert _answer(question, DEPOSIT) == [amount]


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("Hvor lang oppsigelsestid har jeg?", "time"),
        ("Kor lenge kan eg framleige?", "time"),
        ("Når må husleia være betalt?", "time"),
        ("Hvem betaler for depositumskontoen?", "party"),
        ("Kan utleier nekte meg å ha katt?", "right"),
        ("Hvor mye kan leia økes?", "amount"),
    ],
)
def test_question_focus(question: str, focus: str) -> None:
    assert focus in question_focus(question)


def test_what_a_sentence_states() -> None:
    assert states("Oppsigelsesfristen skal være tre måneder.", "time")
    assert states("Leieren kan protestere innen én måned.", "time")
    assert states("Beløpet er begrenset til seks måneders leie.", "amount")
    assert states("Leieren plikter å vedlikeholde kraner.", "right")
    assert not states("Husrommet skal være ryddet og rengjort.", "amount")
    assert not question_focus("Depositum")
