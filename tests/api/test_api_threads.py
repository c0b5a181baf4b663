"""A human-approval step through the API: the answer waits as a pending thread, a reviewer's
key approves, sends back or rejects it through ``/v1/threads/{id}``; the thread lives in the
same checkpointer ``kilab pending`` and the viewer read."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from conftest import Backend
from kilab_subprocess import run_kilab

from kilab.api.testing import Promoted, create_key, serving, sse_events

pytestmark = pytest.mark.integration
PHONE = "91234567"
QUESTION = (
    "Hvor mye depositum kan utleieren kreve, og skal depositumet settes inn på en særskilt "
    f"konto? Tlf {PHONE}"
)


def checkpoint_bytes(backend: Backend) -> bytes:
    """Everything the checkpointer holds, as stored."""
    if backend.name == "sqlite":
        return b"".join(p.read_bytes() for p in backend.home.glob("checkpoints.sqlite*"))
    import psycopg

    with psycopg.connect(backend.url) as conn:
        tables = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")
        rows = [r for t in tables for r in conn.execute(f"SELECT * FROM {t}").fetchall()]
    return b"".join(v if isinstance(v, bytes) else str(v).encode() for r in rows for v in r)


def bearer(key: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {key['key']}"}


def test_pending_review_then_resume(promoted: Promoted, backend: Backend) -> None:
    home, env = backend.home, backend.env
    staff = create_key(home, env, "kd")
    reviewer = create_key(home, env, "kd", "--reviewer")
    other = create_key(home, env, "fin", "--reviewer")
    body = {"model": "mini-godkjenn", "messages": [{"role": "user", "content": QUESTION}]}

    with serving(promoted, home, env) as replica:
        url = replica.v1
        asked = httpx.post(f"{url}/chat/completions", json=body, headers=bearer(staff), timeout=120)
        assert asked.status_code == 200
        meta = asked.json()["kilab"]
        thread = meta["thread_id"]
        assert meta["status"] == "pending_review" and asked.json()["citations"] == []
        assert thread in asked.json()["choices"][0]["message"]["content"]  # says where to look

        state = httpx.get(f"{url}/threads/{thread}", headers=bearer(staff)).json()
        assert state["status"] == "pending_review" and state["prompt"] == "Godkjenn svaret."
        assert "seks måneders leie" in state["draft"] and state["answer"] == ""
        assert PHONE not in state["question"] and "depositum" in state["question"]
        stored = checkpoint_bytes(backend)
        assert b"depositum" in stored and PHONE.encode() not in stored  # masked at rest
        assert httpx.get(f"{url}/threads/{thread}", headers=bearer(other)).status_code == 404

        decide = f"{url}/threads/{thread}/resume"
        not_reviewer = httpx.post(decide, json={"action": "approve"}, headers=bearer(staff))
        assert not_reviewer.status_code == 403
        bad = httpx.post(decide, json={"action": "maybe"}, headers=bearer(reviewer))
        assert bad.status_code == 400

        # the checkpointer kilab pending, kilab review and the viewer use
        pending = run_kilab("pending", home=home, env=env)
        assert pending.returncode == 0 and thread in pending.stdout

        revised = httpx.post(
            decide,
            json={"action": "revise", "comment": "Kortere"},
            headers=bearer(reviewer),
            timeout=120,
        ).json()
        assert revised["status"] == "pending_review"  # drafted again, waiting again
        assert revised["decision"]["action"] == "revise"
        approved = httpx.post(
            decide,
            json={"action": "approve", "reviewer": "ola"},
            headers=bearer(reviewer),
            timeout=120,
        )
        assert approved.status_code == 200
        done = approved.json()
        assert done["status"] == "completed" and "seks måneders leie" in done["answer"]
        assert done["citations"][0]["id"] == "mini#1"
        assert done["kilab"]["record"]["hash"] == promoted.records()["mini-godkjenn"]["hash"]
        again = httpx.post(decide, json={"action": "approve"}, headers=bearer(reviewer))
        assert again.status_code == 409
        final = httpx.get(f"{url}/threads/{thread}", headers=bearer(staff)).json()
        assert final["status"] == "completed" and final["answer"] == done["answer"]

        # streamed, the pending state arrives as the stream's text and metadata
        with httpx.stream(
            "POST",
            f"{url}/chat/completions",
            json={**body, "stream": True},
            headers=bearer(staff),
            timeout=120,
        ) as response:
            events = sse_events(response)
        assert events[-1] == "[DONE]" and events[-2]["kilab"]["status"] == "pending_review"


def test_a_thread_paused_in_postgresql_is_decided_from_the_cli_list_and_the_viewer(
    promoted: Promoted, postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service pauses threads in PostgreSQL: ``kilab pending`` lists them from there, and
    the viewer over a PostgreSQL run store shows and decides them there, not in a SQLite file."""
    import json

    from fastapi.testclient import TestClient

    from kilab.evals.viewer import create_app

    home, env = tmp_path / "home", {"KILAB_DATABASE_URL": postgres_url}
    staff = create_key(home, env, "kd")
    body = {"model": "mini-godkjenn", "messages": [{"role": "user", "content": QUESTION}]}
    with serving(promoted, home, env) as replica:
        asked = httpx.post(
            f"{replica.v1}/chat/completions", json=body, headers=bearer(staff), timeout=120
        )
        assert asked.status_code == 200
        thread = asked.json()["kilab"]["thread_id"]

        pending = run_kilab("pending", "--json", home=home, env=env)
        assert pending.returncode == 0, pending.stderr
        assert [w["thread_id"] for w in json.loads(pending.stdout)] == [thread]
        assert not (home / "checkpoints.sqlite").exists()

        # `kilab serve --store postgresql://…` with nothing else configured
        monkeypatch.setenv("KILAB_HOME", str(home))
        monkeypatch.setenv("KILAB_CACHE", str(home / "cache"))
        monkeypatch.delenv("KILAB_DATABASE_URL", raising=False)
        base = "http://127.0.0.1:8765"
        with TestClient(create_app(postgres_url), base_url=base) as viewer:
            listed = viewer.get("/review")
            assert listed.status_code == 200 and thread in listed.text
            shown = viewer.get(f"/review/{thread}")
            assert shown.status_code == 200 and "seks måneders leie" in shown.text
            decided = viewer.post(
                f"/review/{thread}",
                data={"action": "approve", "reviewer": "ola"},
                headers={"Origin": base},
            )
            assert decided.status_code == 200, decided.text  # the result page, after the 303
            assert "approved" in decided.text
        assert not (home / "checkpoints.sqlite").exists()

        final = httpx.get(f"{replica.v1}/threads/{thread}", headers=bearer(staff)).json()
        assert final.get("status") == "completed", final
        assert "seks måneders leie" in final["answer"]
