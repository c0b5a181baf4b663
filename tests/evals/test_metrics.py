"""Metric values on hand-computed cases, and retrieval metrics computed directly."""

from __future__ import annotations

import random

import pytest

from kilab.core.errors import NotFoundError
from kilab.evals.datasets import Case
from kilab.evals.metrics import (
    case_passed,
    contains_reference,
    exact_match,
    get_metric,
    is_known,
    normalize_answer,
    resolve_metrics,
    suggest,
    token_f1,
)
from kilab.evals.records import CaseOutput
from kilab.tools.checks.testdata import generate_identity_number
from kilab.tools.retrieval.types import passage


def _case(**fields: object) -> Case:
    return Case.model_validate({"id": "c1", "question": "Hvor mye depositum?", **fields})


def _output(ids: list[str] = (), **fields: object) -> CaseOutput:  # type: ignore[assignment]
    texts = fields.pop("texts", {})
    assert isinstance(texts, dict)
    passages = [passage(i, texts.get(i, "")) for i in ids]
    return CaseOutput.model_validate({"passages": passages, **fields})


def score(name: str, case: Case, output: CaseOutput) -> float | None:
    return get_metric(name).score(case, output)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Opptil seks måneders leie.", "opptil 6 måneders leie"),
        ("En leier har ett år [nl#§1].", "leier har 1 år"),
        ("Beløpet er 10 000 kr, dvs. 1 000 000 øre", "beløpet er 10000 kr dvs 1000000 øre"),
        ("Renten er 2,5 prosent.", "renten er 2.5 prosent"),
        ("«Tre» måneder – ikke TO!", "3 måneder ikke 2"),
    ],
)
def test_norwegian_normalisation(text: str, expected: str) -> None:
    assert normalize_answer(text) == expected


def test_exact_match_and_f1_by_hand() -> None:
    assert exact_match("Seks måneders leie.", ["6 måneders leie"]) == 1.0
    assert exact_match("seks måneder", ["6 måneders leie"]) == 0.0
    # prediction: [inntil, 6, måneders, leie]; reference: [6, måneders, leie]
    # overlap 3, precision 3/4, recall 3/3 -> F1 = 2 * .75 * 1 / 1.75 = 6/7
    assert token_f1("Inntil seks måneders leie", ["6 måneders leie"]) == pytest.approx(6 / 7)
    # the best reference counts
    assert token_f1("tre måneder", ["ett år", "tre måneder"]) == 1.0
    assert token_f1("noe helt annet", ["tre måneder"]) == 0.0
    assert token_f1("svar", []) is None


def test_contains_is_token_aligned() -> None:
    assert contains_reference("Leien er seks måneder [a].", ["6 måneder"]) == 1.0
    assert contains_reference("Leien er 16 måneder.", ["6 måneder"]) == 0.0


def test_retrieval_metrics_by_hand() -> None:
    case = _case(gold_ids=["b", "d"])
    output = _output(["a", "b", "c", "d"])
    assert score("recall@1", case, output) == 0.0
    assert score("recall@2", case, output) == 0.5
    assert score("recall@4", case, output) == 1.0
    assert score("mrr", case, output) == 0.5
    # DCG@4 = 1/log2(3) + 1/log2(5); IDCG = 1 + 1/log2(3)
    import math

    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert score("ndcg@4", case, output) == pytest.approx(expected)
    assert score("recall@5", _case(), output) is None  # no gold: not applicable


def test_retrieval_metrics_agree_with_a_direct_computation() -> None:
    # trec_eval is the reference of kilab.evals.ranking's own tests (test_ranking.py); here:
    # the wiring through cases.
    rng = random.Random(7)
    for _ in range(30):
        docs = [f"d{i}" for i in range(20)]
        rng.shuffle(docs)
        gold = rng.sample(docs, rng.randint(1, 3))
        ranked = docs[:12]
        case, output = _case(gold_ids=gold), _output(ranked)
        first = min((ranked.index(g) + 1 for g in gold if g in ranked), default=None)
        assert score("mrr", case, output) == (1 / first if first else 0.0)
        assert score("recall@5", case, output) == len(set(ranked[:5]) & set(gold)) / len(gold)


def test_citation_metrics_by_hand() -> None:
    case = _case(gold_ids=["a", "b"])
    output = _output(["a", "c"], citations=["a", "c", "x"])
    assert score("citation_precision", case, output) == pytest.approx(1 / 3)
    assert score("citation_recall", case, output) == 0.5
    assert score("citation_resolves", case, output) == pytest.approx(2 / 3)
    declined = _output(["a"], declined=True, citations=[])
    assert score("citation_precision", case, declined) is None
    assert score("citation_recall", case, declined) == 0.0


def test_grounding_counts_supported_sentences() -> None:
    texts = {
        "p1": "Utleieren kan kreve depositum på opptil seks måneders leie.",
        "p2": "Oppsigelsesfristen er tre måneder.",
    }
    answer = (
        "Utleieren kan kreve depositum på seks måneders leie. [p1] "
        "Hunden må bo i kjelleren om vinteren. [p2]"
    )
    output = _output(["p1", "p2"], texts=texts, answer=answer, citations=["p1", "p2"])
    assert score("grounding", _case(), output) == 0.5
    assert score("grounding", _case(), _output(declined=True, answer="Nei.")) is None


def test_behaviour_metrics() -> None:
    answer_case, decline_case = _case(), _case(expect="decline")
    answered, declined = _output(answer="Svar. [a]"), _output(declined=True)
    assert score("decline_accuracy", answer_case, answered) == 1.0
    assert score("decline_accuracy", answer_case, declined) == 0.0
    assert score("decline_accuracy", decline_case, declined) == 1.0
    assert score("answers_when_should", answer_case, declined) == 0.0
    assert score("answers_when_should", decline_case, declined) is None
    assert score("declines_when_should", decline_case, answered) == 0.0


def test_safety_metrics() -> None:
    number = generate_identity_number(random.Random(3))
    leak = _output(answer=f"Leieren har fødselsnummer {number}. [a]")
    assert score("pii_leaks", _case(), leak) == 1.0
    assert score("pii_leaks", _case(), _output(answer="Ingen personopplysninger her.")) == 0.0
    trapped = _case(traps=["HACKED", "send passordet"])
    assert score("injection_obeyed", trapped, _output(answer="Ok: hacked!")) == 1.0
    assert score("injection_obeyed", trapped, _output(answer="Depositum er seks måneder.")) == 0.0
    assert score("injection_obeyed", _case(), _output(answer="HACKED")) is None


def test_key_points_share() -> None:
    case = _case(key_points=["informasjonsplikt", "overtredelsesgebyr ved brudd"])
    output = _output(answer="Loven innfører informasjonsplikt for politikere.")
    assert score("key_points", case, output) == 0.5


def test_cost_metrics_sum_usage() -> None:
    output = _output(
        usage={
            "draft": {"calls": 1, "input_tokens": 100, "output_tokens": 20, "cost": 0.5},
            "review": {"calls": 2, "input_tokens": 50, "output_tokens": 5, "cost": 0.25},
        },
        latency_s=1.5,
    )
    assert score("tokens", _case(), output) == 175
    assert score("cost", _case(), output) == 0.75
    assert score("latency_p95", _case(), output) == 1.5
    assert get_metric("latency_p95").aggregate == "p95"


def test_names_are_parametrised_and_checked() -> None:
    assert is_known("recall@17") and is_known("ndcg@3") and is_known("judge")
    assert not is_known("recall@0") and not is_known("recal@5") and not is_known("mrr@5")
    assert suggest("recal@5") == "recall@5"
    with pytest.raises(NotFoundError, match="did you mean 'grounding'"):
        get_metric("grundning")
    names = [m.name for m in resolve_metrics(["mrr", "judge", "mrr"])]
    assert names == ["mrr", "latency_p50", "latency_p95", "tokens", "cost"]  # no judge: skipped


def test_case_passes_only_when_every_marked_metric_passes() -> None:
    metrics = resolve_metrics(["decline_accuracy", "pii_leaks", "answer_f1"])
    assert case_passed(metrics, {"decline_accuracy": 1.0, "pii_leaks": 0.0, "answer_f1": 0.1})
    assert not case_passed(metrics, {"decline_accuracy": 0.0, "pii_leaks": 0.0})
    assert not case_passed(metrics, {"decline_accuracy": 1.0, "pii_leaks": 2.0})
    assert not case_passed(metrics, {"decline_accuracy": 1.0}, error="boom")
