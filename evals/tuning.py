"""Tuning on dev data only: sweep one declared parameter of a pilot, one variant per value.

A pilot declares what may be tuned (``tune: {decline_threshold: drafter.min_coverage}``) and
its data as ``dataset: {dev: …, test: …}``. ``tune`` runs the pilot's base variant once per
value of the parameter on the dev file, in one run (so the values are compared on the same
cases, interleaved like any variants), and picks the value with the best mean of one metric.
The test file is never read: choosing on it would leave no honest figure to report.

A plain mean counts every case alike, so on dev data with few questions to decline it
rewards answering over declining. An objective may weigh cases by what they expect:
``decline_accuracy(decline=3)`` counts a case that should be declined three times (the best
value then has the fewest ``3 × off-topic questions answered + answerable questions
declined``), ``decline_accuracy(balanced)`` weighs both kinds of case equally however many
of each there are (balanced accuracy).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import get_args

from kilab.core.errors import UserError, suggesting
from kilab.evals.datasets import Expect
from kilab.evals.harness import EvalOptions, EvalReport, ProgressSink, arun_eval
from kilab.evals.metrics import get_metric
from kilab.evals.records import CaseResult
from kilab.evals.store import RunStore
from kilab.graphs.context import variant_of
from kilab.graphs.overrides import Override, OverrideError, resolve_override
from kilab.graphs.project import Project, Sourced

_RANGE = re.compile(r"^(?P<low>[-+0-9.eE]+)\.\.(?P<high>[-+0-9.eE]+):(?P<step>[-+0-9.eE]+)$")
_WEIGHTED = re.compile(r"^(?P<metric>[^()]+)\((?P<weights>[^()]*)\)$")
MAX_VALUES = 50
EXPECTS: tuple[str, ...] = get_args(Expect)


@dataclass(frozen=True, slots=True)
class Sweep:
    """A declared parameter and the values to try, as ``NAME=LOW..HIGH:STEP`` or ``NAME=A,B``."""

    name: str
    values: tuple[float | int, ...]

    @classmethod
    def parse(cls, text: str) -> Sweep:
        """Read ``decline_threshold=0.1..0.6:0.05`` or ``k=3,5,10``.

        Raises:
            UserError: The text has neither form, or the range is empty or too long.
        """
        name, equals, spec = text.partition("=")
        if not equals or not name.strip() or not spec.strip():
            raise UserError(f"--param {text!r}: write NAME=LOW..HIGH:STEP or NAME=A,B,C")
        match = _RANGE.match(spec.strip())
        try:
            if match:
                low, high, step = (float(match[g]) for g in ("low", "high", "step"))
                if step <= 0 or high < low:
                    raise UserError(f"--param {text!r}: needs LOW ≤ HIGH and STEP > 0")
                count = math.floor((high - low) / step + 1e-9) + 1
                raw = [low + i * step for i in range(count)]
                integral = all(float(x).is_integer() for x in (low, high, step))
            else:
                raw = [float(v) for v in spec.split(",") if v.strip()]
                integral = all(v.strip().lstrip("+-").isdigit() for v in spec.split(",") if v)
        except ValueError:
            raise UserError(f"--param {text!r}: the values are not numbers") from None
        if not raw or len(raw) > MAX_VALUES:
            raise UserError(f"--param {text!r}: between 1 and {MAX_VALUES} values, please")
        values = tuple(round(v) if integral else round(v, 10) for v in raw)
        return cls(name.strip(), tuple(dict.fromkeys(values)))


@dataclass(frozen=True, slots=True)
class Objective:
    """What picks the best value: a metric's mean, its cases weighed by what they expect.

    Attributes:
        text: As written: ``decline_accuracy``, ``decline_accuracy(decline=3)``,
            ``decline_accuracy(balanced)``.
        metric: The metric.
        weights: Expected outcome → weight of its cases (absent: 1).
        balanced: Each expected outcome weighs the same in total, however many cases it has.
    """

    text: str
    metric: str
    weights: Mapping[str, float] = dataclasses.field(default_factory=dict)
    balanced: bool = False

    @property
    def weighted(self) -> bool:
        return self.balanced or bool(self.weights)

    @classmethod
    def parse(cls, text: str) -> Objective:
        """Read ``METRIC``, ``METRIC(EXPECT=WEIGHT,…)`` or ``METRIC(balanced)``.

        Raises:
            UserError: Parentheses that hold neither form, an unknown outcome, a weight that is
                not a positive number.
        """
        match = _WEIGHTED.match(text.strip())
        if match is None:
            if "(" in text or ")" in text:
                raise UserError(f"--metric {text!r}: write METRIC(decline=3) or METRIC(balanced)")
            return cls(text.strip(), text.strip())
        metric, spec = match["metric"].strip(), match["weights"].strip()
        if spec == "balanced":
            return cls(text.strip(), metric, balanced=True)
        weights: dict[str, float] = {}
        for item in spec.split(","):
            outcome, equals, weight = (part.strip() for part in item.partition("="))
            if not equals or outcome not in EXPECTS:
                raise UserError(
                    f"--metric {text!r}: weigh cases by what they expect, as "
                    f"{'=W, '.join(EXPECTS)}=W (or balanced)"
                )
            try:
                weights[outcome] = float(weight)
            except ValueError:
                raise UserError(f"--metric {text!r}: {weight!r} is not a number") from None
            if not weights[outcome] > 0 or math.isinf(weights[outcome]):
                raise UserError(f"--metric {text!r}: weights must be positive")
        return cls(text.strip(), metric, weights)

    def value(self, results: Sequence[CaseResult]) -> float | None:
        """The weighted mean of the metric over one variant's results (None: no values)."""
        valued = [
            (r.case.expect, v) for r in results if (v := r.metrics.get(self.metric)) is not None
        ]
        if not valued:
            return None
        counts = Counter(expect for expect, _ in valued)
        if self.balanced:
            weight = {e: 1 / n for e, n in counts.items()}
        else:
            weight = {e: self.weights.get(e, 1.0) for e in counts}
        return sum(weight[e] * v for e, v in valued) / sum(weight[e] * n for e, n in counts.items())


@dataclass(frozen=True, slots=True)
class TuneRow:
    """One value of the parameter and the variant that ran it."""

    value: float | int
    variant: str


@dataclass(frozen=True, slots=True)
class TuneReport:
    """A sweep's run on dev, its rows and the best value for the chosen metric."""

    sweep: Sweep
    target: str
    metric: str
    rows: list[TuneRow]
    best: TuneRow | None
    report: EvalReport
    objective: Objective | None = None

    def mean(self, row: TuneRow, metric: str) -> float | None:
        """A row's mean of a metric over the dev cases (None: no case had a value); the
        objective's own text (``decline_accuracy(decline=3)``) gives its weighted mean."""
        if self.objective is not None and metric == self.objective.text:
            return objective_value(self.report, row.variant, self.objective)
        estimate = self.report.summaries[row.variant].estimates.get(metric)
        return None if estimate is None else estimate.value


def objective_value(report: EvalReport, variant: str, objective: Objective) -> float | None:
    """A variant's value of the objective: the summary's mean, or the weighted mean."""
    if not objective.weighted:
        estimate = report.summaries[variant].estimates.get(objective.metric)
        return None if estimate is None else estimate.value
    return objective.value([r for r in report.results if r.variant == variant])


def _target(project: Project, pilot: str, name: str) -> tuple[str, Override]:
    spec = project.pilot(pilot)
    if name not in spec.tune:
        message = f"pilot {pilot!r} declares no tunable parameter {name!r}"
        if not spec.tune:
            message += " (add 'tune: {NAME: NODE.PARAM}' to the pilot)"
        raise UserError(suggesting(message, name, spec.tune, "declared"))
    try:
        return spec.tune[name], resolve_override(project, spec, spec.tune[name])
    except OverrideError as exc:
        raise UserError(f"tune.{name}: {exc}") from None


def sweep_project(
    project: Project, pilot: str, sweep: Sweep, base: str = "baseline"
) -> tuple[Project, list[TuneRow]]:
    """A copy of the project whose pilot has one variant per value (the base variant with
    the parameter set), and those variants' rows. The configs on disk are not touched."""
    spec = project.pilot(pilot)
    target, override = _target(project, pilot, sweep.name)
    start = variant_of(spec, base)
    variants = {}
    rows = []
    for value in sweep.values:
        name = f"{sweep.name}={value}"
        variants[name] = override.applied(start, value).model_copy(
            update={"description": f"{base} with {target} = {value}", "on_request": False}
        )
        rows.append(TuneRow(value, name))
    sourced = project.pilots[pilot]
    tuned = Sourced(spec.model_copy(update={"variants": variants}), sourced.source)
    return dataclasses.replace(project, pilots={**project.pilots, pilot: tuned}), rows


async def atune(
    project: Project,
    pilot: str,
    store: RunStore,
    sweep: Sweep,
    metric: str,
    *,
    base: str = "baseline",
    options: EvalOptions | None = None,
    progress: ProgressSink | None = None,
) -> TuneReport:
    """Run the sweep on the pilot's dev data and pick the best value of ``metric``.

    Args:
        project: The loaded configs.
        pilot: The pilot's name; it must declare ``dataset: {dev, test}`` and the parameter.
        store: Where the run goes (its split is recorded as dev).
        sweep: The parameter and its values.
        metric: One of the pilot's metrics, its cases optionally weighed by what they
            expect (``decline_accuracy(decline=3)``, see ``Objective``); the metric's
            direction says whether more is better.
        base: The variant the values are applied to.
        options: Repeats, concurrency, seed …; variants and dataset are the sweep's.
        progress: Told about every result.

    Raises:
        UserError: No dev data, an unknown parameter or metric, a malformed weighting.
    """
    objective = Objective.parse(metric)
    metric = objective.metric
    spec = project.pilot(pilot)
    if not spec.split:
        raise UserError(
            f"pilot {pilot!r} has one dataset file: kilab tune reads only dev data, so declare "
            "'dataset: {dev: …, test: …}' (split before tuning)"
        )
    if metric not in spec.metrics:
        raise UserError(
            suggesting(
                f"pilot {pilot!r} does not score {metric!r}", metric, spec.metrics, "metrics"
            )
        )
    tuned, rows = sweep_project(project, pilot, sweep, base)
    chosen = dataclasses.replace(
        options or EvalOptions(), variants=[r.variant for r in rows], dataset=None, split="dev"
    )
    report = await arun_eval(tuned, pilot, store, chosen, progress)
    lower = get_metric(metric).direction == "lower"
    scored = [(r, objective_value(report, r.variant, objective)) for r in rows]
    valued = [(r, v) for r, v in scored if v is not None]
    # ties go to the first value in the sweep's order
    best = min(valued, key=lambda rv: rv[1] if lower else -rv[1])[0] if valued else None
    target, _ = _target(project, pilot, sweep.name)
    return TuneReport(sweep, target, objective.text, rows, best, report, objective)


def metric_names(report: TuneReport) -> Sequence[str]:
    """The metrics of the sweep's table: the pilot's, in its order."""
    return [m.name for m in report.report.metrics]
