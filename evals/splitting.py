"""Split a dataset into dev and test once, before anything is tuned: seeded and stratified.

Cases are grouped into strata (for the law pilots: the chapter of the first gold section, and
one stratum of questions to decline); each stratum is shuffled with the seed and its first
``round(test_fraction × size)`` cases go to test. Cases that must be held out whatever the
draw (a set written after the defaults were chosen) go to test as they are. The same sources
and seed always give the same two files, so a split can be checked and regenerated.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kilab.core.errors import UserError
from kilab.evals.datasets import Case, load_dataset

_SECTION = re.compile(r"#§\s*(\d+)")


def chapter_stratum(case: Case) -> str:
    """``decline``, the chapter of the case's first gold section (``§3-5`` → ``3``), or ``none``."""
    if case.expect == "decline":
        return "decline"
    for gold in case.gold_ids:
        if match := _SECTION.search(gold):
            return f"chapter {match.group(1)}"
    return "none"


@dataclass(frozen=True, slots=True)
class Split:
    """The two parts, each in the order of the sources."""

    dev: tuple[Case, ...]
    test: tuple[Case, ...]


def split_cases(
    cases: Sequence[Case],
    *,
    test_fraction: float,
    seed: int,
    held_out: Sequence[Case] = (),
    stratum: Callable[[Case], str] = chapter_stratum,
) -> Split:
    """Draw test cases from every stratum in proportion; ``held_out`` cases all go to test.

    Raises:
        UserError: A fraction outside (0, 1), or a case id that occurs twice.
    """
    if not 0 < test_fraction < 1:
        raise UserError(f"the test fraction is between 0 and 1, not {test_fraction}")
    every = [*cases, *held_out]
    ids = [c.id for c in every]
    if len(set(ids)) != len(ids):
        twice = sorted({i for i in ids if ids.count(i) > 1})
        raise UserError(f"case ids occur twice across the sources: {', '.join(twice[:5])}")
    strata: dict[str, list[Case]] = {}
    for case in cases:
        strata.setdefault(stratum(case), []).append(case)
    rng = random.Random(seed)
    to_test = {c.id for c in held_out}
    for name in sorted(strata):
        members = list(strata[name])
        rng.shuffle(members)
        to_test.update(c.id for c in members[: round(test_fraction * len(members))])
    return Split(
        dev=tuple(c for c in every if c.id not in to_test),
        test=tuple(c for c in every if c.id in to_test),
    )


def _line(case: Case) -> str:
    body = case.model_dump(mode="json", exclude_defaults=True)
    body.setdefault("expect", case.expect)  # said even where it is the default
    return json.dumps(body, ensure_ascii=False) + "\n"


def split_files(
    sources: Sequence[Path],
    *,
    dev: Path,
    test: Path,
    test_fraction: float,
    seed: int,
    held_out: Sequence[Path] = (),
) -> Split:
    """Split the cases of ``sources`` (plus ``held_out``, all to test) and write both files."""
    cases = [c for path in sources for c in load_dataset(path).cases]
    kept = [c for path in held_out for c in load_dataset(path).cases]
    split = split_cases(cases, test_fraction=test_fraction, seed=seed, held_out=kept)
    for path, part in ((dev, split.dev), (test, split.test)):
        path.write_text("".join(_line(c) for c in part), encoding="utf-8")
    return split
