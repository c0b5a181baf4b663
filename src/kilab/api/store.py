"""The service's state: tenants and their keys, limits, the audit log and feedback.

Everything a replica needs from another lives here, in the database, never in memory: a key
created on one machine works on all, a rate-limit window is one row every replica counts in,
and a concurrency slot is a lease row that expires if its replica dies.

Keys are ``kl_<id>_<secret>``; only the SHA-256 of the whole key is stored, so a leaked
database does not leak keys. The id is public (it names the key in lists and the audit log).
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kilab.api.database import Database, Dialect, Row, open_database
from kilab.api.schema import COMPONENT, migrations
from kilab.core.errors import NotFoundError, UserError

ALL_PILOTS = "*"
Rating = Literal["up", "down"]


class ApiKey(BaseModel):
    """A tenant's key as stored (without its secret)."""

    model_config = ConfigDict(frozen=True)

    id: str
    tenant: str
    pilots: list[str]
    rate_per_minute: int
    concurrency: int
    reviewer: bool
    created_at: datetime
    revoked_at: datetime | None = None

    def may_use(self, pilot: str) -> bool:
        return ALL_PILOTS in self.pilots or pilot in self.pilots


class AuditEntry(BaseModel):
    """One request as the audit log holds it (question and answer masked)."""

    request_id: str
    started_at: datetime
    finished_at: datetime | None
    replica: str
    tenant: str
    key_id: str
    endpoint: str
    pilot: str = ""
    variant: str = ""
    stage: str = ""
    record_seq: int = 0
    record_hash: str = ""
    thread_id: str = ""
    stream: bool = False
    question: str = ""
    answer: str = ""
    citations: list[str] = Field(default_factory=list)
    verdict: str = ""
    declined: bool = False
    status: str = "started"
    http_status: int = 0
    error: str = ""
    latency_s: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0


class FeedbackEntry(BaseModel):
    """A rating of one answer."""

    request_id: str
    tenant: str
    rating: Rating
    comment: str
    at: datetime


class TenantUsage(BaseModel):
    """What one tenant used."""

    tenant: str
    requests: int
    errors: int
    input_tokens: int
    output_tokens: int
    cost: float


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


class ServiceStore:
    """Keys, limits, audit and feedback in one database.

    Args:
        location: A SQLite file (created and migrated on open) or a ``postgresql://`` URL
            (migrated with ``kilab db upgrade``).
    """

    def __init__(self, location: str | Path) -> None:
        from kilab.evals.store import is_postgres_url

        dialect: Dialect = "postgresql" if is_postgres_url(location) else "sqlite"
        self.location = str(location)
        self.db: Database = open_database(location, COMPONENT, migrations(dialect))

    def _ts(self, value: datetime) -> Any:
        return value.isoformat() if self.db.dialect == "sqlite" else value

    # ------------------------------------------------------------ tenants and keys

    def create_key(
        self,
        tenant: str,
        *,
        pilots: Sequence[str] = (ALL_PILOTS,),
        rate_per_minute: int = 60,
        concurrency: int = 4,
        reviewer: bool = False,
    ) -> tuple[ApiKey, str]:
        """A new key for a tenant (created when new; its pilots replaced when given).

        Returns:
            The stored key and the secret, which exists nowhere else after this call.
        """
        if not tenant.strip():
            raise UserError("a tenant needs a name (--tenant NAME)")
        if rate_per_minute < 1 or concurrency < 1:
            raise UserError("--rate and --concurrency must be at least 1")
        key_id = secrets.token_hex(4)
        secret = f"kl_{key_id}_{secrets.token_urlsafe(32)}"
        now = _now()
        with self.db.transaction() as tx:
            tx.query(
                "INSERT INTO tenants (name, pilots, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET pilots = excluded.pilots",
                (tenant, json.dumps(sorted(set(pilots))), self._ts(now)),
            )
            tx.query(
                "INSERT INTO api_keys (id, tenant, secret_hash, rate_per_minute, concurrency, "
                "reviewer, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    key_id,
                    tenant,
                    hash_key(secret),
                    rate_per_minute,
                    concurrency,
                    int(reviewer),
                    self._ts(now),
                ),
            )
        return self.get_key(key_id), secret

    def _key(self, row: Row) -> ApiKey:
        return ApiKey(
            id=row["id"],
            tenant=row["tenant"],
            pilots=json.loads(row["pilots"]),
            rate_per_minute=row["rate_per_minute"],
            concurrency=row["concurrency"],
            reviewer=bool(row["reviewer"]),
            created_at=_time(row["created_at"]),
            revoked_at=_time(row["revoked_at"]),
        )

    _KEY_SELECT = (
        "SELECT k.id, k.tenant, t.pilots, k.rate_per_minute, k.concurrency, k.reviewer, "
        "k.created_at, k.revoked_at FROM api_keys k JOIN tenants t ON t.name = k.tenant"
    )

    def get_key(self, key_id: str) -> ApiKey:
        rows = self.db.query(self._KEY_SELECT + " WHERE k.id = ?", (key_id,))
        if not rows:
            raise NotFoundError(f"no API key {key_id!r} (see 'kilab api keys list')")
        return self._key(rows[0])

    def list_keys(self, tenant: str | None = None) -> list[ApiKey]:
        query, params = self._KEY_SELECT, ()
        if tenant:
            query, params = query + " WHERE k.tenant = ?", (tenant,)  # type: ignore[assignment]
        return [self._key(row) for row in self.db.query(query + " ORDER BY k.created_at", params)]

    def revoke_key(self, key_id: str) -> ApiKey:
        """Revoke a key at once, on every replica (they look keys up on every request)."""
        self.get_key(key_id)
        self.db.query(
            "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            (self._ts(_now()), key_id),
        )
        return self.get_key(key_id)

    def authenticate(self, secret: str) -> ApiKey | None:
        """The live key with this secret, or None (unknown or revoked)."""
        rows = self.db.query(
            self._KEY_SELECT + " WHERE k.secret_hash = ? AND k.revoked_at IS NULL",
            (hash_key(secret),),
        )
        return self._key(rows[0]) if rows else None

    # ------------------------------------------------------------ limits

    def hit_rate_limit(self, key: ApiKey, now: float | None = None) -> int | None:
        """Count one request in the key's current minute; seconds to wait when over."""
        now = time.time() if now is None else now
        window = int(now // 60) * 60
        (row,) = self.db.query(
            "INSERT INTO rate_windows (key_id, window_start, hits) VALUES (?, ?, 1) "
            "ON CONFLICT (key_id, window_start) DO UPDATE SET hits = rate_windows.hits + 1 "
            "RETURNING hits",
            (key.id, window),
        )
        if row["hits"] <= key.rate_per_minute:
            return None
        return max(1, math.ceil(window + 60 - now))

    def acquire_slot(self, key: ApiKey, replica: str, ttl_s: float = 600.0) -> str | None:
        """A concurrency slot for the key (a lease id), or None when all are taken.

        A lease outlives its replica by at most ``ttl_s``: a replica killed mid-request does
        not hold the tenant's slot for ever.
        """
        now = time.time()
        lease = uuid.uuid4().hex
        with self.db.transaction() as tx:
            if tx.dialect == "postgresql":  # one key's slots are counted one replica at a time
                tx.query("SELECT id FROM api_keys WHERE id = ? FOR UPDATE", (key.id,))
            tx.query("DELETE FROM leases WHERE key_id = ? AND expires_at < ?", (key.id, now))
            (row,) = tx.query("SELECT count(*) AS n FROM leases WHERE key_id = ?", (key.id,))
            if row["n"] >= key.concurrency:
                return None
            tx.query(
                "INSERT INTO leases (id, key_id, replica, expires_at) VALUES (?, ?, ?, ?)",
                (lease, key.id, replica, now + ttl_s),
            )
        return lease

    def release_slot(self, lease: str) -> None:
        self.db.query("DELETE FROM leases WHERE id = ?", (lease,))

    # ------------------------------------------------------------ audit

    def audit_start(self, entry: AuditEntry) -> None:
        """Write a request's row as it starts (status ``started``), committed at once."""
        self._write_audit(entry, insert=True)

    def audit_finish(self, entry: AuditEntry) -> None:
        """Complete a request's row (committed before the answer's last byte is sent)."""
        self._write_audit(entry, insert=False)

    _AUDIT_COLUMNS = (
        "request_id",
        "started_at",
        "finished_at",
        "replica",
        "tenant",
        "key_id",
        "endpoint",
        "pilot",
        "variant",
        "stage",
        "record_seq",
        "record_hash",
        "thread_id",
        "stream",
        "question",
        "answer",
        "citations",
        "verdict",
        "declined",
        "status",
        "http_status",
        "error",
        "latency_s",
        "input_tokens",
        "output_tokens",
        "cost",
    )

    def _write_audit(self, entry: AuditEntry, *, insert: bool) -> None:
        values = entry.model_dump()
        values["started_at"] = self._ts(entry.started_at)
        values["finished_at"] = self._ts(entry.finished_at) if entry.finished_at else None
        values["citations"] = json.dumps(entry.citations, ensure_ascii=False)
        values["stream"], values["declined"] = int(entry.stream), int(entry.declined)
        columns = self._AUDIT_COLUMNS
        placeholders = ", ".join("?" for _ in columns)
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "request_id")
        conflict = f"DO UPDATE SET {updates}" if not insert else "DO NOTHING"
        self.db.query(
            f"INSERT INTO audit ({', '.join(columns)}) VALUES ({placeholders}) "
            f"ON CONFLICT (request_id) {conflict}",
            [values[c] for c in columns],
        )

    def _entry(self, row: Row) -> AuditEntry:
        row = {c: row[c] for c in self._AUDIT_COLUMNS}
        row["citations"] = json.loads(row["citations"])
        row["stream"], row["declined"] = bool(row["stream"]), bool(row["declined"])
        return AuditEntry.model_validate(row)

    def audit_entry(self, request_id: str) -> AuditEntry | None:
        rows = self.db.query("SELECT * FROM audit WHERE request_id = ?", (request_id,))
        return self._entry(rows[0]) if rows else None

    def audit_entries(
        self, pilot: str | None = None, tenant: str | None = None
    ) -> list[AuditEntry]:
        """The audit log, oldest first, optionally of one pilot or tenant."""
        query = "SELECT * FROM audit WHERE 1 = 1"
        params: list[Any] = []
        if pilot:
            query, params = query + " AND pilot = ?", [*params, pilot]
        if tenant:
            query, params = query + " AND tenant = ?", [*params, tenant]
        return [self._entry(row) for row in self.db.query(query + " ORDER BY seq", params)]

    def usage(self) -> list[TenantUsage]:
        """Requests, errors, tokens and cost per tenant, from the audit log."""
        rows = self.db.query(
            "SELECT tenant, count(*) AS requests, "
            "sum(CASE WHEN http_status >= 400 OR status = 'error' THEN 1 ELSE 0 END) AS errors, "
            "sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, "
            "sum(cost) AS cost FROM audit WHERE tenant <> '' GROUP BY tenant ORDER BY tenant"
        )
        return [
            TenantUsage(
                tenant=row["tenant"],
                requests=int(row["requests"]),
                errors=int(row["errors"] or 0),
                input_tokens=int(row["input_tokens"] or 0),
                output_tokens=int(row["output_tokens"] or 0),
                cost=float(row["cost"] or 0.0),
            )
            for row in rows
        ]

    # ------------------------------------------------------------ feedback

    def add_feedback(self, request_id: str, tenant: str, rating: Rating, comment: str) -> None:
        """Record a rating of an answer the tenant was given.

        Raises:
            NotFoundError: No answer with that id was given to this tenant.
        """
        entry = self.audit_entry(request_id)
        if entry is None or entry.tenant != tenant or not entry.pilot:
            raise NotFoundError(f"no answer {request_id!r} was given to this tenant")
        self.db.query(
            "INSERT INTO feedback (request_id, tenant, rating, comment, at) VALUES (?, ?, ?, ?, ?)",
            (request_id, tenant, rating, comment, self._ts(_now())),
        )

    def feedback(
        self, pilot: str, rating: Rating | None = None
    ) -> list[tuple[AuditEntry, FeedbackEntry]]:
        """Ratings of a pilot's answers, oldest first, each with the answer's audit entry."""
        query = (
            "SELECT a.*, f.rating AS f_rating, f.comment AS f_comment, f.at AS f_at, "
            "f.tenant AS f_tenant FROM feedback f JOIN audit a ON a.request_id = f.request_id "
            "WHERE a.pilot = ?"
        )
        params: list[Any] = [pilot]
        if rating:
            query, params = query + " AND f.rating = ?", [*params, rating]
        pairs = []
        for row in self.db.query(query + " ORDER BY f.seq", params):
            pairs.append(
                (
                    self._entry(row),
                    FeedbackEntry(
                        request_id=row["request_id"],
                        tenant=row["f_tenant"],
                        rating=row["f_rating"],
                        comment=row["f_comment"],
                        at=_time(row["f_at"]),
                    ),
                )
            )
        return pairs

    def ping(self) -> None:
        """Raise when the database cannot be reached."""
        self.db.query("SELECT 1 AS one")

    def close(self) -> None:
        self.db.close()


def service_location() -> str:
    """Where the service's state lives: ``KILAB_DATABASE_URL``, else a SQLite file."""
    from kilab.core.settings import settings

    current = settings()
    return current.database_url or str(current.service)
