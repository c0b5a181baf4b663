"""The viewer's "Til godkjenning" pages: threads paused at a human step are listed, and a
form resumes them as ``kilab review`` does; a POST from elsewhere is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from langgraph.checkpoint.sqlite import SqliteSaver

from kilab.evals.viewer import create_app
from kilab.graphs.agent_testing import write_project
from kilab.graphs.compiler import compile_pilot
from kilab.graphs.review import labels, pending_threads
from kilab.graphs.runner import run_question

QUESTION = "Lag et kort notat om endringene i karanteneloven"
HOSTILE = QUESTION + ' <script>alert("q")</script>'
BASE = "http://127.0.0.1:8765"
SAME_ORIGIN = {"Origin": BASE}


def start_threads(folder: Path, checkpoints: Path, questions: dict[str, str]) -> None:
    """Run the tiny notat pilot until its human step pauses, once per thread id."""
    project = write_project(folder / "project")
    with SqliteSaver.from_conn_string(str(checkpoints)) as saver:
        compiled = compile_pilot(project, "notat", "baseline", checkpointer=saver)
        for thread, question in questions.items():
            run_question(compiled, question, thread, labels("notat", "baseline", project.root))


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("review-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KILAB_HOME", str(home))
        patch.setenv("KILAB_CACHE", str(home / "cache"))
        path = home / "checkpoints.sqlite"
        start_threads(
            home, path, {"t-approve": QUESTION, "t-revise": QUESTION, "t-reject": HOSTILE}
        )
        yield path


@pytest.fixture(scope="module")
def client(checkpoints: Path) -> Iterator[TestClient]:
    app = create_app(checkpoints.parent / "runs.sqlite", checkpoints=checkpoints)
    with TestClient(app, base_url=BASE) as client:
        yield client


def _waiting(checkpoints: Path) -> list[str]:
    with SqliteSaver.from_conn_string(str(checkpoints)) as saver:
        return [w.thread_id for w in pending_threads(saver)]


def _decide(client: TestClient, thread: str, **form: str) -> str:
    """POST a decision from the viewer's own page; follow the 303 to the result page."""
    sent = client.post(f"/review/{thread}", data=form, headers=SAME_ORIGIN, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == f"/review/{thread}/result"
    shown = client.get(sent.headers["location"])
    assert shown.status_code == 200
    return shown.text


def test_pending_list_and_thread_page(client: TestClient) -> None:
    listed = client.get("/review")
    assert listed.status_code == 200
    text = listed.text
    assert '<a href="/review" class="nav-review">Til godkjenning</a>' in text
    for thread in ("t-approve", "t-revise", "t-reject"):
        assert f'href="/review/{thread}"' in text
    assert "<td>notat</td><td>baseline</td>" in text
    assert "<script>" not in text and "&lt;script&gt;alert(&#34;q&#34;)&lt;/script&gt;" in text
    assert listed.headers["Referrer-Policy"] == "same-origin"  # so the form POST has an Origin

    page = client.get("/review/t-approve").text
    assert "## Bakgrunn" in page and 'class="draft"' in page  # the note waiting for approval
    assert '<ul class="citations"><li>' in page and "LOV-2025-01-01-1" in page
    for action in ("approve", "revise", "reject"):
        assert f'name="action" value="{action}"' in page
    assert '<textarea name="comment"' in page and 'action="/review/t-approve"' in page
    assert client.get("/review/no-such-thread").status_code == 404


def test_cross_origin_and_foreign_host_posts_are_refused(
    client: TestClient, checkpoints: Path
) -> None:
    refused = [
        {"Origin": "http://evil.example"},
        {"Origin": "http://127.0.0.1:9999"},  # another port is another origin
        {"Origin": "null"},
        {"Referer": "http://evil.example/page"},
        {},  # neither Origin nor Referer
    ]
    for headers in refused:
        sent = client.post("/review/t-approve", data={"action": "approve"}, headers=headers)
        assert sent.status_code == 403, headers
    rebound = client.post(  # DNS rebinding: the foreign name arrives as Host, Origin agrees
        "/review/t-approve",
        data={"action": "approve"},
        headers={"Host": "evil.example:8765", "Origin": "http://evil.example:8765"},
    )
    assert rebound.status_code == 403
    assert "t-approve" in _waiting(checkpoints)  # nothing was resumed
    referer_only = client.post(  # a browser may send only a Referer: same origin is fine
        "/review/t-nothing", data={"action": "approve"}, headers={"Referer": BASE + "/review"}
    )
    assert referer_only.status_code == 404  # past the check, and no such thread waits


def test_approve_revise_reject_resume_the_threads(client: TestClient, checkpoints: Path) -> None:
    approved = _decide(client, "t-approve", action="approve", reviewer="kari")
    assert 'class="outcome approved' in approved and "approve by kari" in approved
    assert "## Kilder" in approved and '<ul class="citations">' in approved
    assert "t-approve" not in _waiting(checkpoints)
    assert 'href="/review/t-approve"' not in client.get("/review").text

    revised = _decide(client, "t-revise", action="revise", comment="Kortere <b>takk</b>")
    assert 'class="outcome paused"' in revised
    assert "<li>Kortere &lt;b&gt;takk&lt;/b&gt;</li>" in revised  # the comment, recorded
    assert "t-revise" in _waiting(checkpoints)  # waiting again, with a new draft
    assert 'href="/review/t-revise"' in client.get("/review").text
    redrafted = client.get("/review/t-revise").text  # the new draft, with what was asked
    assert "## Bakgrunn" in redrafted and "<li>Kortere &lt;b&gt;takk&lt;/b&gt;</li>" in redrafted

    rejected = _decide(client, "t-reject", action="reject")
    assert 'class="outcome rejected' in rejected and "## Bakgrunn" not in rejected
    assert "<script>" not in rejected
    assert _waiting(checkpoints) == ["t-revise"]

    again = client.post("/review/t-reject", data={"action": "approve"}, headers=SAME_ORIGIN)
    assert again.status_code == 404  # decided already: nothing waits
    unknown = client.post("/review/t-revise", data={"action": "ship"}, headers=SAME_ORIGIN)
    assert unknown.status_code == 400 and "approve, revise or reject" in unknown.text
    assert _waiting(checkpoints) == ["t-revise"]
