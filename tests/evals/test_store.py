"""RunStore conformance: the SQLite, PostgreSQL and in-memory stores behave the same."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kilab.core.errors import NotFoundError
from kilab.evals.datasets import Case
from kilab.evals.records import (
    CaseOutput,
    CaseResult,
    RunInfo,
    RunLease,
    ToolCallRecord,
    UsageRecord,
)
from kilab.evals.store import MemoryRunStore, RunStore, SqliteRunStore, open_store, resolve_run
from kilab.evals.store.sqlite import SCHEMA_VERSION
from kilab.tools.retrieval.types import passage

T0 = datetime(2025, 6, 1, tzinfo=UTC)


def _run(run_id: str, pilot: str = "p", minutes: int = 0) -> RunInfo:
    return RunInfo(
        id=run_id,
        pilot=pilot,
        dataset="d.jsonl",
        dataset_hash="h",
        config_hash="c",
        code_version="v",
        variants=["baseline"],
        total=3,
        created_at=T0 + timedelta(minutes=minutes),
    )


def _result(
    run_id: str, key: str, case_id: str = "c1", error: str = "", answer: str = "Svar. [a]"
) -> CaseResult:
    output = CaseOutput(
        answer=answer,
        citations=["a"],
        verdict="approved",
        passages=[passage(id="a", title="§ 1", score=0.5, text="Tekst")],
        path=["retrieve", "draft", "review"],
        usage={"draft": UsageRecord(calls=1, input_tokens=10)},
        latency_s=0.2,
        tool_calls=[ToolCallRecord(node="research", step=1, tool="search", args={"query": "x"})],
    )
    return CaseResult(
        run_id=run_id,
        key=key,
        case=Case(id=case_id, question="Q?"),
        variant="baseline",
        output=output,
        metrics={"mrr": 1.0, "f1": None},
        passed=not error,
        error=error,
    )


@pytest.fixture(
    params=["sqlite", "memory", pytest.param("postgres", marks=pytest.mark.integration)]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunStore]:
    made: RunStore
    if request.param == "postgres":
        made = open_store(request.getfixturevalue("postgres_url"))
    elif request.param == "sqlite":
        made = SqliteRunStore(tmp_path / "runs.sqlite")
    else:
        made = MemoryRunStore()
    yield made
    made.close()


def test_it_is_a_run_store(store: RunStore) -> None:
    assert isinstance(store, RunStore)


def test_runs_are_created_listed_newest_first_and_updated(store: RunStore) -> None:
    store.create_run(_run("old", minutes=0))
    store.create_run(_run("new", minutes=5))
    store.create_run(_run("other", pilot="q", minutes=9))
    with pytest.raises(ValueError, match="exists"):
        store.create_run(_run("old"))
    assert [r.id for r in store.list_runs("p")] == ["new", "old"]
    assert [r.id for r in store.list_runs()] == ["other", "new", "old"]
    store.update_run(_run("old").model_copy(update={"status": "finished"}))
    assert store.get_run("old").status == "finished"
    with pytest.raises(NotFoundError):
        store.get_run("missing")


def test_results_round_trip_in_write_order_and_replace_by_key(store: RunStore) -> None:
    store.create_run(_run("r"))
    first = _result("r", "k2", "c2", error="boom")
    store.put_result(first)
    store.put_result(_result("r", "k1", "c1"))
    assert [r.key for r in store.results("r")] == ["k2", "k1"]
    assert store.results("r")[1] == _result("r", "k1", "c1").model_copy(
        update={"finished_at": store.results("r")[1].finished_at}
    )
    assert store.result_keys("r") == {"k1"}
    assert store.result_keys("r", include_errors=True) == {"k1", "k2"}
    store.put_result(_result("r", "k2", "c2"))  # the retried case replaces the error
    assert store.result_keys("r") == {"k1", "k2"}
    assert [r.key for r in store.results("r")] == ["k2", "k1"]


def test_find_result_returns_the_newest_error_free_result_of_any_run(store: RunStore) -> None:
    store.create_run(_run("a"))
    store.create_run(_run("b", minutes=1))
    store.put_result(_result("a", "k", answer="first"))
    store.put_result(_result("b", "k", answer="second"))
    store.put_result(_result("b", "e", error="boom"))
    found = store.find_result("k")
    assert found is not None and found.output.answer == "second"
    assert store.find_result("e") is None and store.find_result("zzz") is None


def test_resolve_run_by_prefix_and_latest(store: RunStore) -> None:
    store.create_run(_run("husleie-250601-ab12", minutes=0))
    store.create_run(_run("husleie-250601-ab34", minutes=1))
    assert resolve_run(store, "latest").id == "husleie-250601-ab34"
    assert resolve_run(store, "husleie-250601-ab1").id == "husleie-250601-ab12"
    with pytest.raises(NotFoundError, match="ambiguous"):
        resolve_run(store, "husleie-250601-ab")
    with pytest.raises(NotFoundError, match="no run"):
        resolve_run(store, "nope")


def test_sqlite_file_is_wal_survives_reopen_and_reads_with_plain_sql(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "runs.sqlite"
    store = SqliteRunStore(path)
    store.create_run(_run("r"))
    store.put_result(_result("r", "k1"))
    store.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    row = db.execute(
        "SELECT question, answer, passages, usage, metrics, spans FROM results"
    ).fetchone()
    assert row[0] == "Q?" and row[1] == "Svar. [a]"
    assert json.loads(row[2])[0] == {
        "id": "a",
        "title": "§ 1",
        "score": 0.5,
        "text": "Tekst",
        "url": "",
        "source": "",
    }
    assert json.loads(row[3])["draft"]["input_tokens"] == 10
    assert json.loads(row[4]) == {"mrr": 1.0, "f1": None} and json.loads(row[5]) == []
    db.close()
    reopened = SqliteRunStore(path)
    assert [r.key for r in reopened.results("r")] == ["k1"]
    reopened.close()


def test_a_store_of_schema_1_gains_tool_calls_and_keeps_its_results(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    store = SqliteRunStore(path)
    store.create_run(_run("r1"))
    store.put_result(_result("r1", "k1"))
    store.close()
    # What the first store looked like: no tool_calls column.
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE results DROP COLUMN tool_calls")
        db.execute("ALTER TABLE results DROP COLUMN failed_rules")
        db.execute("UPDATE meta SET value = '1' WHERE name = 'schema_version'")
    store = SqliteRunStore(path)
    (old,) = store.results("r1")
    assert old.output.answer == "Svar. [a]" and old.output.tool_calls == []
    store.put_result(_result("r1", "k2"))
    assert store.results("r1")[1].output.tool_calls[0].tool == "search"
    store.close()
    with sqlite3.connect(path) as db:
        version = db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
    assert version == (str(SCHEMA_VERSION),)


@pytest.mark.integration
def test_a_postgres_database_without_migrations_is_refused_until_kilab_db_upgrade(
    postgres_server: object,
) -> None:
    from postgres_helpers import drop_database, new_database

    from kilab.core.errors import UserError
    from kilab.evals.store.postgres import MIGRATIONS, upgrade_schema

    url = new_database(postgres_server)
    try:
        with pytest.raises(UserError, match="kilab db upgrade"):
            open_store(url)
        assert [m.version for m in upgrade_schema(url)] == [m.version for m in MIGRATIONS]
        assert upgrade_schema(url) == []  # applied once
        store = open_store(url)
        store.create_run(_run("r"))
        store.put_result(_result("r", "k1"))
        store.close()
        import psycopg

        with psycopg.connect(url) as conn:  # plain SQL reads the structured columns
            row = conn.execute("SELECT usage->'draft'->>'input_tokens' FROM results").fetchone()
        assert row == ("10",)
    finally:
        drop_database(postgres_server, url)


def test_the_rules_a_case_broke_are_stored(store: RunStore) -> None:
    store.create_run(_run("r"))
    failed = _result("r", "k1", "c1").model_copy(
        update={"passed": False, "failed_rules": ["fact_recall 0.50 < 1"]}
    )
    store.put_result(failed)
    assert store.results("r")[0].failed_rules == ["fact_recall 0.50 < 1"]


def test_the_promotion_log_head_is_kept_per_log_and_replaced(store: RunStore) -> None:
    from kilab.evals.records import LogHead

    assert store.log_head("/logs/a.jsonl") is None
    first = LogHead(log="/logs/a.jsonl", seq=1, hash="1" * 64, at=T0)
    store.set_log_head(first)
    store.set_log_head(LogHead(log="/logs/b.jsonl", seq=7, hash="7" * 64, at=T0))
    assert store.log_head("/logs/a.jsonl") == first
    second = LogHead(log="/logs/a.jsonl", seq=2, hash="2" * 64, at=T0 + timedelta(minutes=1))
    store.set_log_head(second)
    assert store.log_head("/logs/a.jsonl") == second
    kept = store.log_head("/logs/b.jsonl")
    assert kept is not None and kept.seq == 7


def _lease(token: str, at: datetime = T0, seconds: int = 60, run_id: str = "r") -> RunLease:
    return RunLease(
        run_id=run_id,
        token=token,
        host="h",
        pid=1,
        acquired_at=T0,
        renewed_at=at,
        expires_at=at + timedelta(seconds=seconds),
    )


def test_a_lease_holds_a_run_until_released_lapsed_or_stolen_by_name(store: RunStore) -> None:
    assert store.get_lease("r") is None
    first = _lease("first")
    assert store.acquire_lease(first) == first
    assert store.acquire_lease(_lease("second", T0 + timedelta(seconds=30))) == first  # held
    renewed = _lease("first", T0 + timedelta(seconds=50))
    assert store.acquire_lease(renewed) == renewed and store.get_lease("r") == renewed
    assert store.acquire_lease(_lease("other", T0 + timedelta(seconds=60)), steal="nope") == renewed
    stolen = _lease("thief", T0 + timedelta(seconds=60))
    assert store.acquire_lease(stolen, steal="first") == stolen  # the caller found it dead
    lapsed = _lease("late", T0 + timedelta(seconds=120))  # the thief's lease ran out at 120 s
    assert store.acquire_lease(lapsed) == lapsed
    store.release_lease("r", "thief")  # not the holder: nothing happens
    assert store.get_lease("r") == lapsed
    store.release_lease("r", "late")
    assert store.get_lease("r") is None
    assert store.acquire_lease(_lease("again")).token == "again"
    assert store.get_lease("other-run") is None


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.integration)]
)
def test_of_many_stores_acquiring_at_once_exactly_one_holds_the_run(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    import threading

    location = (
        request.getfixturevalue("postgres_url") if backend == "postgres" else tmp_path / "r.sqlite"
    )
    stores = [open_store(location) for _ in range(6)]
    start = threading.Barrier(len(stores))
    holders: list[str] = []

    def take(number: int) -> None:
        start.wait()
        held = stores[number].acquire_lease(_lease(f"t{number}"))
        holders.append(held.token)

    threads = [threading.Thread(target=take, args=(n,)) for n in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for made in stores:
        made.close()
    assert len(set(holders)) == 1 and len(holders) == len(stores)
