"""Run stores: the RunStore protocol, the SQLite default, PostgreSQL and an in-memory one.

Readers (compare, report, viewer) use: ``open_store(path)``, then ``list_runs(pilot)``,
``resolve_run(store, "latest" | id | prefix)``, ``results(run_id)`` → ``CaseResult``s
(``kilab.evals.records``) with the case, the output (answer, citations, passages, verdict,
findings, path, usage, latency), metric values, pass/fail and spans.
"""

from pathlib import Path

from kilab.core.locations import is_postgres_url
from kilab.core.settings import settings
from kilab.evals.store.base import RunStore, resolve_run
from kilab.evals.store.memory import MemoryRunStore
from kilab.evals.store.sqlite import SqliteRunStore


def open_store(path: str | Path | None = None) -> RunStore:
    """The run store at a path or URL: a SQLite file, ``:memory:`` for a throwaway in-memory
    one, or ``postgresql://…`` for a PostgreSQL database (migrated by ``kilab db upgrade``);
    None: the settings' ``runs`` (``$KILAB_RUNS`` or ``$KILAB_HOME/runs.sqlite``)."""
    path = settings().runs if path is None else path
    if str(path) == ":memory:":
        return MemoryRunStore()
    if is_postgres_url(path):
        from kilab.evals.store.postgres import PostgresRunStore

        return PostgresRunStore(str(path))
    return SqliteRunStore(path)


def open_existing_store(path: str | Path | None = None) -> RunStore | None:
    """``open_store``, but None for a SQLite file that does not exist yet (a reader such
    as ``kilab verify-log`` should not create an empty store as a side effect)."""
    path = settings().runs if path is None else path
    if str(path) != ":memory:" and not is_postgres_url(path) and not Path(path).exists():
        return None
    return open_store(path)


__all__ = [
    "MemoryRunStore",
    "RunStore",
    "SqliteRunStore",
    "is_postgres_url",
    "open_existing_store",
    "open_store",
    "resolve_run",
]
