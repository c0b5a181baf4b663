"""The notat pilot scores on the offline default, through ``kilab eval`` as a user runs it."""

from __future__ import annotations

from pathlib import Path

from kilab_subprocess import eval_json


def test_notat_pilot_scores_offline_and_passes_its_gate(tmp_path: Path) -> None:
    result = eval_json("configs/pilots/notat.yaml", "baseline,revise-once", tmp_path)
    base = result["variants"]["baseline"]
    metrics = {name: m["value"] for name, m in base["metrics"].items()}
    assert base["cases"] >= 25 and base["errors"] == 0
    assert metrics["structure"] == 1.0  # every note has the four headings, in order
    assert metrics["note_grounding"] >= 0.95  # extractive: claims are copied from their source
    assert metrics["recall@5"] >= 0.8
    assert 0.0 < metrics["key_points"] < 1.0
    assert metrics["steps"] == 3.0  # search, fetch, stop
    assert metrics["stopped_by_limit"] == 0.0
    assert metrics["tokens"] == 0.0 and metrics["pii_leaks"] == 0.0
    gates = {g["variant"]: g for g in result["gates"]}
    assert gates["baseline"]["passed"] is True
    # The scripted reviewer sends each note back once, then approves: the pilot still scores.
    revised = [c for c in result["cases"] if c["variant"] == "revise-once"]
    assert len(revised) == base["cases"]
    assert all(c["verdict"] == "approved" and not c["error"] for c in revised)
