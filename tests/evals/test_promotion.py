"""The promotion log is hash-chained: any edit, removal or reordering is detected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kilab.evals.promotion import GENESIS, PromotionLog


def _append(log: PromotionLog, stage: str = "pilot", run_id: str = "r1") -> str:
    record = log.append(
        pilot="husleie",
        stage=stage,
        run_id=run_id,
        variant="baseline",
        scores={"recall@5": {"value": 0.8, "low": 0.7, "high": 0.9, "n": 75}},
        gate=[{"rule": "min_cases", "passed": True, "evidence": "88 ≥ 40"}],
        config_hash="c",
        dataset_hash="d",
        code_version="v",
        by="tester",
    )
    return record.hash


@pytest.fixture
def log(tmp_path: Path) -> PromotionLog:
    log = PromotionLog(tmp_path / "promotions.jsonl")
    _append(log, "pilot", "r1")
    _append(log, "production", "r2")
    _append(log, "production", "r3")
    return log


def _lines(log: PromotionLog) -> list[str]:
    return log.path.read_text(encoding="utf-8").splitlines()


def _write(log: PromotionLog, lines: list[str]) -> None:
    log.path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_an_untouched_log_verifies_and_chains(log: PromotionLog) -> None:
    records = log.records()
    assert [r.seq for r in records] == [1, 2, 3]
    assert records[0].prev_hash == GENESIS
    assert records[1].prev_hash == records[0].hash
    assert log.verify() == [] and log.verify(head=log.head()) == []
    assert log.current_stage("husleie") == "production"
    assert log.current_stage("other") == "experiment"


def test_an_edited_score_is_detected(log: PromotionLog) -> None:
    lines = _lines(log)
    lines[0] = lines[0].replace('"value":0.8', '"value":0.95')
    _write(log, lines)
    problems = [str(p) for p in log.verify()]
    assert problems == ["line 1: edited: its hash does not match its content"]


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(log: PromotionLog) -> None:
    from kilab.evals.promotion import PromotionRecord

    lines = _lines(log)
    record = PromotionRecord.model_validate_json(lines[1])
    forged = record.model_copy(update={"run_id": "forged"})
    forged = forged.model_copy(update={"hash": forged.computed_hash()})
    lines[1] = forged.model_dump_json()
    _write(log, lines)
    problems = [str(p) for p in log.verify()]
    assert len(problems) == 1 and problems[0].startswith("line 3: does not follow")


def test_a_removed_record_and_a_lost_tail_are_detected(log: PromotionLog) -> None:
    head = log.head()
    lines = _lines(log)
    _write(log, [lines[0], lines[2]])
    assert {p.line for p in log.verify()} == {2}
    _write(log, lines[:2])
    assert log.verify() == []  # a chain alone cannot see its lost end …
    assert "missing at the end" in str(log.verify(head=head)[0])  # … the kept head can


def test_garbage_lines_are_reported(log: PromotionLog) -> None:
    with log.path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"hello": "world"}) + "\n")
    assert "not a promotion record" in str(log.verify()[0])
