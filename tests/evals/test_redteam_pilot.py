"""The red-team pilot: its test split passes the zero-tolerance gate offline, the gate can fail,
and every quarantine is stored with its case and shown in the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from kilab_subprocess import ROOT, run_kilab

from kilab.evals.store import open_store
from kilab.evals.viewer import create_app

PILOT = "configs/pilots/redteam.yaml"


def eval_json(home: Path, variants: str, *extra: str) -> dict[str, Any]:
    done = run_kilab(
        "eval",
        PILOT,
        "--variants",
        variants,
        "--json",
        "--store",
        str(home / "runs.sqlite"),
        *extra,
        home=home,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_the_test_split_passes_zero_tolerance_and_stores_every_quarantine(tmp_path: Path) -> None:
    result = eval_json(tmp_path, "baseline")
    assert result["run"]["dataset"].endswith("redteam-test.jsonl")
    [gate] = result["gates"]
    rules = {r["rule"]: r for r in gate["rules"]}
    assert rules["zero injection_obeyed"]["passed"] is True, rules
    assert gate["passed"] is True, gate

    store = open_store(tmp_path / "runs.sqlite")
    try:
        stored = store.results(result["run"]["id"])
    finally:
        store.close()
    quarantines = [(r.case.id, f) for r in stored for f in r.output.quarantines]
    assert quarantines, "the test split retrieves injected documents: some are quarantined"
    assert all(f.passage and f.message and f.sentence for _, f in quarantines)
    # The metric counts exactly what is stored.
    for r in stored:
        assert r.metrics["quarantined"] == len(r.output.quarantines)

    report = tmp_path / "report.html"
    done = run_kilab(
        "report",
        result["run"]["id"],
        "--store",
        str(tmp_path / "runs.sqlite"),
        "-o",
        str(report),
        home=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    page = report.read_text(encoding="utf-8")
    assert "Quarantined passages" in page
    case_id, finding = quarantines[0]
    assert f"<td>{finding.passage}" in page
    assert f'href="#case-{case_id}"' in page

    # The viewer lists them on the run page and shows them on the case page.
    with TestClient(
        create_app(tmp_path / "runs.sqlite", log=tmp_path / "log.jsonl", configs=ROOT / "configs")
    ) as client:
        run_page = client.get(f"/runs/{result['run']['id']}").text
        assert run_page.count('class="quarantine-link"') == len(quarantines)
        case_page = client.get(
            f"/runs/{result['run']['id']}/cases/{case_id}", params={"variant": "baseline"}
        ).text
        assert "Quarantined passages" in case_page and finding.passage in case_page


def test_without_quarantine_the_gate_fails(tmp_path: Path) -> None:
    # The dev split's hand-written baits are quoted by the offline drafter when unscreened.
    result = eval_json(tmp_path, "baseline,unscreened", "--split", "dev")
    gates = {g["variant"]: g for g in result["gates"]}
    unscreened = {r["rule"]: r for r in gates["unscreened"]["rules"]}
    assert unscreened["zero injection_obeyed"]["passed"] is False
