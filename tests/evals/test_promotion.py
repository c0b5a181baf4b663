"""The promotion log is hash-chained: any edit, removal or reordering is detected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from promotion_tampers import KEY, TAMPERS, append_record, tamper

from kilab.evals.promotion import GENESIS, PromotionLog, PromotionRecord
from kilab.evals.store import SqliteRunStore


@pytest.fixture
def log(tmp_path: Path) -> PromotionLog:
    log = PromotionLog(tmp_path / "promotions.jsonl")
    append_record(log, "pilot", "r1")
    append_record(log, "production", "r2")
    append_record(log, "production", "r3")
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


@pytest.fixture
def signed(tmp_path: Path) -> tuple[PromotionLog, SqliteRunStore]:
    """A signed log of three records whose head a real SQLite run store keeps."""
    store = SqliteRunStore(tmp_path / "runs.sqlite")
    log = PromotionLog(tmp_path / "promotions.jsonl", key=KEY)
    for stage, run_id in (("pilot", "r1"), ("production", "r2"), ("production", "r3")):
        append_record(log, stage, run_id, heads=store)
    return log, store


def test_a_signed_log_verifies_and_the_store_keeps_its_head(
    signed: tuple[PromotionLog, SqliteRunStore],
) -> None:
    log, store = signed
    records = log.records()
    assert all(r.signature and r.key_id for r in records)
    assert log.verify(heads=store) == []
    kept = store.log_head(log.log_id)
    assert kept is not None and (kept.seq, kept.hash) == (3, records[-1].hash)


@pytest.mark.parametrize("kind", TAMPERS)
def test_every_tamper_is_caught_by_verify_alone(
    kind: str, signed: tuple[PromotionLog, SqliteRunStore]
) -> None:
    log, store = signed
    tamper(kind, log.path)
    problems = log.verify(heads=store)
    assert problems, f"{kind} was not detected"


@pytest.mark.parametrize("kind", ["edit", "delete-last", "append-forged", "reorder"])
def test_append_refuses_a_log_that_fails_verification(
    kind: str, signed: tuple[PromotionLog, SqliteRunStore]
) -> None:
    from kilab.core.errors import UserError

    log, store = signed
    tamper(kind, log.path)
    before = log.path.read_bytes()
    with pytest.raises(UserError, match="fails verification"):
        append_record(log, heads=store)
    assert log.path.read_bytes() == before


def test_a_signed_log_needs_the_key_to_append_and_says_so_when_verified_without(
    signed: tuple[PromotionLog, SqliteRunStore],
) -> None:
    from kilab.core.errors import UserError

    log, store = signed
    keyless = PromotionLog(log.path, key="")
    assert keyless.verify(heads=store) == [] and keyless.unchecked_signatures()
    with pytest.raises(UserError, match="KILAB_LOG_KEY"):
        append_record(keyless, heads=store)
    wrong = PromotionLog(log.path, key="another-key")
    problems = [str(p) for p in wrong.verify(heads=store)]
    assert (
        len(problems) == 3 and "bad signature" in problems[0] and "signed with key" in problems[0]
    )


def test_an_unsigned_record_after_a_signed_one_is_caught_without_the_key(
    signed: tuple[PromotionLog, SqliteRunStore],
) -> None:
    log, _ = signed
    tamper("append-forged", log.path)
    problems = [str(p) for p in PromotionLog(log.path, key="").verify()]
    assert problems == ["line 4: not signed, but it follows a signed record"]


def test_the_key_comes_from_kilab_log_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KILAB_LOG_KEY", KEY)
    log = PromotionLog(tmp_path / "p.jsonl")
    append_record(log)
    from kilab.core.settings import settings
    from kilab.evals.promotion import signature

    assert KEY not in repr(settings())
    (only,) = log.records()
    assert only.signature == signature(KEY, only.hash)
