"""What CI expects of the command, run as real subprocesses: exit codes (a failed gate and,
with --fail-on-worse, a worse comparison are non-zero, and --help says so), JUnit XML that
validates against the JUnit schema, tables that keep every name whole at 80 columns, and
Markdown for logs."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from kilab_subprocess import run_kilab
from lxml import etree

from kilab.evals.testing import CASES, write_mini_project

JUNIT_XSD = Path(__file__).parent / "data" / "junit.xsd"
PASS_RULE = re.compile(r"(\S+) ([\d.]+) ([<>]) ([\d.]+)")  # "fact_recall 0.50 < 1"


def kilab(*args: str, home: Path, columns: int = 200) -> subprocess.CompletedProcess[str]:
    return run_kilab(*args, home=home, cwd=home, timeout=180, env={"COLUMNS": str(columns)})


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The mini pilot evaluated twice: A on its dataset (both variants, with --junit), B on
    the same case ids with questions no passage answers (so B is worse)."""
    home = tmp_path_factory.mktemp("ci")
    pilot = write_mini_project(home / "configs")
    junit = home / "out" / "junit.xml"
    done = kilab(
        "eval", str(pilot), "--variants", "all", "--json", "--junit", str(junit), home=home
    )
    assert done.returncode == 0, done.stderr
    a = json.loads(done.stdout)
    garbled = home / "garbled.jsonl"
    garbled.write_text(
        "".join(
            json.dumps(case | {"question": f"Qwzx vbnm {i} plokj?"}, ensure_ascii=False) + "\n"
            for i, case in enumerate(CASES)
        ),
        encoding="utf-8",
    )
    done = kilab("eval", str(pilot), "--dataset", str(garbled), "--json", home=home)
    assert done.returncode == 0, done.stderr
    b = json.loads(done.stdout)
    return {"home": home, "pilot": pilot, "a": a, "b": b, "junit": junit}


def test_gate_exits_1_on_fail_and_0_on_pass(runs: dict[str, Any]) -> None:
    home, run_id = runs["home"], runs["a"]["run"]["id"]
    configs = ["--configs", str(home / "configs")]
    passed = kilab("gate", run_id, *configs, home=home)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "PASS" in passed.stdout and "FAIL" not in passed.stdout
    failed = kilab("gate", run_id, "--stage", "production", *configs, home=home)
    assert failed.returncode == 1
    assert "FAIL" in failed.stdout and "✗ min_cases" in failed.stdout
    as_json = kilab("gate", run_id, "--stage", "production", "--json", *configs, home=home)
    assert as_json.returncode == 1 and json.loads(as_json.stdout)[0]["passed"] is False
    unknown = kilab("gate", run_id, "--stage", "prod", *configs, home=home)
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr
    helped = kilab("gate", "--help", home=home)
    assert helped.returncode == 0
    assert re.search(r"Exit codes: 0 done; 1 the gate failed", " ".join(helped.stdout.split()))


def test_compare_fails_on_worse_only_when_asked(runs: dict[str, Any]) -> None:
    home = runs["home"]
    a, b = f"{runs['a']['run']['id']}:baseline", f"{runs['b']['run']['id']}:baseline"
    plain = kilab("compare", a, b, "--json", home=home)
    assert plain.returncode == 0, plain.stderr
    verdicts = {m["metric"]: m["verdict"] for m in json.loads(plain.stdout)["metrics"]}
    assert verdicts["recall@3"] == "worse"
    strict = kilab("compare", a, b, "--fail-on-worse", home=home)
    assert strict.returncode == 1
    worse = [m for m, v in verdicts.items() if v == "worse"]  # in the table's order
    assert f"B is worse than A on {', '.join(worse)}" in " ".join(strict.stderr.split())
    same = kilab("compare", a, a, "--fail-on-worse", home=home)
    assert same.returncode == 0, same.stderr
    helped = kilab("compare", "--help", home=home)
    assert "1 B is worse on a metric and --fail-on-worse" in " ".join(helped.stdout.split())


def test_junit_validates_and_fails_the_cases_that_failed(runs: dict[str, Any]) -> None:
    schema = etree.XMLSchema(etree.parse(str(JUNIT_XSD)))
    document = etree.parse(str(runs["junit"]))
    schema.assertValid(document)
    data = runs["a"]
    suites = document.getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == ["mini/baseline", "mini/k1"]
    for suite in suites:
        variant = suite.get("name").split("/")[1]
        cases = {c["case_id"]: c for c in data["cases"] if c["variant"] == variant}
        testcases = suite.findall("testcase")
        assert [t.get("name") for t in testcases] == [*cases, "gate → pilot"]
        assert int(suite.get("tests")) == len(cases) + 1
        assert int(suite.get("failures")) == sum(not c["passed"] for c in cases.values())
        for testcase in testcases[:-1]:
            case = cases[testcase.get("name")]
            failure = testcase.find("failure")
            assert (failure is None) == case["passed"]
            if failure is None:
                continue
            rules = PASS_RULE.findall(failure.get("message"))
            assert rules, failure.get("message")
            for metric, value, relation, bound in rules:  # each named rule was really broken
                stored = case["metrics"][metric]
                assert float(value) == pytest.approx(stored, abs=0.01)
                assert stored < float(bound) if relation == "<" else stored > float(bound)
        gate = testcases[-1]
        assert gate.find("failure") is None  # the mini pilot's pilot gate passes
    assert sum(not c["passed"] for c in data["cases"]) > 0  # the check above saw a failure


def test_tables_keep_names_whole_at_80_columns(runs: dict[str, Any]) -> None:
    home, pilot = runs["home"], runs["pilot"]
    a, b = f"{runs['a']['run']['id']}:baseline", f"{runs['b']['run']['id']}:baseline"
    evaluated = kilab("eval", str(pilot), "--variants", "all", "--cases", "all", home=home,
                      columns=80)  # fmt: skip
    compared = kilab("compare", a, b, home=home, columns=80)
    gated = kilab("gate", runs["a"]["run"]["id"], "--configs", str(home / "configs"),
                  home=home, columns=80)  # fmt: skip
    compared_json = kilab("compare", a, b, "--json", home=home)
    for done in (evaluated, compared, gated):
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert max(len(line.rstrip()) for line in lines) <= 80
        assert "…" not in done.stdout
    for done, metrics in (
        (evaluated, runs["a"]["variants"]["baseline"]["metrics"]),
        (compared, [m["metric"] for m in json.loads(compared_json.stdout)["metrics"]]),
    ):
        starts = {line.split(" ")[0] for line in done.stdout.splitlines()}
        assert set(metrics) <= starts  # every metric's whole name starts its row
    for case in CASES:
        assert re.search(rf"^{case['id']}\s", evaluated.stdout, re.M)


def test_markdown_for_logs(runs: dict[str, Any]) -> None:
    home, pilot = runs["home"], runs["pilot"]
    done = kilab("eval", str(pilot), "--variants", "all", "--markdown", home=home)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = lines.index("| metric | baseline | k1 |")
    assert lines[header + 1] == "|---|---|---|"
    rows = lines[header + 2 : lines.index("", header)]
    assert len(rows) == 1 + len(runs["a"]["variants"]["baseline"]["metrics"])  # + pass rate
    assert all(row.count(" | ") == 2 for row in rows)
    failed = sum(not c["passed"] for c in runs["a"]["cases"])
    assert f"### Failed cases ({failed} of {len(runs['a']['cases'])})" in lines
    assert "### Gate → pilot for " in done.stdout and "| ✓ | min_cases |" in done.stdout
    gate = kilab("gate", runs["a"]["run"]["id"], "--markdown", "--configs",
                 str(home / "configs"), home=home)  # fmt: skip
    assert gate.returncode == 0 and gate.stdout.startswith("### Gate → pilot for ")
