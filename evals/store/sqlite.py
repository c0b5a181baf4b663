"""The default RunStore: one SQLite file in WAL mode, one transaction per result.

Why WAL with ``synchronous=NORMAL``: a committed result survives the process being killed
(kill -9 loses at most the cases still in flight) and the file is never left corrupt; only
a power cut can drop the last few commits. Readers (the viewer) do not block the writer.

Every stored result keeps the question, answer, citations, passages (id, title, score, text),
verdict, findings, path, usage, latency, errors and metric values as columns (JSON where
structured), so the file can be read with plain SQL years later. ``spans`` holds telemetry.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from kilab.core.errors import NotFoundError
from kilab.core.sqlitefiles import open_wal
from kilab.evals.records import CaseResult, LogHead, RunInfo, RunLease
from kilab.evals.store.columns import (
    JSON_COLUMNS,
    RESULT_COLUMNS,
    result_columns,
    result_from_columns,
)

SCHEMA_VERSION = 5
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    pilot TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL,
    info TEXT NOT NULL              -- RunInfo as JSON
);
CREATE INDEX IF NOT EXISTS runs_pilot ON runs (pilot, created_at);
CREATE TABLE IF NOT EXISTS results (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES runs (id),
    key TEXT NOT NULL,
    case_id TEXT NOT NULL,
    variant TEXT NOT NULL,
    repeat INTEGER NOT NULL,
    case_json TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    declined INTEGER NOT NULL,
    citations TEXT NOT NULL,
    passages TEXT NOT NULL,
    verdict TEXT NOT NULL,
    findings TEXT NOT NULL,
    path TEXT NOT NULL,
    usage TEXT NOT NULL,
    latency_s REAL NOT NULL,
    errors TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    metrics TEXT NOT NULL,
    samples TEXT NOT NULL,
    passed INTEGER NOT NULL,
    failed_rules TEXT NOT NULL DEFAULT '[]',
    error TEXT NOT NULL,
    spans TEXT NOT NULL DEFAULT '[]',
    tool_calls TEXT NOT NULL DEFAULT '[]',
    reused_from TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    UNIQUE (run_id, key)
);
CREATE INDEX IF NOT EXISTS results_key ON results (key);
CREATE TABLE IF NOT EXISTS log_heads (      -- schema 4: the promotion log's last record
    log TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run_leases (      -- schema 5: who computes a run now
    run_id TEXT PRIMARY KEY,
    lease TEXT NOT NULL             -- RunLease as JSON
);
"""


# One encoder for every column: json.dumps with options builds a new one on each call.
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _encode(column: str, value: Any) -> Any:
    if column in JSON_COLUMNS:
        return _dumps(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


_PUT_RESULT = (
    f"INSERT INTO results ({', '.join(RESULT_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in RESULT_COLUMNS)}) "
    "ON CONFLICT (run_id, key) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in RESULT_COLUMNS if c not in ("run_id", "key"))
)


def _row(result: CaseResult) -> tuple[Any, ...]:
    return tuple(_encode(column, value) for column, value in result_columns(result).items())


def _result(row: sqlite3.Row) -> CaseResult:
    columns = {c: json.loads(row[c]) if c in JSON_COLUMNS else row[c] for c in RESULT_COLUMNS}
    return result_from_columns(columns)


class SqliteRunStore:
    """A RunStore in one SQLite file (created with its folder when missing).

    Args:
        path: The database file, or ``":memory:"``.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        # The harness writes from its event-loop thread; the viewer may read from others.
        self._db = open_wal(path, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)
        self._migrate()
        self._db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
        )

    def _migrate(self) -> None:
        """Bring a store written by an older kilab up to date; stored results stay as they are."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(results)")}
        if "tool_calls" not in columns:  # schema 1 lost agents' tool calls
            self._db.execute("ALTER TABLE results ADD COLUMN tool_calls TEXT NOT NULL DEFAULT '[]'")
        if "failed_rules" not in columns:  # schema 2 kept pass/fail without the rules
            self._db.execute(
                "ALTER TABLE results ADD COLUMN failed_rules TEXT NOT NULL DEFAULT '[]'"
            )

    def create_run(self, run: RunInfo) -> None:
        try:
            with self._transaction():
                self._db.execute(
                    "INSERT INTO runs VALUES (?, ?, ?, ?, ?)",
                    (
                        run.id,
                        run.pilot,
                        run.created_at.isoformat(),
                        run.status,
                        run.model_dump_json(),
                    ),
                )
        except sqlite3.IntegrityError:
            raise ValueError(f"run {run.id!r} exists") from None

    def update_run(self, run: RunInfo) -> None:
        with self._transaction():
            cursor = self._db.execute(
                "UPDATE runs SET status = ?, info = ? WHERE id = ?",
                (run.status, run.model_dump_json(), run.id),
            )
        if cursor.rowcount == 0:
            raise NotFoundError(f"no run {run.id!r}")

    def get_run(self, run_id: str) -> RunInfo:
        row = self._db.execute("SELECT info FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no run {run_id!r}")
        return RunInfo.model_validate_json(row["info"])

    def list_runs(self, pilot: str | None = None) -> list[RunInfo]:
        query = "SELECT info FROM runs"
        params: tuple[str, ...] = ()
        if pilot is not None:
            query, params = query + " WHERE pilot = ?", (pilot,)
        rows = self._db.execute(query + " ORDER BY created_at DESC, rowid DESC", params)
        return [RunInfo.model_validate_json(row["info"]) for row in rows]

    def put_result(self, result: CaseResult) -> None:
        with self._transaction():
            self._db.execute(_PUT_RESULT, _row(result))

    def results(self, run_id: str) -> list[CaseResult]:
        self.get_run(run_id)
        rows = self._db.execute("SELECT * FROM results WHERE run_id = ? ORDER BY seq", (run_id,))
        return [_result(row) for row in rows]

    def result_keys(self, run_id: str, *, include_errors: bool = False) -> set[str]:
        query = "SELECT key FROM results WHERE run_id = ?"
        if not include_errors:
            query += " AND error = ''"
        return {row["key"] for row in self._db.execute(query, (run_id,))}

    def find_result(self, key: str) -> CaseResult | None:
        row = self._db.execute(
            "SELECT * FROM results WHERE key = ? AND error = '' ORDER BY seq DESC LIMIT 1", (key,)
        ).fetchone()
        return None if row is None else _result(row)

    def acquire_lease(self, lease: RunLease, *, steal: str = "") -> RunLease:
        with self._transaction():  # BEGIN IMMEDIATE: one writer decides at a time
            current = self.get_lease(lease.run_id)
            if not lease.may_replace(current, steal):
                assert current is not None
                return current
            self._db.execute(
                "INSERT OR REPLACE INTO run_leases VALUES (?, ?)",
                (lease.run_id, lease.model_dump_json()),
            )
        return lease

    def get_lease(self, run_id: str) -> RunLease | None:
        row = self._db.execute(
            "SELECT lease FROM run_leases WHERE run_id = ?", (run_id,)
        ).fetchone()
        return None if row is None else RunLease.model_validate_json(row["lease"])

    def release_lease(self, run_id: str, token: str) -> None:
        with self._transaction():
            current = self.get_lease(run_id)
            if current is not None and current.token == token:
                self._db.execute("DELETE FROM run_leases WHERE run_id = ?", (run_id,))

    def log_head(self, log: str) -> LogHead | None:
        row = self._db.execute(
            "SELECT log, seq, hash, at FROM log_heads WHERE log = ?", (log,)
        ).fetchone()
        return None if row is None else LogHead(**dict(row))

    def set_log_head(self, head: LogHead) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO log_heads VALUES (?, ?, ?, ?)",
                (head.log, head.seq, head.hash, head.at.isoformat()),
            )

    def close(self) -> None:
        self._db.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT (ROLLBACK on error), for an autocommit connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
