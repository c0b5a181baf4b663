"""Hand-off between agents: the researcher hands over to the writer only when it found sources."""

from __future__ import annotations

from pathlib import Path

from kilab.graphs.compiler import compile_pilot
from kilab.graphs.project import load_project
from kilab.graphs.runner import run_question
from kilab.tools.compose import DECLINE_MESSAGE


def test_found_hands_over_to_the_writer_and_nothing_ends_with_a_decline(
    configs: Path, tmp_path: Path
) -> None:
    project = load_project([configs], root=configs)
    compiled = compile_pilot(project, "notat", "baseline", cache_dir=tmp_path)

    found = run_question(compiled, "Lag et kort notat om endringene i karanteneloven i 2025")
    assert found.path[:3] == ["research", "compose", "approve"]
    assert any("2025-02-07" in cited for cited in found.citations)  # the law or its start
    assert not found.declined

    nothing = run_question(compiled, "Zzqxv wqpqz")
    assert nothing.path == ["research"]  # no writer, no approval: nothing to hand over
    assert nothing.declined and nothing.answer == DECLINE_MESSAGE and not nothing.citations
