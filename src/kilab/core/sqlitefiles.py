"""The one way kilab opens a SQLite file it writes: the run store, the service's database and
the response cache.

WAL lets readers (the viewer, another process) read while one writer commits, and
``synchronous=NORMAL`` skips the fsync of each commit: what a commit wrote survives the process
being killed, and only an operating-system crash can lose the last commits. Autocommit
(``isolation_level=None``) leaves transactions to the caller; the connection may be used from
any thread, which the caller serialises with a lock.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

MEMORY = ":memory:"


def open_wal(path: str | Path, *, timeout: float) -> sqlite3.Connection:
    """A connection to ``path`` (created, with its folder, when missing) in WAL mode.

    Args:
        path: The database file, or ``":memory:"``.
        timeout: Seconds to wait for another process's write lock.
    """
    if str(path) != MEMORY:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), timeout=timeout, isolation_level=None, check_same_thread=False)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.Error:
        db.close()
        raise
    return db
