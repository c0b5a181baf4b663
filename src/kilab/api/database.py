"""One small SQL seam over the two databases the service runs on: SQLite and PostgreSQL.

The service's queries are written once, with ``?`` placeholders and SQL both databases speak
(``ON CONFLICT … DO UPDATE``, ``RETURNING``); this module runs them on a SQLite file (the
embedded default, schema applied on open) or on a PostgreSQL pool (schema applied by
``kilab db upgrade``). Rows come back as dictionaries.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, Protocol

from kilab.core.sqlitefiles import open_wal
from kilab.evals.store.migrations import Migration, upgrade_url
from kilab.evals.store.postgres import connect_pool

Dialect = Literal["sqlite", "postgresql"]
Row = dict[str, Any]


class Database(Protocol):
    """Where the service's tables live."""

    dialect: Dialect

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one statement in its own transaction; the rows it returns (if any)."""
        ...

    def transaction(self) -> Any:
        """A context manager yielding a ``Database`` whose statements share one transaction
        (``BEGIN IMMEDIATE`` on SQLite, so it also serialises writers)."""
        ...

    def close(self) -> None: ...


class SqliteDatabase:
    """A SQLite file in WAL mode; one connection shared under a lock."""

    dialect: Dialect = "sqlite"

    def __init__(self, path: str | Path, component: str, migrations: Sequence[Migration]):
        self.path = Path(path)
        self._db = open_wal(path, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._migrate(component, migrations)

    def _migrate(self, component: str, migrations: Sequence[Migration]) -> None:
        with self.transaction() as tx:
            tx.query(
                "CREATE TABLE IF NOT EXISTS kilab_schema (component TEXT NOT NULL, "
                "version INTEGER NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL "
                "DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (component, version))"
            )
            rows = tx.query("SELECT version FROM kilab_schema WHERE component = ?", (component,))
            applied = {row["version"] for row in rows}
            for migration in sorted(migrations, key=lambda m: m.version):
                if migration.version in applied:
                    continue
                for statement in migration.sql.split(";"):
                    if statement.strip():
                        tx.query(statement)
                tx.query(
                    "INSERT INTO kilab_schema (component, version, name) VALUES (?, ?, ?)",
                    (component, migration.version, migration.name),
                )

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._lock:
            cursor = self._db.execute(sql, tuple(params))
            return [dict(row) for row in cursor.fetchall()]

    @contextmanager
    def transaction(self) -> Iterator[SqliteDatabase]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()


class PostgresDatabase:
    """A psycopg connection pool; every statement or transaction takes one connection."""

    dialect: Dialect = "postgresql"

    def __init__(
        self,
        url: str,
        component: str,
        migrations: Sequence[Migration],
        *,
        max_connections: int = 8,
    ) -> None:
        self.url = url
        self._pool = connect_pool(url, component, migrations, max_connections=max_connections)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._pool.connection() as conn:
            return _run(conn, sql, params)

    @contextmanager
    def transaction(self) -> Iterator[_PgTransaction]:
        with self._pool.connection() as conn, conn.transaction():
            yield _PgTransaction(conn)

    def close(self) -> None:
        self._pool.close()


class _PgTransaction:
    dialect: Dialect = "postgresql"

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return _run(self._conn, sql, params)


def _run(conn: Any, sql: str, params: Sequence[Any]) -> list[Row]:
    cursor = conn.execute(sql.replace("?", "%s"), tuple(params))
    return list(cursor.fetchall()) if cursor.description else []


def open_database(
    location: str | Path, component: str, migrations: Sequence[Migration]
) -> Database:
    """A SQLite file (migrated on open) or a ``postgresql://`` database (migrated already)."""
    from kilab.evals.store import is_postgres_url

    if is_postgres_url(location):
        return PostgresDatabase(str(location), component, migrations)
    return SqliteDatabase(location, component, migrations)


def upgrade_postgres(url: str, component: str, migrations: Sequence[Migration]) -> list[Migration]:
    """Apply a component's missing migrations to a PostgreSQL database."""
    return upgrade_url(url, component, migrations)
