"""The evaluation commands as a user runs them: eval as a real subprocess, then gate,
promote, history, verify-log and runs on the store it wrote."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from kilab_subprocess import run_kilab

from kilab.evals.testing import CASES, write_mini_project

ROOT = Path(__file__).resolve().parents[2]


def kilab(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return run_kilab(*args, home=home, cwd=home, timeout=120)


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A mini project evaluated once by ``kilab eval --json``: (home, pilot, run id)."""
    home = tmp_path_factory.mktemp("home")
    pilot = write_mini_project(home / "configs")
    done = kilab("eval", str(pilot), "--json", "--variants", "baseline", home=home)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    return home, pilot, str(data["run"]["id"])


def test_eval_json_has_metrics_with_cis_cases_and_the_gate(tmp_path: Path) -> None:
    pilot = write_mini_project(tmp_path / "configs")
    done = kilab("eval", str(pilot), "--json", home=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    recall = data["variants"]["baseline"]["metrics"]["recall@3"]
    assert recall["n"] == 8 and recall["low"] <= recall["value"] <= recall["high"]
    assert len(data["cases"]) == 10 and data["cases"][0]["case_id"] == "mini-01"
    assert data["gates"][0]["stage"] == "pilot" and data["gates"][0]["passed"] is True
    assert (tmp_path / "runs.sqlite").exists()  # in $KILAB_HOME


def test_eval_prints_cases_aggregate_and_gate(evaluated: tuple[Path, Path, str]) -> None:
    home, pilot, _ = evaluated
    done = kilab("eval", str(pilot), "--cases", "all", home=home)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "0 computed, 10 reused" in out  # same keys as the fixture's run
    assert "mini-10" in out and "Aggregate (mean, 95 % bootstrap CI)" in out
    assert "recall@3" in out and "Gate → pilot" in out and "PASS" in out
    assert "✓ min_cases" in out


def test_fail_on_gate_and_other_dataset(tmp_path: Path) -> None:
    gates = "  pilot:\n    min_cases: 100\n"
    pilot = write_mini_project(tmp_path / "configs", gates=gates)
    other = tmp_path / "other.jsonl"
    other.write_text(
        "\n".join(json.dumps(c, ensure_ascii=False) for c in CASES[:3]) + "\n", encoding="utf-8"
    )
    done = kilab("eval", str(pilot), "--dataset", str(other), "--fail-on-gate", home=tmp_path)
    assert done.returncode == 1
    assert "3 cases" in done.stdout and "✗ min_cases" in done.stdout
    done = kilab("eval", str(pilot), "--dataset", str(other), "--cases", "some", home=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_gate_promote_history_and_verify_log(evaluated: tuple[Path, Path, str]) -> None:
    from typer.testing import CliRunner

    from kilab.cli import app

    home, pilot, run_id = evaluated
    runner = CliRunner()
    cwd = os.getcwd()
    os.chdir(home)
    try:
        # The evaluation ran in a subprocess with KILAB_HOME=home: its store is there.
        store = ["--store", str(home / "runs.sqlite")]
        configs = ["--configs", str(home / "configs"), *store]
        gate = runner.invoke(app, ["gate", run_id, *configs])
        assert gate.exit_code == 0 and "Gate → pilot" in gate.output and "PASS" in gate.output
        promoted = runner.invoke(
            app, ["promote", str(pilot), "--to", "pilot", "--run", run_id, *store]
        )
        assert promoted.exit_code == 0, promoted.output
        assert "promoted mini → pilot" in promoted.output
        refused = runner.invoke(app, ["promote", str(pilot), "--to", "production", *store])
        assert refused.exit_code != 0 and "not promoted" in str(refused.exception)
        next_gate = runner.invoke(app, ["gate", "latest", *configs])
        assert "Gate → production" in next_gate.output and "FAIL" in next_gate.output
        history = runner.invoke(app, ["history", "mini"])
        assert history.exit_code == 0 and run_id in history.output and "pilot" in history.output
        assert runner.invoke(app, ["verify-log"]).exit_code == 0
        runs = runner.invoke(app, ["runs", *store])
        assert run_id in runs.output and "10/10" in runs.output

        log = home / ".kilab" / "promotions.jsonl"
        log.write_text(log.read_text().replace('"stage":"pilot"', '"stage":"production"'))
        tampered = runner.invoke(app, ["verify-log"])
        assert tampered.exit_code == 1 and "edited" in tampered.output
    finally:
        os.chdir(cwd)


@pytest.mark.integration
def test_a_postgresql_url_is_a_store_on_every_command(tmp_path: Path, postgres_url: str) -> None:
    pilot = write_mini_project(tmp_path / "configs")
    done = kilab("eval", str(pilot), "--json", "--store", postgres_url, home=tmp_path)
    assert done.returncode == 0, done.stderr
    run_id = json.loads(done.stdout)["run"]["id"]
    assert not (tmp_path / "runs.sqlite").exists()
    listed = kilab("runs", "--store", postgres_url, home=tmp_path)
    assert listed.returncode == 0 and run_id in listed.stdout, listed.stderr
    gate = kilab("gate", run_id, "--json", "--store", postgres_url, home=tmp_path)
    assert gate.returncode == 0, gate.stderr
    assert json.loads(gate.stdout)


def test_an_unreachable_store_is_a_clear_error_without_the_password(tmp_path: Path) -> None:
    done = kilab("runs", "--store", "postgresql://kilab:hemmelig@127.0.0.1:9/runs", home=tmp_path)
    assert done.returncode != 0
    assert "cannot open the runs store at postgresql://kilab:***@127.0.0.1:9/runs" in done.stderr
    assert "hemmelig" not in done.stderr and "Traceback" not in done.stderr
