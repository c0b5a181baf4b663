"""``POST /v1/feedback`` and ``kilab feedback export PILOT``: rated-down answers become
dataset lines the project's loader reads, with personal data masked on the way."""

from __future__ import annotations

import httpx
import pytest
from conftest import Backend
from kilab_subprocess import run_kilab

from kilab.api.store import ServiceStore
from kilab.api.testing import Promoted, create_key, serving
from kilab.evals.datasets import load_dataset

pytestmark = pytest.mark.integration
PHONE = "91234567"


def test_feedback_export_is_a_dataset(
    promoted: Promoted, backend: Backend, tmp_path: object
) -> None:
    home, env = backend.home, backend.env
    kd, fin = create_key(home, env, "kd"), create_key(home, env, "fin")

    def ask(question: str) -> dict[str, object]:
        body = {"model": "mini", "messages": [{"role": "user", "content": question}]}
        done = httpx.post(
            f"{replica.v1}/chat/completions",
            json=body,
            headers={"Authorization": f"Bearer {kd['key']}"},
            timeout=120,
        )
        assert done.status_code == 200
        answer: dict[str, object] = done.json()
        return answer

    def rate(key: dict[str, str], **body: str) -> httpx.Response:
        return httpx.post(
            f"{replica.v1}/feedback",
            json=body,
            headers={"Authorization": f"Bearer {key['key']}"},
            timeout=60,
        )

    with serving(promoted, home, env) as replica:
        down = ask(
            "Hvor mye depositum kan utleieren kreve, og skal depositumet settes inn på en "
            f"særskilt konto? Tlf {PHONE}"
        )
        up = ask("Hva er oppsigelsesfristen for leie av bolig?")
        assert (
            rate(
                kd, id=str(down["id"]), rating="down", comment="For langt. Skriv til ola@example.no"
            ).status_code
            == 201
        )
        assert rate(kd, id=str(up["id"]), rating="up").status_code == 201
        assert rate(fin, id=str(down["id"]), rating="down").status_code == 404  # not its answer
        assert rate(kd, id="chatcmpl-ukjent", rating="down").status_code == 404
        assert rate(kd, id=str(up["id"]), rating="meh").status_code == 400

    out = backend.home / "feedback" / "mini.jsonl"
    exported = run_kilab("feedback", "export", "mini", "--output", str(out), home=home, env=env)
    assert exported.returncode == 0, exported.stderr
    assert "1 cases written" in exported.stderr
    (case,) = load_dataset(out).cases
    assert PHONE not in case.question and "depositum" in case.question
    assert case.feedback is not None and case.feedback.request_id == down["id"]
    given = down["choices"][0]["message"]["content"]  # type: ignore[index]
    assert "seks måneders leie" in given and case.feedback.answer == given
    assert "ola@example.no" not in case.feedback.comment and "For langt" in case.feedback.comment
    assert "feedback" in case.tags and "tenant:kd" in case.tags
    printed = run_kilab("feedback", "export", "mini", home=home, env=env)
    assert printed.stdout == out.read_text(encoding="utf-8")

    store = ServiceStore(backend.store)
    try:
        logged = store.audit_entry(str(down["id"]))
    finally:
        store.close()
    assert logged is not None and PHONE not in logged.question and logged.citations == ["mini#1"]
