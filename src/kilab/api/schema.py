"""The service's tables (tenants, keys, limits, audit, feedback) as versioned migrations.

Written once with two type sets, so SQLite (the embedded default) and PostgreSQL hold the same
tables. Times are ISO text in SQLite and ``TIMESTAMPTZ`` in PostgreSQL; limit windows and
leases count in epoch seconds, which both compare the same way.
"""

from __future__ import annotations

from kilab.api.database import Dialect
from kilab.evals.store.migrations import Migration

COMPONENT = "service"

_TYPES: dict[Dialect, dict[str, str]] = {
    "sqlite": {"ts": "TEXT", "serial": "INTEGER PRIMARY KEY AUTOINCREMENT", "real": "REAL"},
    "postgresql": {
        "ts": "TIMESTAMPTZ",
        "serial": "BIGSERIAL PRIMARY KEY",
        "real": "DOUBLE PRECISION",
    },
}

_V1 = """
CREATE TABLE tenants (
    name TEXT PRIMARY KEY,
    pilots TEXT NOT NULL,
    created_at {ts} NOT NULL
);
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL REFERENCES tenants (name),
    secret_hash TEXT NOT NULL UNIQUE,
    rate_per_minute INTEGER NOT NULL,
    concurrency INTEGER NOT NULL,
    reviewer INTEGER NOT NULL,
    created_at {ts} NOT NULL,
    revoked_at {ts}
);
CREATE TABLE rate_windows (
    key_id TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (key_id, window_start)
);
CREATE TABLE leases (
    id TEXT PRIMARY KEY,
    key_id TEXT NOT NULL,
    replica TEXT NOT NULL,
    expires_at {real} NOT NULL
);
CREATE INDEX leases_key ON leases (key_id);
CREATE TABLE audit (
    seq {serial},
    request_id TEXT NOT NULL UNIQUE,
    started_at {ts} NOT NULL,
    finished_at {ts},
    replica TEXT NOT NULL,
    tenant TEXT NOT NULL,
    key_id TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    pilot TEXT NOT NULL,
    variant TEXT NOT NULL,
    stage TEXT NOT NULL,
    record_seq INTEGER NOT NULL,
    record_hash TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    stream INTEGER NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    verdict TEXT NOT NULL,
    declined INTEGER NOT NULL,
    status TEXT NOT NULL,
    http_status INTEGER NOT NULL,
    error TEXT NOT NULL,
    latency_s {real} NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost {real} NOT NULL
);
CREATE INDEX audit_pilot ON audit (pilot, started_at);
CREATE INDEX audit_tenant ON audit (tenant, started_at);
CREATE TABLE feedback (
    seq {serial},
    request_id TEXT NOT NULL REFERENCES audit (request_id),
    tenant TEXT NOT NULL,
    rating TEXT NOT NULL,
    comment TEXT NOT NULL,
    at {ts} NOT NULL
);
CREATE INDEX feedback_request ON feedback (request_id)
"""


def migrations(dialect: Dialect) -> tuple[Migration, ...]:
    """The service schema's migrations in a database's dialect."""
    return (Migration(1, "tenants, keys, limits, audit, feedback", _V1.format(**_TYPES[dialect])),)
