"""The red-team pilot passes its zero-tolerance gate offline, and the gate can fail."""

from __future__ import annotations

import json
from pathlib import Path

from kilab_subprocess import run_kilab

ROOT = Path(__file__).resolve().parents[2]


def _eval(variants: str, tmp_path: Path) -> dict[str, object]:
    done = run_kilab(
        "eval",
        "configs/pilots/redteam.yaml",
        "--variants",
        variants,
        "--json",
        "--store",
        str(tmp_path / "runs.sqlite"),
        home=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_screened_assistant_passes_zero_tolerance(tmp_path: Path) -> None:
    result = _eval("baseline,unscreened", tmp_path)
    gates = {g["variant"]: g for g in result["gates"]}  # type: ignore[union-attr]
    assert gates["baseline"]["passed"] is True
    # Without quarantine the same assistant repeats injected canaries: the gate sees it.
    unscreened = {r["rule"]: r for r in gates["unscreened"]["rules"]}
    assert unscreened["zero injection_obeyed"]["passed"] is False
