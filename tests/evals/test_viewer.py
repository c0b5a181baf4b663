"""The viewer's pages through FastAPI's test client: runs list and filters, run, case,
compare and history pages, errors, headers, and escaping of hostile content."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kilab.evals import open_store
from kilab.evals.decisions import promote
from kilab.evals.promotion import PromotionLog
from kilab.evals.viewer import create_app
from kilab.evals.viewer.demo import Demo, write_demo
from kilab.graphs.project import open_project


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    home = tmp_path_factory.mktemp("viewer")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KILAB_HOME", str(home))
        patch.setenv("KILAB_CACHE", str(home / "cache"))
        demo = write_demo(home)
        store = open_store(demo.store)
        try:
            promote(
                open_project(demo.pilot),
                store,
                PromotionLog(demo.log),
                "mini",
                "pilot",
                demo.first,
                "baseline",
            )
        finally:
            store.close()
        yield demo


@pytest.fixture(scope="module")
def client(demo: Demo) -> Iterator[TestClient]:
    with TestClient(create_app(demo.store, log=demo.log, configs=demo.configs)) as client:
        yield client


def test_runs_list_and_filters(client: TestClient, demo: Demo) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert demo.first in page.text and demo.second in page.text
    assert f'value="{demo.first}:baseline"' in page.text  # compare checkboxes per variant
    only_baseline = client.get("/", params={"variant": "baseline"}).text
    assert demo.first in only_baseline and demo.second not in only_baseline
    promoted = client.get("/", params={"stage": "pilot"}).text
    assert demo.first in promoted and demo.second not in promoted
    assert "match the filter" in client.get("/", params={"pilot": "other"}).text


def test_run_page_has_summary_gate_graph_and_cases(client: TestClient, demo: Demo) -> None:
    page = client.get(f"/runs/{demo.first}")
    assert page.status_code == 200
    text = page.text
    assert "<th>baseline [95 % CI]</th><th>k1 [95 % CI]</th>" in text
    assert "Gate → " in text and "min_cases" in text
    # the default pass scores fact_recall; no calibration lies in this KILAB_HOME
    assert 'fact_recall <span class="judge">(uncalibrated judge)</span>' in text
    assert "review · 22×" in text and "flowchart TD" in text
    assert text.count('class="case-link"') == 22
    one = client.get(f"/runs/{demo.first}", params={"variant": "k1"}).text
    assert one.count('class="case-link"') == 11 and "review · 11×" in one


def test_case_page_shows_trace_and_escapes(client: TestClient, demo: Demo) -> None:
    page = client.get(f"/runs/{demo.first}/cases/mini-xss", params={"variant": "k1"})
    assert page.status_code == 200
    text = page.text
    assert 'id="timeline"' in text and "<b>retrieve</b>" in text
    assert "<script>" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(&#34;doc&#34;)&lt;/script&gt;" in text
    assert "&lt;b&gt;Oppsigelse&lt;/b&gt;" in text


def test_compare_page_of_three_runs(client: TestClient, demo: Demo) -> None:
    refs = [f"{demo.first}:baseline", f"{demo.second}:k1", f"{demo.first}:k1"]
    page = client.get("/compare", params=[("runs", r) for r in refs])
    assert page.status_code == 200
    assert page.text.count('<section class="comparison">') == 2
    assert f"B {demo.second}:k1 vs A {demo.first}:baseline" in page.text
    assert "1 cases only in A (mini-10)" in page.text  # the case the second run lacks
    assert client.get("/compare", params={"runs": refs[0]}).status_code == 400


def test_history_lists_promotions(client: TestClient, demo: Demo) -> None:
    page = client.get("/pilots/mini/history")
    assert page.status_code == 200
    assert "hash chain verifies" in page.text and demo.first in page.text
    assert "No promotions of other yet" in client.get("/pilots/other/history").text


def test_errors_headers_and_assets(client: TestClient, demo: Demo) -> None:
    missing = client.get("/runs/nope")
    assert missing.status_code == 404 and "no run" in missing.text
    assert client.get(f"/runs/{demo.first}/cases/nope").status_code == 404
    assert client.get(f"/runs/{demo.first}", params={"variant": "k9"}).status_code == 404
    page = client.get("/")
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none'
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.headers["x-content-type-options"] == "nosniff"
    css = client.get("/static/style.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "http" not in css.text  # no external asset
    assert 'href="/static/style.css"' in page.text and "//" not in page.text.split("<main>")[0]


def test_a_run_whose_process_is_gone_is_listed_as_interrupted(demo: Demo, tmp_path: Path) -> None:
    from kilab.evals import leases
    from kilab.evals.records import RunInfo

    store = open_store(tmp_path / "runs.sqlite")
    for run_id in ("mini-gone", "mini-alive"):
        store.create_run(
            RunInfo(
                id=run_id,
                pilot="mini",
                dataset="d.jsonl",
                dataset_hash="h",
                config_hash="c",
                code_version="v",
                variants=["baseline"],
                total=1,
            )
        )
    leases.acquire(store, "mini-alive")  # held by this live process; mini-gone by nobody
    store.close()
    app = create_app(tmp_path / "runs.sqlite", log=tmp_path / "log.jsonl", configs=demo.configs)
    with TestClient(app) as viewer:
        rows = {
            run_id: row
            for row in viewer.get("/").text.split("<tr")
            for run_id in ("mini-gone", "mini-alive")
            if f"/runs/{run_id}" in row
        }
    assert '<td data-label="status">interrupted</td>' in rows["mini-gone"]
    assert '<td data-label="status">running</td>' in rows["mini-alive"]
