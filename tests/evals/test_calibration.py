"""Calibration: κ and its bootstrap, the shipped labels, and any judge scored against them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from kilab.core.errors import ConfigError
from kilab.evals.calibration import (
    bootstrap_kappa,
    cases_by_id,
    cohen_kappa,
    datasets_beside,
    load_labels,
)
from kilab.evals.metrics.correctness import LABELS, FactMatcherJudge, label_of

ROOT = Path(__file__).resolve().parents[2]
LABELS_FILE = ROOT / "configs" / "datasets" / "husleie-labels.jsonl"
SHIPPED = ROOT / "configs" / "datasets" / "calibrations.jsonl"


def test_kappa_against_hand_computed_values() -> None:
    assert cohen_kappa(["correct", "wrong"], ["correct", "wrong"]) == 1.0
    # observed 0.75, expected 0.5·0.25 + 0.5·0.75 = 0.5 → κ = 0.5
    human = ["correct", "correct", "wrong", "wrong"]
    judge = ["correct", "wrong", "wrong", "wrong"]
    assert cohen_kappa(human, judge) == pytest.approx(0.5)  # type: ignore[arg-type]
    # always the same label: no better than chance
    assert cohen_kappa(human, ["wrong"] * 4) == pytest.approx(0.0)  # type: ignore[arg-type]


def test_the_bootstrap_is_seeded_and_brackets_kappa() -> None:
    human = ["correct"] * 30 + ["partly"] * 10 + ["wrong"] * 30
    judge = ["correct"] * 25 + ["wrong"] * 5 + ["partly"] * 6 + ["wrong"] * 4 + ["wrong"] * 30
    low, high = bootstrap_kappa(human, judge, seed=3, resamples=500)  # type: ignore[arg-type]
    assert (low, high) == bootstrap_kappa(human, judge, seed=3, resamples=500)  # type: ignore[arg-type]
    assert low < cohen_kappa(human, judge) < high  # type: ignore[arg-type]
    assert (low, high) != bootstrap_kappa(human, judge, seed=4, resamples=500)  # type: ignore[arg-type]


def test_score_bands() -> None:
    assert [label_of(s) for s in (1.0, 0.8, 0.75, 0.5, 0.2, 0.0)] == [
        "correct",
        "correct",
        "partly",
        "partly",
        "wrong",
        "wrong",
    ]


def test_the_shipped_labels_cover_150_answers_of_every_kind() -> None:
    labels = load_labels(LABELS_FILE)
    assert len(labels) >= 150
    assert {x.label for x in labels} == set(LABELS)
    assert {x.origin.split(":")[0] for x in labels} == {"drafter", "written", "paraphrase"}
    assert all(len(x.reason) > 10 for x in labels)
    cases = cases_by_id(datasets_beside(LABELS_FILE))
    assert not [x.case_id for x in labels if x.case_id not in cases]
    assert all(cases[x.case_id].expect == "answer" for x in labels)


def test_a_bad_label_line_is_located(tmp_path: Path) -> None:
    bad = tmp_path / "x-labels.jsonl"
    good = {"id": "a", "case_id": "c", "answer": "Svar.", "label": "correct", "reason": "fordi"}
    bad.write_text(
        json.dumps(good) + "\n" + json.dumps(good | {"id": "b", "label": "maybe"}) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_labels(bad)
    (problem,) = caught.value.problems
    assert problem.location.line == 2 and problem.key == "label"
    assert problem.allowed == ["correct", "partly", "wrong"]


def test_calibrate_the_fact_matcher_from_the_command_line(tmp_path: Path) -> None:
    from kilab_subprocess import run_kilab

    done = run_kilab("judge", "calibrate", "--json", home=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["judge"] == "fact_recall" and result["n"] >= 150
    low, high = result["kappa_ci95"]
    assert low <= result["kappa"] <= high
    confusion = result["confusion"]["human_by_judge"]
    assert sum(sum(row.values()) for row in confusion.values()) == result["n"]
    agreed = sum(confusion[label][label] for label in LABELS)
    assert result["accuracy"] == pytest.approx(agreed / result["n"], abs=1e-4)
    assert len(result["disagreements"]) == result["n"] - agreed
    # it is logged, so a gate can ask for it
    logged = (tmp_path / "calibrations.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(logged[-1])["kappa"] == pytest.approx(result["kappa"], abs=1e-4)
    # the project ships exactly this result ('kilab judge calibrate --ship' wrote it): a
    # matcher or labels change makes this fail until the command is run again
    (shipped,) = SHIPPED.read_text(encoding="utf-8").splitlines()
    record = json.loads(shipped)
    assert record["version"] == result["version"] == FactMatcherJudge().version
    assert record["labels_digest"] == result["labels_digest"] and record["n"] == result["n"]
    assert [record["kappa"], record["kappa_low"], record["kappa_high"]] == pytest.approx(
        [result["kappa"], *result["kappa_ci95"]], abs=1e-4
    )


def test_a_fresh_home_shows_the_shipped_calibration_of_the_fact_matcher(
    configs: Path, tmp_path: Path
) -> None:
    """``make demo`` in a new KILAB_HOME: fact_recall is calibrated by the file the project
    ships beside its datasets, and no longer once that file is of another matcher version."""
    from kilab_subprocess import run_kilab

    datasets = configs / "datasets"
    few = (datasets / "husleie-test.jsonl").read_text(encoding="utf-8").splitlines()[:2]
    (datasets / "husleie-few.jsonl").write_text("\n".join(few) + "\n", encoding="utf-8")
    shipped = json.loads((datasets / "calibrations.jsonl").read_text(encoding="utf-8"))
    home = tmp_path / "home"

    def evaluate(*extra: str) -> Any:
        args = ("eval", str(configs / "pilots" / "husleie.yaml"), "--variants", "bm25")
        dataset = ("--dataset", str(datasets / "husleie-few.jsonl"))
        done = run_kilab(*args, *dataset, *extra, home=home, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if extra else done.stdout

    judged = evaluate("--json")["judges"]["fact_recall"]
    assert judged["calibrated"] is True and judged["labels"] == shipped["n"]
    assert judged["kappa"] == pytest.approx(shipped["kappa"])
    assert not (home / "calibrations.jsonl").exists()  # nothing was calibrated in this home
    shown = evaluate()
    assert f"κ {shipped['kappa']:.2f}, n={shipped['n']}" in shown
    assert "uncalibrated" not in shown

    stale = {**shipped, "version": "0" * 12}  # computed with another matcher
    (datasets / "calibrations.jsonl").write_text(json.dumps(stale) + "\n", encoding="utf-8")
    assert evaluate("--json")["judges"]["fact_recall"]["calibrated"] is False


def _project_with_fake_judge(configs: Path, base_url: str) -> None:
    models = configs / "models.yaml"
    models.write_text(
        models.read_text(encoding="utf-8")
        + f"  fakejudge:\n    provider: openai-compatible\n    model: judge-test\n"
        f"    base_url: {base_url}\n    max_retries: 0\n",
        encoding="utf-8",
    )


def test_a_model_judge_over_the_wire_agrees_when_it_reads_the_answer(
    configs: Path, tmp_path: Path
) -> None:
    """A fake OpenAI server that answers with the person's label for the question and answer
    it is shown: κ is 1 only if every request carries the rubric, the facts and the answer."""
    from kilab_subprocess import run_kilab

    from kilab.agents.testing import FakeOpenAIServer

    verdicts = {"correct": "riktig", "partly": "delvis", "wrong": "feil"}
    cases = cases_by_id(datasets_beside(LABELS_FILE))
    by_answer = {
        (cases[x.case_id].question, x.answer.strip()): verdicts[x.label]
        for x in load_labels(LABELS_FILE)
    }

    def reply(body: dict[str, Any]) -> str:
        system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
        assert "riktig" in system and "delvis" in system  # the bokmål rubric
        assert "Nøkkelfakta:" in user
        answer = re.search(r"<svar>\n(.*)\n</svar>", user, re.S)
        question = re.search(r"^Spørsmål: (.*)$", user, re.M)
        assert answer is not None and question is not None
        verdict = by_answer[(question.group(1).strip(), answer.group(1).strip())]
        return json.dumps({"verdict": verdict, "reason": "test"})

    with FakeOpenAIServer(reply) as server:
        _project_with_fake_judge(configs, server.base_url)
        done = run_kilab(
            "judge",
            "calibrate",
            "fakejudge",
            "--samples",
            "1",
            "--json",
            "--configs",
            str(configs),
            home=tmp_path,
        )
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert result["kappa"] == 1.0 and result["accuracy"] == 1.0
        assert result["judge"].startswith("answer_correct:openai-compatible:judge-test@")
        assert len(server.requests) == result["n"] >= 150
        # the cited law text reached the judge
        assert any(
            "skal deponere et beløp" in r["messages"][-1]["content"] for r in server.requests
        )
