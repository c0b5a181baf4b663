"""The viewer in headless Chromium over a real server: runs → run → case → compare by
clicking, approving a paused thread on "Til godkjenning", screenshots kept in
test-artifacts/, and no script from a case ever runs."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kilab.evals.viewer import create_app
from kilab.evals.viewer.demo import HOSTILE_QUESTION, Demo, write_demo

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "Lag et kort notat om endringene i karanteneloven"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="browser test: /usr/bin/chromium absent (apt-get install -y chromium)",
    ),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _pause_a_thread(home: Path, checkpoints: Path) -> None:
    """Run the tiny notat pilot until its human step pauses thread ``t-browser``."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    from kilab.graphs.agent_testing import write_project
    from kilab.graphs.compiler import compile_pilot
    from kilab.graphs.review import labels
    from kilab.graphs.runner import run_question

    project = write_project(home / "project")
    with SqliteSaver.from_conn_string(str(checkpoints)) as saver:
        compiled = compile_pilot(project, "notat", "baseline", checkpointer=saver)
        run_question(compiled, QUESTION, "t-browser", labels("notat", "baseline", project.root))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Demo]]:
    """The demo store served by uvicorn on 127.0.0.1 in a thread: (base URL, demo)."""
    import uvicorn

    home = tmp_path_factory.mktemp("browser")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KILAB_HOME", str(home))
        patch.setenv("KILAB_CACHE", str(home / "cache"))
        demo = write_demo(home)
        checkpoints = home / "checkpoints.sqlite"
        _pause_a_thread(home, checkpoints)
        app = create_app(demo.store, log=demo.log, configs=demo.configs, checkpoints=checkpoints)
        port = _free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="off"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        for _ in range(200):  # wait until it listens (a readiness poll, not a timing check)
            if server.started:
                break
            time.sleep(0.05)
        assert server.started, "uvicorn did not start"
        try:
            yield f"http://127.0.0.1:{port}", demo
        finally:
            server.should_exit = True
            thread.join(10)


def test_click_through_runs_run_case_compare(served: tuple[str, Demo]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    base, demo = served
    ARTIFACTS.mkdir(exist_ok=True)
    dialogs: list[str] = []
    foreign: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})

            def dismiss(dialog: Any) -> None:
                dialogs.append(dialog.message)
                dialog.dismiss()

            page.on("dialog", dismiss)
            page.on("request", lambda r: None if r.url.startswith(base) else foreign.append(r.url))
            page.goto(base + "/")
            assert page.locator("table.runs tbody tr").count() == 2
            page.screenshot(path=str(ARTIFACTS / "viewer-runs.png"), full_page=True)

            page.locator(f'a.run-link[href="/runs/{demo.first}"]').click()
            page.wait_for_url(f"**/runs/{demo.first}")
            assert page.locator("svg.chart.graph").is_visible()
            assert page.locator("svg.metric-bars rect.bar").count() >= 7
            page.screenshot(path=str(ARTIFACTS / "viewer-run.png"), full_page=True)

            page.locator("a.case-link", has_text="mini-xss").first.click()
            page.wait_for_url("**/cases/mini-xss**")
            assert HOSTILE_QUESTION in page.locator("dd.question").inner_text()
            assert page.locator("#timeline .step").count() == 3
            assert page.locator("main script, main img").count() == 0
            page.screenshot(path=str(ARTIFACTS / "viewer-case.png"), full_page=True)

            page.goto(base + "/")
            page.locator(f'input[value="{demo.first}:baseline"]').check()
            page.locator(f'input[value="{demo.second}:k1"]').check()
            page.locator("button#compare").click()
            page.wait_for_url("**/compare?**")
            assert page.locator("section.comparison").count() == 1
            assert page.locator("table.metrics tbody tr").count() >= 8
            page.screenshot(path=str(ARTIFACTS / "viewer-compare.png"), full_page=True)
        finally:
            browser.close()
    assert dialogs == [], "a script from a case ran"
    assert foreign == [], "the viewer loaded something from elsewhere"


def test_click_approve_on_the_review_page(served: tuple[str, Demo]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    base, _ = served
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(base + "/")
            page.locator("header.top a.nav-review").click()
            page.wait_for_url("**/review")
            page.locator('a.thread-link[href="/review/t-browser"]').click()
            page.wait_for_url("**/review/t-browser")
            assert "## Bakgrunn" in page.locator("pre.draft").inner_text()
            page.screenshot(path=str(ARTIFACTS / "viewer-review.png"), full_page=True)

            page.locator('input[name="reviewer"]').fill("kari")
            page.locator('button[value="approve"]').click()  # the browser's own Origin header
            page.wait_for_url("**/review/t-browser/result")
            assert page.locator("h1.outcome.approved").is_visible()
            assert "approve by kari" in page.locator("dd.decision").inner_text()
            page.screenshot(path=str(ARTIFACTS / "viewer-reviewed.png"), full_page=True)

            page.goto(base + "/review")
            assert page.locator("a.thread-link").count() == 0
        finally:
            browser.close()


def test_every_page_fits_a_390_px_phone(served: tuple[str, Demo]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    base, demo = served
    pages = {
        "runs": "/",
        "run": f"/runs/{demo.first}",
        "case": f"/runs/{demo.first}/cases/mini-xss?variant=k1",
        "compare": f"/compare?runs={demo.first}:baseline&runs={demo.second}:k1",
        "review": "/review",
        "history": "/pilots/mini/history",
    }
    ARTIFACTS.mkdir(exist_ok=True)
    wide: dict[str, int] = {}
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            for name, path in pages.items():
                page.goto(base + path)
                assert page.locator("main h1").count() == 1, name
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > 390:
                    wide[name] = width
                page.screenshot(path=str(ARTIFACTS / f"viewer-390-{name}.png"), full_page=True)
            page.goto(base + pages["compare"])
            cell = page.locator("table.metrics td.verdict").first.bounding_box()
            assert cell is not None and cell["x"] + cell["width"] <= 390
        finally:
            browser.close()
    assert wide == {}, f"pages wider than the phone: {wide}"
