"""Notat metrics: fixed headings in order, grounding of the claims only, steps, limits."""

from __future__ import annotations

import pytest

from kilab.evals.datasets import Case
from kilab.evals.metrics import get_metric, is_known
from kilab.evals.records import CaseOutput, ToolCallRecord, UsageRecord
from kilab.tools.retrieval.types import passage

CASE = Case(
    id="n-1",
    question="Lag et kort notat om karanteneloven",
    gold_ids=["LOV-1"],
    key_points=["informasjonsplikt", "saksforbud i inntil 18 måneder"],
)
SOURCE = passage(
    id="LOV-1",
    text="Politikere har informasjonsplikt før overgangen. "
    "Karantenenemnda kan ilegge saksforbud i inntil 18 måneder.",
)
NOTE = """## Bakgrunn
Politikere har informasjonsplikt før overgangen. [LOV-1]

## Hovedpunkter
- Karantenenemnda kan ilegge saksforbud i inntil 18 måneder. [LOV-1]

## Konsekvenser
- Politikere har informasjonsplikt før overgangen. [LOV-1]

## Kilder
- [LOV-1] Lov om endringer i karanteneloven (https://lovdata.no/LOV-1)
"""


def _score(name: str, answer: str, **fields: object) -> float | None:
    output = CaseOutput(answer=answer, passages=[SOURCE], citations=["LOV-1"], **fields)  # type: ignore[arg-type]
    return get_metric(name).score(CASE, output)


def test_notat_metrics_are_known_by_name() -> None:
    assert all(is_known(n) for n in ("structure", "note_grounding", "steps", "stopped_by_limit"))


def test_structure_counts_the_four_headings_in_order() -> None:
    assert _score("structure", NOTE) == 1.0
    assert _score("structure", NOTE.replace("## Konsekvenser", "## Følger")) == 0.75
    swapped = NOTE.replace("## Bakgrunn", "## X").replace("## Kilder", "## Bakgrunn")
    assert _score("structure", swapped) == 0.5  # Bakgrunn after Konsekvenser is out of order
    assert _score("structure", "Bakgrunn:\nTekst.\nHovedpunkter:\nKonsekvenser:\nKilder:") == 1.0
    assert _score("structure", "Jeg kan ikke svare.", declined=True) == 0.0


def test_note_grounding_ignores_headings_and_the_list_of_sources() -> None:
    assert _score("note_grounding", NOTE) == 1.0
    invented = NOTE.replace(
        "- Karantenenemnda", "- Ministeren får fengselsstraff. [LOV-1]\n- Karantenenemnda"
    )
    assert _score("note_grounding", invented) == pytest.approx(3 / 4)
    uncited = NOTE.replace(
        "overgangen. [LOV-1]\n\n## Hovedpunkter", "overgangen.\n\n## Hovedpunkter"
    )
    assert _score("note_grounding", uncited) == pytest.approx(2 / 3)
    assert _score("note_grounding", "", declined=True) is None


def test_key_points_are_read_from_the_note() -> None:
    assert _score("key_points", NOTE) == 1.0
    assert _score("key_points", NOTE.replace("saksforbud i inntil 18 måneder", "x")) == 0.5


def test_steps_and_stopped_by_limit() -> None:
    usage = {"research": UsageRecord(calls=3), "compose": UsageRecord(calls=1)}
    assert _score("steps", NOTE, usage=usage) == 4.0
    assert _score("stopped_by_limit", NOTE) == 0.0
    stopped = ["researcher: stopped by step limit"]
    assert _score("stopped_by_limit", NOTE, errors=stopped) == 1.0


def test_tool_calls_and_tool_errors() -> None:
    calls = [ToolCallRecord(tool="search", ok=True), ToolCallRecord(tool="fetch", ok=False)]
    assert _score("tool_calls", NOTE, tool_calls=calls) == 2.0
    assert _score("tool_errors", NOTE, tool_calls=calls) == 0.5
    assert _score("tool_calls", NOTE) is None and _score("tool_errors", NOTE) is None
