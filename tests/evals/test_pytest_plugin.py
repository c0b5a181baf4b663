"""The pytest plugin through pytester: ``pytest --kilab PILOT.yaml`` collects one item per
case and variant and one per gate, runs the evaluation once, and fails exactly the cases the
run store records as failed, with the pass rules they broke. Each pytest runs in a
subprocess, as in CI (numpy cannot be imported twice into one process)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kilab.evals.store import open_store
from kilab.evals.testing import CASES, write_mini_project

pytest_plugins = ["pytester"]


@pytest.fixture
def home(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KILAB_HOME", str(pytester.path / ".kilab"))
    monkeypatch.setenv("KILAB_CACHE", str(pytester.path / ".kilab" / "cache"))
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    # A test file of the user's own: with --kilab and no paths it is not collected.
    pytester.makepyfile(test_unrelated="def test_unrelated():\n    assert False\n")
    return pytester.path / ".kilab"


def _stored(home: Path) -> list[tuple[str, str, bool]]:
    store = open_store(home / "runs.sqlite")
    try:
        (run,) = store.list_runs()
        return [(r.case.id, r.variant, r.passed) for r in store.results(run.id)]
    finally:
        store.close()


def test_pilot_cases_and_gate_are_test_items(pytester: pytest.Pytester, home: Path) -> None:
    pilot = write_mini_project(pytester.path / "configs")
    result = pytester.runpytest_subprocess("--kilab", str(pilot), "--kilab-variants", "all", "-rf")
    stored = _stored(home)
    assert len(stored) == 2 * len(CASES)  # one run, both variants, every case
    failed = sorted(f"{case}[{variant}]" for case, variant, passed in stored if not passed)
    assert failed, "the mini pilot has cases that fail; the test needs one"
    result.assert_outcomes(passed=len(stored) - len(failed) + 2, failed=len(failed))  # + 2 gates
    output = result.stdout.str()
    reported = sorted(re.findall(r"^FAILED \S+::(\S+)", output, re.M))
    assert reported == failed
    assert "test_unrelated" not in output
    # A failure says which pass rule the case broke, not a traceback.
    assert re.search(r"^\S+ [\d.]+ [<>] [\d.]+$", output, re.M)
    assert "Traceback" not in output and "KilabFailure" not in output

    collected = pytester.runpytest_subprocess("--kilab", str(pilot), "--collect-only", "-q")
    names = re.findall(r"::(\S+)$", collected.stdout.str(), re.M)
    assert names[: len(CASES)] == [f"{c['id']}[baseline]" for c in CASES]
    assert names[len(CASES) :] == ["gate[baseline]"]


def test_a_failing_gate_is_one_failed_item(pytester: pytest.Pytester, home: Path) -> None:
    pilot = write_mini_project(
        pytester.path / "configs", gates="  pilot:\n    min_cases: 100\n", cases=CASES[:3]
    )
    result = pytester.runpytest_subprocess("--kilab", str(pilot), "-rf")
    passed = sum(ok for _, _, ok in _stored(home))
    result.assert_outcomes(passed=passed, failed=3 - passed + 1)  # the cases, and the gate
    output = result.stdout.str()
    assert "FAILED configs/pilots/mini.yaml::gate[baseline]" in output
    assert "gate → pilot for " in output and "✗ min_cases: 3 cases < 100" in output
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_an_unknown_variant_is_a_collection_error(pytester: pytest.Pytester, home: Path) -> None:
    pilot = write_mini_project(pytester.path / "configs")
    result = pytester.runpytest_subprocess("--kilab", str(pilot), "--kilab-variants", "basline")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert "basline" in result.stdout.str() and "baseline" in result.stdout.str()
