"""A content-addressed response cache on disk.

The key is a SHA-256 over everything that changes the answer: the model, the endpoint (the
URL the request really goes to, ``OPENAI_BASE_URL`` included), the messages (kilab's prompts
are in them, so a changed prompt file is a new key), the parameters, the tools and the output
schema (a changed reply model is a new key). ``KEY_VERSION`` changes when what the key covers
changes, so that no entry written under an older, narrower key is read again. Secrets never
enter the key, and the stored value is masked (secrets, identity and phone numbers) before it
is written, so that nothing personal lies on disk; an unchanged call is answered from disk.

The replies live in one SQLite file per cache folder (``responses.sqlite``, WAL), shared by
the threads and processes of one machine; like the index cache, it belongs on a local disk.
One file per reply cost a file creation per model call, about 7 % of an evaluation's CPU;
an insert into the open database costs a few microseconds. A damaged database is a
miss and a skipped write, never a failed call.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict

from kilab.core.sqlitefiles import open_wal
from kilab.core.telemetry import redact_model

log = structlog.get_logger("kilab.agents.cache")

KEY_VERSION = 2  # 2: the endpoint is the URL requests go to (OPENAI_BASE_URL too)


class CacheKey(BaseModel):
    """What identifies one model call's answer."""

    model_config = ConfigDict(frozen=True)

    model: str
    endpoint: str
    messages: list[tuple[str, str]]
    params: dict[str, Any] = {}
    tools: list[dict[str, Any]] = []
    output_schema: dict[str, Any] | None = None

    def digest(self) -> str:
        """The hex SHA-256 of the key's canonical JSON."""
        payload = {"v": KEY_VERSION, **self.model_dump(mode="json")}
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


class CachedReply(BaseModel):
    """What is stored for a call: the reply text or parsed data, and its token counts."""

    text: str = ""
    data: dict[str, Any] | None = None
    input_tokens: int = 0
    output_tokens: int = 0


_SCHEMA = "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, reply TEXT NOT NULL)"
_BUSY_S = 2.0  # another process writing: wait this long, then a miss or a skipped write
_lock = threading.Lock()
_open: dict[tuple[int, Path], sqlite3.Connection | None] = {}  # None: not a database
_warned: set[Path] = set()


def _connection(file: Path) -> sqlite3.Connection | None:
    """This process's connection to a cache database, opened (and created) on first use.

    None when the file cannot be opened: for good when it is no database, until the next call
    when it was busy or unreachable; either is said once in the log. One connection per
    process and file, shared by its threads under ``_lock`` (sqlite3 serialises the calls
    anyway); a forked child starts afresh (``_after_fork``).
    """
    key = (os.getpid(), file)
    with _lock:
        if key in _open:
            return _open[key]
        db = None
        try:
            db = open_wal(file, timeout=_BUSY_S)
            db.execute(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            if db is not None:
                db.close()
            if not isinstance(exc, sqlite3.OperationalError | OSError):
                _open[key] = None  # not a database: no use asking again
            if file not in _warned:
                _warned.add(file)
                log.warning("response_cache_unusable", file=str(file), error=str(exc))
            return None
        _open[key] = db
        return db


def _after_fork() -> None:
    """A forked child must not touch its parent's connections or a lock held at the fork:
    it opens its own (the parent's stay referenced, so the child never closes them)."""
    global _lock, _open
    _inherited.append(_open)
    _lock, _open = threading.Lock(), {}


_inherited: list[object] = []
os.register_at_fork(after_in_child=_after_fork)


class ResponseCache:
    """Replies stored by key digest (``CacheKey.digest``) in ``root/responses.sqlite``."""

    __slots__ = ("file",)

    def __init__(self, root: Path) -> None:
        self.file = Path(root) / "responses.sqlite"

    def get(self, key: str) -> CachedReply | None:
        """The stored reply for a key digest, or None (also for an unreadable entry or
        database)."""
        if (db := _connection(self.file)) is None:
            return None
        try:
            with _lock:
                row = db.execute("SELECT reply FROM responses WHERE key = ?", (key,)).fetchone()
            return None if row is None else CachedReply.model_validate_json(row[0])
        except (sqlite3.Error, ValueError):
            return None

    def put(self, key: str, reply: CachedReply) -> None:
        """Store a reply, masked; a write the database refuses is logged and skipped."""
        if (db := _connection(self.file)) is None:
            return
        text = redact_model(reply).model_dump_json()
        try:
            with _lock:
                db.execute("INSERT OR REPLACE INTO responses VALUES (?, ?)", (key, text))
        except sqlite3.Error as exc:
            log.warning("response_cache_write_failed", file=str(self.file), error=str(exc))

    def stored(self) -> Iterator[str]:
        """Every stored reply as its JSON text (what lies on disk)."""
        if not self.file.exists() or (db := _connection(self.file)) is None:
            return
        try:
            with _lock:
                rows = db.execute("SELECT reply FROM responses ORDER BY key").fetchall()
        except sqlite3.Error:
            return
        for (text,) in rows:
            yield text
