"""Metric names → metrics: the fixed ones, ``recall@k``/``ndcg@k`` for any k, and the judge."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from kilab.core.errors import NotFoundError, did_you_mean
from kilab.evals.metrics.base import AnyMetric, FunctionMetric
from kilab.evals.metrics.builtin import FIXED as _BUILTIN
from kilab.evals.metrics.builtin import OPERATIONAL, PARAMETRISED
from kilab.evals.metrics.notat import NOTAT
from kilab.evals.metrics.quarantine import QUARANTINE

_PARAMETRISED_NAME = re.compile(r"^(?P<base>[a-z_]+)@(?P<k>[1-9][0-9]*)$")
JUDGE = "judge"
ANSWER_CORRECT = "answer_correct"  # the correctness judge (kilab.evals.metrics.correctness)
SAMPLED = (JUDGE, ANSWER_CORRECT)
FIXED = {**_BUILTIN, **NOTAT, **QUARANTINE}


def known_names() -> list[str]:
    """Every metric name a pilot may list (parametrised ones with an example k)."""
    return sorted([*FIXED, *(f"{base}@k" for base in PARAMETRISED), *SAMPLED])


def is_known(name: str) -> bool:
    """Whether a name is a metric (``recall@7`` is, ``recall@0`` and ``recal@5`` are not)."""
    if name in FIXED or name in SAMPLED:
        return True
    match = _PARAMETRISED_NAME.match(name)
    return bool(match and match.group("base") in PARAMETRISED)


def suggest(name: str) -> str:
    """The nearest known name to a misspelt one, or ""."""
    base = name.split("@", 1)[0]
    if "@" in name and base in PARAMETRISED:
        return f"{base}@5"
    return did_you_mean(name, [*FIXED, *(f"{b}@5" for b in PARAMETRISED), *SAMPLED])


def get_metric(name: str) -> FunctionMetric:
    """A deterministic metric by name (not the judge, which needs a model: see ``judge``).

    Raises:
        NotFoundError: For an unknown name, with a suggestion.
    """
    if name in FIXED:
        return FIXED[name]
    match = _PARAMETRISED_NAME.match(name)
    if match and match.group("base") in PARAMETRISED:
        factory, description = PARAMETRISED[match.group("base")]
        k = int(match.group("k"))
        return FunctionMetric(name, factory(k), description=description.format(k=k))
    hint = suggest(name)
    raise NotFoundError(
        f"unknown metric {name!r}"
        + (f"; did you mean {hint!r}?" if hint else "")
        + f" (known: {', '.join(known_names())})"
    )


def resolve_metrics(
    names: Iterable[str], judge: AnyMetric | None = None, correctness: AnyMetric | None = None
) -> list[AnyMetric]:
    """The metrics a run scores: the pilot's, then the operational ones, without repeats.

    The model-backed ones (``judge``, ``answer_correct``) are included only when given (a
    judge profile is configured); otherwise the name is skipped, and the caller says so.
    """
    metrics: dict[str, AnyMetric] = {}
    for name in [*names, *OPERATIONAL]:
        if name in metrics:
            continue
        if name in SAMPLED:
            given = judge if name == JUDGE else correctness
            if given is not None:
                metrics[name] = given
            continue
        metrics[name] = get_metric(name)
    return list(metrics.values())


def metric_names(metrics: Sequence[AnyMetric]) -> list[str]:
    return [m.name for m in metrics]
