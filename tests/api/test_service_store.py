"""The service store on SQLite and PostgreSQL: keys as hashes, one rate window and one set of
concurrency leases for all replicas, the audit row's life; ``kilab db upgrade``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import Backend
from kilab_subprocess import run_kilab

from kilab.api.store import AuditEntry, ServiceStore
from kilab.core.errors import NotFoundError, UserError


@pytest.fixture
def store(backend: Backend) -> ServiceStore:
    opened = ServiceStore(backend.store)
    yield opened  # type: ignore[misc]
    opened.close()


def test_keys_are_hashed_revocable_and_scoped(store: ServiceStore) -> None:
    key, secret = store.create_key("kd", pilots=["mini"], rate_per_minute=5, concurrency=2)
    assert secret.startswith(f"kl_{key.id}_") and len(secret) > 40
    assert store.authenticate(secret) == key and store.authenticate(secret + "x") is None
    assert key.may_use("mini") and not key.may_use("notat")
    rows = store.db.query("SELECT secret_hash FROM api_keys")
    assert [r["secret_hash"] for r in rows] != [secret] and secret not in str(rows)
    revoked = store.revoke_key(key.id)
    assert revoked.revoked_at is not None and store.authenticate(secret) is None
    with pytest.raises(NotFoundError):
        store.revoke_key("ukjent")
    with pytest.raises(UserError):
        store.create_key(" ")


def test_rate_window_and_leases_are_shared_rows(backend: Backend, store: ServiceStore) -> None:
    key, _ = store.create_key("kd", rate_per_minute=2, concurrency=1)
    other = ServiceStore(backend.store)  # a second replica's connection
    try:
        now = 1_800_000_030.0  # 30 s into a minute
        assert store.hit_rate_limit(key, now) is None
        assert other.hit_rate_limit(key, now + 1) is None
        assert store.hit_rate_limit(key, now + 2) == 28  # until the next minute begins
        assert other.hit_rate_limit(key, now + 31) is None  # a new window

        lease = store.acquire_slot(key, "a")
        assert lease is not None and other.acquire_slot(key, "b") is None
        store.release_slot(lease)
        dead = other.acquire_slot(key, "b", ttl_s=-1)  # its replica died; the lease lapsed
        assert dead is not None and store.acquire_slot(key, "a") is not None
    finally:
        other.close()


def test_audit_row_from_start_to_finish(store: ServiceStore) -> None:
    key, _ = store.create_key("kd")
    entry = AuditEntry(
        request_id="chatcmpl-1",
        started_at=datetime(2026, 12, 2, 12, tzinfo=UTC),
        finished_at=None,
        replica="a",
        tenant="kd",
        key_id=key.id,
        endpoint="chat",
        pilot="mini",
        question="Hva koster det?",
    )
    store.audit_start(entry)
    assert store.audit_entry("chatcmpl-1") == entry
    entry.status, entry.answer, entry.citations = "completed", "Svar [mini#1]", ["mini#1"]
    entry.finished_at, entry.cost, entry.input_tokens = (
        datetime(2026, 12, 2, 12, 0, 1, tzinfo=UTC),
        0.5,
        10,
    )
    store.audit_finish(entry)
    assert store.audit_entry("chatcmpl-1") == entry
    store.audit_start(entry.model_copy(update={"status": "started"}))  # a retry does not undo it
    assert store.audit_entry("chatcmpl-1") == entry
    (usage,) = store.usage()
    assert (usage.tenant, usage.requests, usage.errors, usage.cost) == ("kd", 1, 0, 0.5)
    store.add_feedback("chatcmpl-1", "kd", "down", "Feil")
    with pytest.raises(NotFoundError):
        store.add_feedback("chatcmpl-1", "fin", "down", "")
    ((logged, rating),) = store.feedback("mini", "down")
    assert logged == entry and rating.comment == "Feil"


def test_db_upgrade_migrates_a_new_database(postgres_server: object, tmp_path: Path) -> None:
    from postgres_helpers import drop_database, new_database

    url = new_database(postgres_server)
    try:
        first = run_kilab("db", "upgrade", "--url", url, home=tmp_path)
        assert first.returncode == 0, first.stderr
        assert "applied 1: tenants, keys, limits, audit, feedback" in first.stdout
        again = run_kilab("db", "upgrade", home=tmp_path, env={"KILAB_DATABASE_URL": url})
        assert again.returncode == 0 and "up to date" in again.stdout
        store = ServiceStore(url)
        try:
            assert store.create_key("kd")[0].tenant == "kd"
        finally:
            store.close()
        sqlite = run_kilab("db", "upgrade", home=tmp_path)
        assert sqlite.returncode != 0 and "KILAB_DATABASE_URL" in sqlite.stdout + sqlite.stderr
    finally:
        drop_database(postgres_server, url)
