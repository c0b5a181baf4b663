"""The HTML report: self-contained, escaped, with comparison, gate, graph and cases; and in
headless Chromium: the charts render and hostile content does not execute."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kilab.cli import app
from kilab.evals import open_store
from kilab.evals.report import render_report
from kilab.evals.viewer.demo import HOSTILE_QUESTION, Demo, write_demo

ROOT = Path(__file__).resolve().parents[2]
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
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="browser test: /usr/bin/chromium absent (apt-get install -y chromium)",
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    home = tmp_path_factory.mktemp("report")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KILAB_HOME", str(home))
        patch.setenv("KILAB_CACHE", str(home / "cache"))
        yield write_demo(home)


@pytest.fixture(scope="module")
def compared(demo: Demo) -> str:
    store = open_store(demo.store)
    try:
        html, run_id = render_report(
            store, demo.second, vs=f"{demo.first}:baseline", configs=demo.configs, log=demo.log
        )
    finally:
        store.close()
    assert run_id == demo.second
    return html


def test_report_is_self_contained(compared: str) -> None:
    assert "<script" not in compared.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", compared)
    assert "@import" not in compared
    assert not re.search(r"url\((?!#)", compared)  # only references inside the file
    assert "default-src 'none'" in compared  # the CSP forbids scripts and loads


def test_report_escapes_documents_questions_and_answers(compared: str) -> None:
    assert "<img src=x" not in compared and "<b>Oppsigelse</b>" not in compared
    assert "&lt;script&gt;alert(&#34;doc&#34;)&lt;/script&gt;" in compared
    assert "&lt;script&gt;alert(&#34;q&#34;)&lt;/script&gt;" in compared
    assert "&lt;i&gt;tag&lt;/i&gt;" in compared  # tags too


def test_report_has_comparison_gate_graph_and_cases(compared: str, demo: Demo) -> None:
    assert f"B {demo.second}:k1 vs A {demo.first}:baseline" in compared
    assert "10 shared cases" in compared
    assert "Not compared: 1 cases only in A (mini-10)" in compared
    assert "Gate → pilot · k1" in compared and "min_cases" in compared
    assert "Graph mini-rag" in compared and "flowchart TD" in compared
    assert "review · 10×" in compared  # visit count in the SVG graph
    assert compared.count('<details class="case') == 10
    for chart in ("metric-bars", "diff-plot", "latency", "graph"):
        assert f'class="chart {chart}"' in compared


def test_a_vs_report_opens_with_the_comparison(compared: str, demo: Demo) -> None:
    comparison = compared.index('<h2 id="comparison">')
    assert comparison < compared.index("summary</h2>") < compared.index("<h2>Gate</h2>")
    assert compared.index('class="summary-grid"') > comparison
    assert compared.index('<table class="metrics">') > comparison  # its table comes first


def test_chart_legends_name_run_and_variant_whole(compared: str, demo: Demo) -> None:
    legends = re.findall(r'<g class="legend">.*?<text[^>]*>([^<]*)</text></g>', compared)
    a, b = f"A {demo.first}:baseline", f"B {demo.second}:k1"
    assert len(a) > 20 and len(b) > 20  # longer than the old legends' cut
    assert legends.count(a) == 2 and legends.count(b) == 2  # the bars and the latency chart


def test_report_without_vs_shows_every_variant(demo: Demo) -> None:
    store = open_store(demo.store)
    try:
        html, _ = render_report(store, demo.first, configs=demo.configs, log=demo.log)
    finally:
        store.close()
    assert "<th>baseline [95 % CI]</th><th>k1 [95 % CI]</th>" in html
    assert html.count('<details class="case') == 22
    assert "Comparison:" not in html


def test_cli_report_writes_the_file(demo: Demo, tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.html"
    done = CliRunner().invoke(
        app,
        [
            "report", demo.second, "--vs", f"{demo.first}:baseline", "-o", str(target),
            "--store", str(demo.store), "--configs", str(demo.configs), "--log", str(demo.log),
        ],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert target.read_text(encoding="utf-8").startswith("<!doctype html>")


@needs_chromium
def test_report_fits_a_390_px_phone(compared: str, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    file = tmp_path / "report.html"
    file.write_text(compared, encoding="utf-8")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(file.as_uri())
            # The comparison starts on the first screen, above the run's own summary.
            top = page.evaluate("document.getElementById('comparison').offsetTop")
            assert top < 844
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report-390.png"), full_page=False)
            verdict = page.locator("table.metrics td.verdict").first.bounding_box()
            assert verdict is not None and verdict["x"] + verdict["width"] <= 390
            for case in page.locator("details.case > summary").all():
                case.click()  # open every case: their tables must fit too
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
        finally:
            browser.close()


@needs_chromium
def test_report_in_chromium_draws_charts_and_runs_no_script(compared: str, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    file = tmp_path / "report.html"
    file.write_text(compared, encoding="utf-8")
    dialogs: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(file.as_uri())
            assert page.locator("svg.chart").count() >= 5
            box = page.locator("svg.metric-bars rect.bar").first.bounding_box()
            assert box is not None and box["width"] > 10
            assert page.locator("svg.diff-plot rect.diff").count() >= 1
            assert page.locator("script").count() == 0
            assert page.locator("main img").count() == 0  # the document's <img> stayed text
            case = page.locator("details#case-mini-xss")
            if case.get_attribute("open") is None:  # failed cases start open
                case.locator("summary").click()
            assert HOSTILE_QUESTION in case.locator("dd.question").inner_text()
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
            page.emulate_media(media="print")
            assert page.locator("svg.chart").first.is_visible()
        finally:
            browser.close()
    assert dialogs == []
    assert requests == [file.as_uri()]
