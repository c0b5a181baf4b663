"""The core commands as a user runs them: real subprocesses, real files."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from kilab_subprocess import run_kilab

ROOT = Path(__file__).resolve().parents[2]


def kilab(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    return run_kilab(*args, home=home, cwd=cwd, timeout=120)


def test_validate_accepts_the_shipped_configs(tmp_path: Path) -> None:
    done = kilab("validate", "configs", cwd=ROOT, home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "all valid" in done.stdout


def test_validate_reports_every_problem_without_traceback(configs: Path, tmp_path: Path) -> None:
    graph = configs / "graphs" / "rag-review.yaml"
    graph.write_text(
        graph.read_text(encoding="utf-8")
        .replace("tool: search", "tool: serch")
        .replace("limits: {draft: 3}", "limts: {draft: 3}"),
        encoding="utf-8",
    )
    lines = graph.read_text(encoding="utf-8").splitlines()
    tool_line = next(i for i, line in enumerate(lines, 1) if "serch" in line)
    limits_line = next(i for i, line in enumerate(lines, 1) if line.startswith("limts"))
    tool_column = lines[tool_line - 1].index("tool: serch") + 1
    done = kilab("validate", str(configs), cwd=tmp_path, home=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert (
        f"{graph}:{tool_line}:{tool_column}: nodes.retrieve.tool: no tool named 'serch'"
        in done.stderr
    )
    assert f"{graph}:{limits_line}:1: limts: unknown key" in done.stderr
    assert "did you mean 'limits'?" in done.stderr
    assert "loop draft → review has no bound" in done.stderr  # limits are gone, so: unbounded
    assert "3 problems found." in done.stderr


def test_run_answers_with_citations_verdict_and_path(tmp_path: Path) -> None:
    done = kilab(
        "run",
        "configs/pilots/husleie.yaml",
        "--variant",
        "bm25",
        "--json",
        "-q",
        "Hvor stort depositum kan utleier kreve av leieren?",
        cwd=ROOT,
        home=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["path"] == ["retrieve", "draft", "review"]
    assert result["verdict"] == "approved"
    assert "nl-19990326-017#§3-5" in result["citations"]
    assert all(f"[{c}]" in result["answer"] for c in result["citations"])

    state = kilab("state", result["thread_id"], cwd=ROOT, home=tmp_path)
    assert state.returncode == 0, state.stderr
    assert json.loads(state.stdout)["draft"] == result["answer"]


# Word coverage alone let this through ("lager" is a word the laws use); its passages scatter
# over several laws, so the drafter's source agreement declines it (README, Held-out data).
def test_run_declines_out_of_scope_questions(tmp_path: Path) -> None:
    done = kilab(
        "run",
        "husleie",
        "--variant",
        "bm25",
        "-q",
        "Hvordan lager jeg lapskaus?",
        cwd=ROOT,
        home=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "Jeg fant ingen kilder" in done.stdout


def test_run_unknown_pilot_is_a_clear_error(tmp_path: Path) -> None:
    done = kilab("run", "husleia", "-q", "x", cwd=ROOT, home=tmp_path)
    assert done.returncode == 2
    assert "no pilot named 'husleia'" in done.stderr
    assert "did you mean 'husleie'?" in done.stderr
    assert "Traceback" not in done.stderr


def test_graph_show_prints_mermaid(tmp_path: Path) -> None:
    done = kilab("graph", "show", "rag-review", cwd=ROOT, home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("flowchart TD")
    assert "review -.->|revise| draft" in done.stdout


def test_committed_schemas_are_current(tmp_path: Path) -> None:
    done = kilab("schema", "--check", cwd=ROOT, home=tmp_path)
    assert done.returncode == 0, done.stderr + done.stdout
    for kind in ("graph", "pilot", "agent", "corpus", "models"):
        schema = json.loads((ROOT / "configs" / "schemas" / f"{kind}.schema.json").read_text())
        assert schema["properties"]["kind"]["const"] == kind


def test_stale_schema_is_detected(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    assert kilab("schema", "--out", str(out), cwd=ROOT, home=tmp_path).returncode == 0
    (out / "graph.schema.json").write_text("{}", encoding="utf-8")
    done = kilab("schema", "--out", str(out), "--check", cwd=ROOT, home=tmp_path)
    assert done.returncode == 2 and "stale" in done.stderr
