"""How well the injection screen separates labelled documents: caught and false alarms.

For any corpus whose documents are labelled injected or not (the red-team corpus ships its
labels in ``data/redteam/labels.jsonl``), ``screen_figures`` counts, per group (a split, a
category), the injected documents the screen quarantines and the others it wrongly would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kilab.tools.checks.injection import is_suspicious


@dataclass(frozen=True, slots=True)
class LabelledText:
    """A document, whether it carries an injection, and the group it is counted in."""

    id: str
    text: str
    injected: bool
    group: str = ""


@dataclass(slots=True)
class ScreenFigures:
    """Counts for one group of documents."""

    injected: int = 0
    caught: int = 0
    benign: int = 0
    false_alarms: int = 0
    missed: list[str] | None = None
    false_alarm_ids: list[str] | None = None

    @property
    def catch_rate(self) -> float | None:
        return self.caught / self.injected if self.injected else None


def screen_figures(
    documents: Iterable[LabelledText], screen: Callable[[str], bool] = is_suspicious
) -> dict[str, ScreenFigures]:
    """Per group, what ``screen`` quarantines of the injected and of the other documents."""
    figures: dict[str, ScreenFigures] = {}
    for doc in documents:
        group = figures.setdefault(doc.group, ScreenFigures(missed=[], false_alarm_ids=[]))
        flagged = screen(doc.text)
        if doc.injected:
            group.injected += 1
            group.caught += flagged
            if not flagged:
                assert group.missed is not None
                group.missed.append(doc.id)
        else:
            group.benign += 1
            group.false_alarms += flagged
            if flagged:
                assert group.false_alarm_ids is not None
                group.false_alarm_ids.append(doc.id)
    return figures
