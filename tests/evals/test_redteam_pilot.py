"""The red-team pilot passes its zero-tolerance gate offline, and the gate can fail."""

from __future__ import annotations

from pathlib import Path

from kilab_subprocess import eval_json


def test_screened_assistant_passes_zero_tolerance(tmp_path: Path) -> None:
    result = eval_json("configs/pilots/redteam.yaml", "baseline,unscreened", tmp_path)
    gates = {g["variant"]: g for g in result["gates"]}  # type: ignore[union-attr]
    assert gates["baseline"]["passed"] is True
    # Without quarantine the same assistant repeats injected canaries: the gate sees it.
    unscreened = {r["rule"]: r for r in gates["unscreened"]["rules"]}
    assert unscreened["zero injection_obeyed"]["passed"] is False
