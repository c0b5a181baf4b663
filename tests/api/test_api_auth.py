"""Tenants and their keys against a real replica: 401 without a (live) key, 403 for a pilot
the tenant may not use, 429 with Retry-After over the key's rate or concurrency; usage and
cost per tenant; keys stored only as hashes."""

from __future__ import annotations

import json
import threading

import httpx
import pytest
from conftest import Backend
from kilab_subprocess import run_kilab

from kilab.agents.testing import FakeOpenAIServer
from kilab.api.store import ServiceStore
from kilab.api.testing import Promoted, create_key, serving

pytestmark = pytest.mark.integration


def ask(
    url: str,
    secret: str | None,
    model: str = "mini",
    question: str = "Hvor mye depositum kan utleier kreve?",
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    body = {"model": model, "messages": [{"role": "user", "content": question}]}
    return httpx.post(f"{url}/chat/completions", json=body, headers=headers, timeout=120)


def test_keys_limits_and_usage(
    promoted: Promoted, backend: Backend, fake_model: FakeOpenAIServer
) -> None:
    home, env = backend.home, backend.env
    plain = run_kilab("api", "keys", "create", "--tenant", "dfd", home=home, env=env)
    assert plain.returncode == 0, plain.stderr
    dfd_secret = plain.stdout.strip()
    assert dfd_secret.startswith("kl_") and "shown only now" in plain.stderr
    narrow = create_key(home, env, "kdd", "--pilots", "mini-godkjenn")
    limited = create_key(home, env, "nfd", "--rate", "2")
    single = create_key(home, env, "asd", "--concurrency", "1")

    with serving(promoted, home, env) as replica:
        url = replica.v1
        missing = ask(url, None)
        assert missing.status_code == 401 and missing.json()["error"]["type"] == "auth_error"
        assert ask(url, "kl_00000000_not-a-key").status_code == 401
        assert httpx.get(f"{url}/models").status_code == 401

        forbidden = ask(url, narrow["key"], "mini")
        assert forbidden.status_code == 403 and "kdd" in forbidden.json()["error"]["message"]
        models = httpx.get(f"{url}/models", headers={"Authorization": f"Bearer {narrow['key']}"})
        assert [m["id"] for m in models.json()["data"]] == ["mini-godkjenn"]
        unknown = ask(url, dfd_secret, "mini-ukjent")
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "model_not_found"

        assert [ask(url, limited["key"]).status_code for _ in range(2)] == [200, 200]
        over = ask(url, limited["key"])
        assert over.status_code == 429 and over.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(over.headers["Retry-After"]) <= 60

        # one request of the single-slot key held in the model: the next one is refused
        before = fake_model.calls
        fake_model.hold()
        held: list[httpx.Response] = []
        thread = threading.Thread(
            target=lambda: held.append(ask(url, single["key"], "mini-modell", "Depositum (holdt)?"))
        )
        thread.start()
        try:
            fake_model.wait_for_calls(before + 1)
            busy = ask(url, single["key"], "mini-modell")
            assert busy.status_code == 429 and busy.json()["error"]["code"] == "too_many_concurrent"
            assert busy.headers["Retry-After"] == "1"
        finally:
            fake_model.release()
            thread.join()
        assert held[0].status_code == 200
        assert ask(url, single["key"], "mini").status_code == 200  # its slot was given back

        revoked = run_kilab("api", "keys", "revoke", dfd_secret, home=home, env=env)
        assert revoked.returncode == 0 and "revoked key" in revoked.stdout
        assert ask(url, dfd_secret).status_code == 401  # at once, no restart

    listed = run_kilab("api", "keys", "list", "--json", home=home, env=env)
    keys = json.loads(listed.stdout)
    assert {k["tenant"] for k in keys} == {"dfd", "kdd", "nfd", "asd"}
    assert all("key" not in k for k in keys) and dfd_secret not in listed.stdout
    assert next(k for k in keys if k["tenant"] == "dfd")["revoked_at"]

    usage = run_kilab("api", "usage", "--json", home=home, env=env)
    by_tenant = {row["tenant"]: row for row in json.loads(usage.stdout)}
    assert by_tenant["nfd"]["requests"] == 3 and by_tenant["nfd"]["errors"] == 1
    # the fake model's profile has prices: 120 tokens in at 1.0, 20 out at 2.0 a million
    assert by_tenant["asd"]["input_tokens"] == 120 and by_tenant["asd"]["output_tokens"] == 20
    assert by_tenant["asd"]["cost"] == pytest.approx(160e-6)
    assert (by_tenant["kdd"]["requests"], by_tenant["kdd"]["errors"]) == (1, 1)  # the 403

    store = ServiceStore(backend.store)
    try:
        stored = store.db.query("SELECT secret_hash FROM api_keys")
    finally:
        store.close()
    assert dfd_secret not in {row["secret_hash"] for row in stored} and len(stored) == 4
