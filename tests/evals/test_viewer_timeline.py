"""The case page's trace timeline reads the spans as the store keeps them (``start_ns``,
``duration_ms``): offsets from the case's first span, durations, and nesting under the case."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kilab.core.telemetry import TelemetrySettings
from kilab.core.telemetry.traces import configure_tracing, shutdown_tracing
from kilab.evals import EvalOptions, open_store, run_eval
from kilab.evals.records import CaseResult
from kilab.evals.testing import write_mini_project
from kilab.evals.viewer import create_app
from kilab.graphs.project import open_project

STEP = re.compile(
    r'<div class="step depth-(\d)"><span class="dot"></span><b>([^<]+)</b>.*?'
    r'<span class="ci timing">\+([\d.]+) ms · ([\d.]+) ms</span>',
    re.S,
)


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, CaseResult]]:
    """The mini pilot evaluated with spans kept in the store: (store, one stored result)."""
    home = tmp_path_factory.mktemp("timeline")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KILAB_HOME", str(home))
        patch.setenv("KILAB_CACHE", str(home / "cache"))
        configure_tracing(TelemetrySettings(traces=("store",)))
        try:
            pilot = write_mini_project(home / "configs")
            store_path = home / "runs.sqlite"
            store = open_store(store_path)
            try:
                report = run_eval(open_project(pilot), "mini", store, EvalOptions())
                stored = store.results(report.run.id)
            finally:
                store.close()
        finally:
            shutdown_tracing()
        yield store_path, stored[0]


def test_the_timeline_shows_each_stored_spans_offset_and_duration(
    traced: tuple[Path, CaseResult],
) -> None:
    store_path, result = traced
    spans = result.spans
    assert len(spans) >= 4 and all("start_ns" in s and "duration_ms" in s for s in spans)
    with TestClient(create_app(store_path)) as client:
        page = client.get(f"/runs/{result.run_id}/cases/{result.case.id}")
    assert page.status_code == 200
    steps = STEP.findall(page.text)
    assert [name for _, name, _, _ in steps] == [s["name"] for s in spans]

    origin = min(s["start_ns"] for s in spans)
    for (depth, _, offset, duration), span in zip(steps, spans, strict=True):
        assert float(offset) == pytest.approx((span["start_ns"] - origin) / 1e6, abs=0.051)
        assert float(duration) == pytest.approx(span["duration_ms"], abs=0.051)
        expected_depth = 0 if span["name"].startswith("case ") else 1
        expected_depth += span["name"].startswith(("execute_tool", "retrieval "))
        assert int(depth) == expected_depth
    # The case span holds the others: it lasts longest, and later spans start later.
    durations = [float(d) for _, _, _, d in steps]
    assert durations[0] == max(durations) > 0
    assert float(steps[-1][2]) > 0
