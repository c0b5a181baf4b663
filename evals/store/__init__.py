"""Run stores: the RunStore protocol, the SQLite default and an in-memory one.

Readers (compare, report, viewer) use: ``open_store(path)``, then ``list_runs(pilot)``,
``resolve_run(store, "latest" | id | prefix)``, ``results(run_id)`` → ``CaseResult``s
(``kilab.evals.records``) with the case, the output (answer, citations, passages, verdict,
findings, path, usage, latency), metric values, pass/fail and spans.
"""

from pathlib import Path

from kilab.evals.store.base import RunStore, resolve_run
from kilab.evals.store.memory import MemoryRunStore
from kilab.evals.store.sqlite import SqliteRunStore

DEFAULT_STORE = Path(".kilab/runs.sqlite")


def open_store(path: str | Path = DEFAULT_STORE) -> RunStore:
    """The run store at a path (``:memory:`` for a throwaway in-memory one)."""
    if str(path) == ":memory:":
        return MemoryRunStore()
    return SqliteRunStore(path)


__all__ = [
    "DEFAULT_STORE",
    "MemoryRunStore",
    "RunStore",
    "SqliteRunStore",
    "open_store",
    "resolve_run",
]
