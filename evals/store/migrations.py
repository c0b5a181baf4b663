"""Versioned schema migrations for PostgreSQL, applied by ``kilab db upgrade``.

Each component (the run store, the service's keys/audit/feedback) owns an ordered list of
migrations; the table ``kilab_schema`` records which versions of which component a database
holds. ``upgrade`` applies the missing ones in one transaction under an advisory lock, so two
replicas upgrading at once cannot apply a migration twice. A store opened on a database that
is behind refuses with the command to run, instead of failing later on a missing column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kilab.core.errors import UserError

_LOCK_ID = 7_160_916  # any fixed number: the advisory lock that serialises upgrades
_TABLE = """
CREATE TABLE IF NOT EXISTS kilab_schema (
    component TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (component, version)
)
"""


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of a component's schema: its number, a name for people, and its SQL."""

    version: int
    name: str
    sql: str


def _rows(conn: Any, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    from psycopg.rows import tuple_row

    with conn.cursor(row_factory=tuple_row) as cursor:
        cursor.execute(query, params)
        return list(cursor.fetchall())


def _applied(conn: Any, component: str) -> set[int]:
    if not _rows(conn, "SELECT to_regclass('kilab_schema') IS NOT NULL")[0][0]:
        return set()
    rows = _rows(conn, "SELECT version FROM kilab_schema WHERE component = %s", (component,))
    return {row[0] for row in rows}


def pending(conn: Any, component: str, migrations: Sequence[Migration]) -> list[Migration]:
    """The migrations of a component the database does not hold yet, in order."""
    applied = _applied(conn, component)
    return [m for m in sorted(migrations, key=lambda m: m.version) if m.version not in applied]


def upgrade(conn: Any, component: str, migrations: Sequence[Migration]) -> list[Migration]:
    """Apply a component's missing migrations in one transaction; returns what was applied.

    Args:
        conn: A psycopg connection in autocommit mode.
        component: The component's name in ``kilab_schema``.
        migrations: Every migration the component has, in any order.
    """
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
        conn.execute(_TABLE)
        todo = pending(conn, component, migrations)
        for migration in todo:
            conn.execute(migration.sql)
            conn.execute(
                "INSERT INTO kilab_schema (component, version, name) VALUES (%s, %s, %s)",
                (component, migration.version, migration.name),
            )
    return todo


def require_current(conn: Any, component: str, migrations: Sequence[Migration]) -> None:
    """Raise a UserError naming ``kilab db upgrade`` when the database is behind.

    Raises:
        UserError: One or more migrations of the component are missing.
    """
    missing = pending(conn, component, migrations)
    if missing:
        names = ", ".join(f"{m.version} ({m.name})" for m in missing)
        raise UserError(
            f"the database lacks {component} schema migrations {names}: "
            "run 'kilab db upgrade' with the same KILAB_DATABASE_URL"
        )


def upgrade_url(url: str, component: str, migrations: Sequence[Migration]) -> list[Migration]:
    """``upgrade`` on a connection of its own to the database at ``url``."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return upgrade(conn, component, migrations)
