"""Sentence support against the cited passages."""

from __future__ import annotations

from kilab.tools.grounding import check_answer, support


def test_support_over_several_passages_is_support_over_their_text_together() -> None:
    a = "Utleieren kan kreve depositum på opptil seks måneders leie."
    b = "Depositumet skal settes inn på en særskilt konto i leierens navn."
    sentence = "Depositum på seks måneders leie settes inn på en særskilt konto."
    assert support(sentence, a, b) == support(sentence, f"{a} {b}")
    assert support(sentence, a) < support(sentence, a, b) == 1.0
    assert support(sentence) == 0.0  # no evidence supports nothing
    assert support("og i på", a) == 1.0  # a sentence of stop words asks for nothing


def test_each_sentence_is_checked_against_the_passages_it_cites() -> None:
    passages = {"p1": "Oppsigelsesfristen er tre måneder.", "p2": "Hunder er tillatt."}
    answer = "Oppsigelsesfristen er tre måneder. [p1] Katter må bo ute. [p2] Noe annet. [p9]"
    checked = check_answer(answer, passages)
    assert [round(s.support, 2) for s in checked] == [1.0, 0.0, 0.0]
    assert [s.unknown_ids for s in checked] == [(), (), ("p9",)]
