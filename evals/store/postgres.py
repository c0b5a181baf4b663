"""A RunStore in PostgreSQL, for a service with replicas and for workers on other machines.

The same columns as the SQLite store, with JSONB where the value is structured, so results
can be queried with plain SQL. Every write is one transaction on a pooled connection; the
schema comes from versioned migrations (``kilab db upgrade``), and opening a database that is
behind fails with that command instead of a missing-column error later.

Requires ``pip install "kilab[postgres]"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kilab.core.errors import NotFoundError, UserError
from kilab.core.locations import safe_url
from kilab.evals.records import CaseResult, LogHead, RunInfo, RunLease
from kilab.evals.store.columns import (
    JSON_COLUMNS,
    RESULT_COLUMNS,
    result_columns,
    result_from_columns,
)
from kilab.evals.store.migrations import Migration, require_current, upgrade_url

COMPONENT = "runs"
MIGRATIONS = (
    Migration(
        1,
        "runs and results",
        """
        CREATE TABLE runs (
            seq BIGSERIAL UNIQUE,
            id TEXT PRIMARY KEY,
            pilot TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            status TEXT NOT NULL,
            info JSONB NOT NULL
        );
        CREATE INDEX runs_pilot ON runs (pilot, created_at);
        CREATE TABLE results (
            seq BIGSERIAL PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES runs (id),
            key TEXT NOT NULL,
            case_id TEXT NOT NULL,
            variant TEXT NOT NULL,
            repeat INTEGER NOT NULL,
            case_json JSONB NOT NULL,
            question TEXT NOT NULL,
            answer TEXT NOT NULL,
            declined BOOLEAN NOT NULL,
            citations JSONB NOT NULL,
            passages JSONB NOT NULL,
            verdict TEXT NOT NULL,
            findings JSONB NOT NULL,
            path JSONB NOT NULL,
            usage JSONB NOT NULL,
            latency_s DOUBLE PRECISION NOT NULL,
            errors JSONB NOT NULL,
            thread_id TEXT NOT NULL,
            metrics JSONB NOT NULL,
            samples JSONB NOT NULL,
            passed BOOLEAN NOT NULL,
            error TEXT NOT NULL,
            spans JSONB NOT NULL,
            tool_calls JSONB NOT NULL,
            reused_from TEXT NOT NULL,
            finished_at TIMESTAMPTZ NOT NULL,
            UNIQUE (run_id, key)
        );
        CREATE INDEX results_key ON results (key);
        """,
    ),
    Migration(
        2,
        "the pass rules a result broke",
        "ALTER TABLE results ADD COLUMN failed_rules JSONB NOT NULL DEFAULT '[]'::jsonb;",
    ),
    Migration(
        3,
        "promotion log heads",
        """
        CREATE TABLE log_heads (
            log TEXT PRIMARY KEY,
            seq BIGINT NOT NULL,
            hash TEXT NOT NULL,
            at TIMESTAMPTZ NOT NULL
        );
        """,
    ),
    Migration(
        4,
        "run leases",
        """
        CREATE TABLE run_leases (
            run_id TEXT PRIMARY KEY,
            lease JSONB NOT NULL
        );
        """,
    ),
)


CONNECT_TIMEOUT_S = 5


def connect_pool(
    url: str, component: str, migrations: Sequence[Migration], *, max_connections: int
) -> Any:
    """A psycopg pool on a database whose ``component`` schema is current (dict rows,
    autocommit); closed again when the schema is behind.

    Raises:
        UserError: psycopg is not installed, or the schema needs ``kilab db upgrade``.
    """
    try:
        import psycopg
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise UserError('PostgreSQL stores need: pip install "kilab[postgres]"') from None
    # One plain connection first: a server that is down or refuses the login is a clear
    # error within seconds, not a pool that retries for half a minute and then a traceback.
    try:
        psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S).close()
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"cannot open the {component} store at {safe_url(url)}: {reason}") from None
    pool = ConnectionPool(
        url,
        min_size=1,
        max_size=max_connections,
        kwargs={"row_factory": dict_row, "autocommit": True},
        open=True,
    )
    try:
        with pool.connection() as conn:
            require_current(conn, component, migrations)
    except BaseException:
        pool.close()
        raise
    return pool


def _jsonb(value: Any) -> Any:
    from psycopg.types.json import Jsonb  # psycopg is an extra: imported on use

    return Jsonb(value)


def _values(result: CaseResult) -> dict[str, Any]:
    values = result_columns(result)
    for column in JSON_COLUMNS:
        values[column] = _jsonb(values[column])
    return values


class PostgresRunStore:
    """A RunStore in a PostgreSQL database (migrated with ``kilab db upgrade``).

    Args:
        url: ``postgresql://user:password@host:port/database`` (libpq form).
        max_connections: The pool's size.
    """

    def __init__(self, url: str, *, max_connections: int = 4) -> None:
        self.url = url
        self._pool = connect_pool(url, COMPONENT, MIGRATIONS, max_connections=max_connections)

    def create_run(self, run: RunInfo) -> None:
        from psycopg.errors import UniqueViolation

        try:
            with self._pool.connection() as conn:
                conn.execute(
                    "INSERT INTO runs (id, pilot, created_at, status, info) "
                    "VALUES (%s, %s, %s, %s, %s)",
                    (
                        run.id,
                        run.pilot,
                        run.created_at,
                        run.status,
                        _jsonb(run.model_dump(mode="json")),
                    ),
                )
        except UniqueViolation:
            raise ValueError(f"run {run.id!r} exists") from None

    def update_run(self, run: RunInfo) -> None:
        with self._pool.connection() as conn:
            cursor = conn.execute(
                "UPDATE runs SET status = %s, info = %s WHERE id = %s",
                (run.status, _jsonb(run.model_dump(mode="json")), run.id),
            )
            if cursor.rowcount == 0:
                raise NotFoundError(f"no run {run.id!r}")

    def get_run(self, run_id: str) -> RunInfo:
        with self._pool.connection() as conn:
            row = conn.execute("SELECT info FROM runs WHERE id = %s", (run_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no run {run_id!r}")
        return RunInfo.model_validate(row["info"])

    def list_runs(self, pilot: str | None = None) -> list[RunInfo]:
        query, params = "SELECT info FROM runs", ()
        if pilot is not None:
            query, params = query + " WHERE pilot = %s", (pilot,)  # type: ignore[assignment]
        with self._pool.connection() as conn:
            rows = conn.execute(query + " ORDER BY created_at DESC, seq DESC", params).fetchall()
        return [RunInfo.model_validate(row["info"]) for row in rows]

    def put_result(self, result: CaseResult) -> None:
        placeholders = ", ".join(f"%({c})s" for c in RESULT_COLUMNS)
        updates = ", ".join(
            f"{c} = excluded.{c}" for c in RESULT_COLUMNS if c not in ("run_id", "key")
        )
        with self._pool.connection() as conn:
            conn.execute(
                f"INSERT INTO results ({', '.join(RESULT_COLUMNS)}) VALUES ({placeholders}) "
                f"ON CONFLICT (run_id, key) DO UPDATE SET {updates}",
                _values(result),
            )

    def results(self, run_id: str) -> list[CaseResult]:
        self.get_run(run_id)
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT * FROM results WHERE run_id = %s ORDER BY seq", (run_id,)
            ).fetchall()
        return [result_from_columns(row) for row in rows]

    def result_keys(self, run_id: str, *, include_errors: bool = False) -> set[str]:
        query = "SELECT key FROM results WHERE run_id = %s"
        if not include_errors:
            query += " AND error = ''"
        with self._pool.connection() as conn:
            return {row["key"] for row in conn.execute(query, (run_id,)).fetchall()}

    def find_result(self, key: str) -> CaseResult | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT * FROM results WHERE key = %s AND error = '' ORDER BY seq DESC LIMIT 1",
                (key,),
            ).fetchone()
        return None if row is None else result_from_columns(row)

    def acquire_lease(self, lease: RunLease, *, steal: str = "") -> RunLease:
        with self._pool.connection() as conn, conn.transaction():
            # Create the row if missing, then lock it: concurrent callers queue on the lock.
            conn.execute(
                "INSERT INTO run_leases (run_id, lease) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (lease.run_id, _jsonb(None)),
            )
            row = conn.execute(
                "SELECT lease FROM run_leases WHERE run_id = %s FOR UPDATE", (lease.run_id,)
            ).fetchone()
            current = None if row["lease"] is None else RunLease.model_validate(row["lease"])
            if not lease.may_replace(current, steal):
                assert current is not None
                return current
            conn.execute(
                "UPDATE run_leases SET lease = %s WHERE run_id = %s",
                (_jsonb(lease.model_dump(mode="json")), lease.run_id),
            )
        return lease

    def get_lease(self, run_id: str) -> RunLease | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT lease FROM run_leases WHERE run_id = %s", (run_id,)
            ).fetchone()
        if row is None or row["lease"] is None:
            return None
        return RunLease.model_validate(row["lease"])

    def release_lease(self, run_id: str, token: str) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "DELETE FROM run_leases WHERE run_id = %s AND lease->>'token' = %s", (run_id, token)
            )

    def log_head(self, log: str) -> LogHead | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT log, seq, hash, at FROM log_heads WHERE log = %s", (log,)
            ).fetchone()
        return None if row is None else LogHead(**row)

    def set_log_head(self, head: LogHead) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO log_heads (log, seq, hash, at) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (log) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, "
                "at = excluded.at",
                (head.log, head.seq, head.hash, head.at),
            )

    def close(self) -> None:
        self._pool.close()


def upgrade_schema(url: str) -> list[Migration]:
    """Apply the run store's missing migrations to the database at ``url``."""
    return upgrade_url(url, COMPONENT, MIGRATIONS)
