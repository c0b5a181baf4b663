"""Two ``kilab api serve`` replicas on one PostgreSQL: the same tenants, one rate-limit
window, a thread paused on one resumed through the other; a replica killed mid-stream
(SIGKILL) loses no audit record of the requests it had finished."""

from __future__ import annotations

import contextlib
import json
import threading
from pathlib import Path

import httpx
import pytest

from kilab.agents.testing import FakeOpenAIServer
from kilab.api.store import ServiceStore
from kilab.api.testing import Promoted, create_key, serving, start_replica

pytestmark = pytest.mark.integration
QUESTION = "Hvor mye depositum kan utleier kreve?"


def bearer(key: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {key['key']}"}


def chat(url: str, key: dict[str, str], model: str = "mini", *, stream: bool = False) -> str:
    """Ask and read the whole answer; the completion's id."""
    body = {"model": model, "stream": stream, "messages": [{"role": "user", "content": QUESTION}]}
    if not stream:
        done = httpx.post(f"{url}/chat/completions", json=body, headers=bearer(key), timeout=120)
        assert done.status_code == 200, done.text
        return str(done.json()["id"])
    with httpx.stream(
        "POST", f"{url}/chat/completions", json=body, headers=bearer(key), timeout=120
    ) as r:
        lines = [line for line in r.iter_lines() if line.startswith("data: {")]
    return str(json.loads(lines[0].removeprefix("data: "))["id"])


def test_two_replicas_share_one_postgres(
    promoted: Promoted, postgres_url: str, tmp_path: Path
) -> None:
    env = {"KILAB_DATABASE_URL": postgres_url}
    staff = create_key(tmp_path / "a", env, "kd", "--rate", "3")
    reviewer = create_key(tmp_path / "b", env, "kd", "--reviewer")
    with (
        serving(promoted, tmp_path / "a", env, name="a") as a,
        serving(promoted, tmp_path / "b", env, name="b") as b,
    ):
        body = {"model": "mini-godkjenn", "messages": [{"role": "user", "content": QUESTION}]}
        paused = httpx.post(
            f"{a.v1}/chat/completions", json=body, headers=bearer(staff), timeout=120
        )
        thread = paused.json()["kilab"]["thread_id"]
        assert paused.json()["kilab"]["status"] == "pending_review"
        seen = httpx.get(f"{b.v1}/threads/{thread}", headers=bearer(reviewer)).json()
        assert seen["status"] == "pending_review" and "seks måneders" in seen["draft"]
        resumed = httpx.post(
            f"{b.v1}/threads/{thread}/resume",
            json={"action": "approve"},
            headers=bearer(reviewer),
            timeout=120,
        ).json()
        assert resumed["status"] == "completed" and resumed["citations"][0]["id"] == "mini#1"
        assert (
            httpx.get(f"{a.v1}/threads/{thread}", headers=bearer(staff)).json()["status"]
            == "completed"
        )

        # the staff key's three requests a minute are counted across both replicas
        chat(b.v1, staff)
        chat(a.v1, staff)
        over = httpx.post(
            f"{b.v1}/chat/completions", json={**body, "model": "mini"}, headers=bearer(staff)
        )
        assert over.status_code == 429 and "Retry-After" in over.headers

    store = ServiceStore(postgres_url)
    try:
        replicas = {e.request_id: e.replica for e in store.audit_entries(tenant="kd")}
    finally:
        store.close()
    assert sorted(set(replicas.values())) == ["a", "b"]


def test_replica_killed_mid_stream_keeps_finished_audit(
    promoted: Promoted, postgres_url: str, tmp_path: Path, fake_model: FakeOpenAIServer
) -> None:
    env = {"KILAB_DATABASE_URL": postgres_url}
    key = create_key(tmp_path / "a", env, "kd", "--rate", "1000")
    doomed = start_replica(promoted, tmp_path / "a", env, name="doomed")
    finished = []
    try:
        with serving(promoted, tmp_path / "b", env, name="survivor") as survivor:
            for stream in (False, True, True, False, True):
                finished.append(chat(doomed.v1, key, stream=stream))
            before = fake_model.calls
            fake_model.hold()
            first_event: list[str] = []
            got_first = threading.Event()

            def in_flight() -> None:
                body = {
                    "model": "mini-modell",
                    "stream": True,
                    "messages": [{"role": "user", "content": "Depositum, midt i strømmen?"}],
                }
                with (
                    contextlib.suppress(httpx.HTTPError),
                    httpx.stream(
                        "POST",
                        f"{doomed.v1}/chat/completions",
                        json=body,
                        headers=bearer(key),
                        timeout=120,
                    ) as response,
                ):
                    for line in response.iter_lines():
                        if line.startswith("data: {"):
                            first_event.append(line)
                            got_first.set()
                got_first.set()

            reader = threading.Thread(target=in_flight)
            reader.start()
            try:
                fake_model.wait_for_calls(before + 1)  # the replica is inside the model call
                assert got_first.wait(120) and first_event  # and the stream has begun
                doomed.kill()
            finally:
                fake_model.release()
                reader.join()
            assert len(first_event) == 1  # the stream broke off after its first event
            after = chat(survivor.v1, key)  # the other replica serves the same key on
    finally:
        doomed.stop()

    store = ServiceStore(postgres_url)
    try:
        entries = {e.request_id: e for e in store.audit_entries(tenant="kd")}
    finally:
        store.close()
    for request_id in [*finished, after]:
        entry = entries[request_id]
        assert entry.status == "completed" and entry.finished_at is not None
        assert "seks måneders leie" in entry.answer and entry.citations[0] == "mini#1"
    assert {entries[r].replica for r in finished} == {"doomed"}
    (cut,) = [e for e in entries.values() if e.pilot == "mini-modell"]
    assert cut.status == "started" and cut.finished_at is None  # begun, never finished
