"""Rated-down answers become evaluation cases: the question, the answer given, the comment.

A case made this way has no reference answer yet: the pilot lead writes one (or marks it a
decline) before it counts in a gate. Questions and answers are the audit log's masked text,
so no personal data moves from the service into a dataset.
"""

from __future__ import annotations

from kilab.api.store import ServiceStore
from kilab.evals.datasets import Case, CaseFeedback


def feedback_cases(store: ServiceStore, pilot: str) -> list[Case]:
    """One case per rated-down answer of a pilot, oldest first (one per answer)."""
    cases: dict[str, Case] = {}
    for entry, rating in store.feedback(pilot, "down"):
        if not entry.question:
            continue
        cases[entry.request_id] = Case(
            id=f"feedback-{entry.request_id.removeprefix('chatcmpl-')[:12]}",
            question=entry.question,
            tags=["feedback", f"tenant:{entry.tenant}"],
            feedback=CaseFeedback(
                answer=entry.answer,
                comment=rating.comment,
                rating="down",
                request_id=entry.request_id,
            ),
        )
    return list(cases.values())


def export_lines(store: ServiceStore, pilot: str) -> list[str]:
    """The cases as JSONL lines that ``kilab.evals.datasets.load_dataset`` reads."""
    return [case.model_dump_json(exclude_defaults=True) for case in feedback_cases(store, pilot)]
