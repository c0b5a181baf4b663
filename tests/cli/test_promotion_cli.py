"""``kilab verify-log`` and ``kilab history`` as real subprocesses, on a signed log whose head
the run store keeps: every kind of tamper is caught by plain ``verify-log``."""

from __future__ import annotations

from pathlib import Path

import pytest
from kilab_subprocess import run_kilab
from promotion_tampers import KEY, TAMPERS, append_record, tamper

from kilab.evals.promotion import PromotionLog
from kilab.evals.store import SqliteRunStore


def _signed_log(home: Path) -> PromotionLog:
    """Three signed records in $KILAB_HOME/promotions.jsonl, their head in its runs.sqlite."""
    store = SqliteRunStore(home / "runs.sqlite")
    log = PromotionLog(home / "promotions.jsonl", key=KEY)
    try:
        for stage, run_id in (("pilot", "r1"), ("production", "r2"), ("production", "r3")):
            append_record(log, stage, run_id, heads=store)
    finally:
        store.close()
    return log


def _kilab(*args: str, home: Path, key: str = KEY) -> tuple[int, str, str]:
    # --log and --store default to $KILAB_HOME, as a user's plain ``kilab verify-log`` does
    done = run_kilab(*args, home=home, cwd=home, env={"KILAB_LOG_KEY": key}, timeout=120)
    return done.returncode, done.stdout, done.stderr


def test_an_untouched_signed_log_verifies_and_history_prints_both_heads(tmp_path: Path) -> None:
    log = _signed_log(tmp_path)
    code, out, err = _kilab("verify-log", home=tmp_path)
    assert code == 0, err
    assert "3 records, chain intact, signatures valid" in out and "as the run store keeps" in out
    code, out, _ = _kilab("history", home=tmp_path)
    head = log.records()[-1].hash
    assert code == 0 and f"head: record 3, hash {head}" in out
    assert "keeps the same head" in out


@pytest.mark.parametrize("kind", TAMPERS)
def test_plain_verify_log_catches_everytamper(kind: str, tmp_path: Path) -> None:
    log = _signed_log(tmp_path)
    tamper(kind, log.path)
    code, _, err = _kilab("verify-log", home=tmp_path)
    assert code == 1, f"{kind}: {err}"
    assert "the log was changed after it was written" in err and "Traceback" not in err


def test_history_shows_a_store_head_that_differs_from_the_file(tmp_path: Path) -> None:
    log = _signed_log(tmp_path)
    tamper("delete-last", log.path)
    code, out, _ = _kilab("history", home=tmp_path)
    assert code == 0 and "head: record 2" in out and "record 3" in out and "differs" in out


def test_verify_log_without_the_key_warns_that_signatures_went_unchecked(tmp_path: Path) -> None:
    _signed_log(tmp_path)
    code, out, err = _kilab("verify-log", home=tmp_path, key="")
    assert code == 0 and "signatures not checked" in out and "KILAB_LOG_KEY is unset" in err
