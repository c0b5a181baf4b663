"""Metrics of briefing notes (notat) and of tool-using agents.

``key_points`` lives with the built-in metrics; these add what a note's form and an agent's
effort look like: the fixed headings, grounding of the claims (not of the headings and the
list of sources), model or planner turns, and runs an agent's limits cut short.
"""

from __future__ import annotations

from kilab.evals.datasets import Case
from kilab.evals.metrics.base import FunctionMetric
from kilab.evals.metrics.builtin import GROUNDING_MIN_SUPPORT
from kilab.evals.records import CaseOutput

STOPPED_MARK = ": stopped by "  # how an agent node reports a limit in the case's errors


def structure(case: Case, output: CaseOutput) -> float | None:
    """Share of the headings Bakgrunn, Hovedpunkter, Konsekvenser, Kilder present, in order."""
    from kilab.tools.notes import HEADINGS, headings_of

    if case.expect != "answer":
        return None
    if output.declined:
        return 0.0
    found = [h.casefold() for h in headings_of(output.answer)]
    wanted = [h.casefold() for h in HEADINGS]
    # The longest run of the wanted headings that appears in order (a common subsequence).
    best = [0] * (len(found) + 1)
    for heading in wanted:
        previous = 0
        for j, seen in enumerate(found, start=1):
            previous, best[j] = (
                best[j],
                previous + 1 if heading == seen else max(best[j], best[j - 1]),
            )
    matched = best[-1]
    return matched / len(HEADINGS)


def note_grounding(case: Case, output: CaseOutput) -> float | None:
    """Share of a note's claims (sentences outside headings and sources) that their citations
    support; a claim without a citation counts as unsupported."""
    from kilab.tools.grounding import check_answer
    from kilab.tools.notes import body_of

    if output.declined or not output.answer.strip():
        return None
    supports = check_answer(body_of(output.answer), {p["id"]: p["text"] for p in output.passages})
    if not supports:
        return None
    return sum(1 for s in supports if s.support >= GROUNDING_MIN_SUPPORT) / len(supports)


def steps(case: Case, output: CaseOutput) -> float | None:
    """Model (or offline planner) turns over every node."""
    return float(sum(u.calls for u in output.usage.values()))


def stopped_by_limit(case: Case, output: CaseOutput) -> float | None:
    """1.0 when an agent's step limit or token budget ended its loop."""
    return float(any(STOPPED_MARK in e for e in output.errors))


def tool_calls(case: Case, output: CaseOutput) -> float | None:
    """Tool calls the agents made (None for graphs without agents)."""
    return float(len(output.tool_calls)) if output.tool_calls else None


def tool_errors(case: Case, output: CaseOutput) -> float | None:
    """Share of tool calls that failed or had invalid arguments (None without calls)."""
    if not output.tool_calls:
        return None
    return sum(1 for call in output.tool_calls if not call.ok) / len(output.tool_calls)


NOTAT: dict[str, FunctionMetric] = {
    m.name: m
    for m in (
        FunctionMetric(
            "structure",
            structure,
            pass_at=1.0,
            description="share of the note's fixed headings present, in order",
        ),
        FunctionMetric(
            "note_grounding",
            note_grounding,
            description="share of a note's claims supported by their citations",
        ),
        FunctionMetric(
            "steps",
            steps,
            direction="lower",
            high=None,
            description="model or planner turns per case",
        ),
        FunctionMetric(
            "stopped_by_limit",
            stopped_by_limit,
            direction="lower",
            description="an agent's step or token limit ended its loop",
        ),
        FunctionMetric(
            "tool_calls",
            tool_calls,
            direction="lower",
            high=None,
            description="tool calls per case",
        ),
        FunctionMetric(
            "tool_errors",
            tool_errors,
            direction="lower",
            description="share of tool calls that failed or had invalid arguments",
        ),
    )
}
