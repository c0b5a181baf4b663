"""Tuning on dev data only: sweep one declared parameter of a pilot, one variant per value.

A pilot declares what may be tuned (``tune: {decline_threshold: drafter.min_coverage}``) and
its data as ``dataset: {dev: …, test: …}``. ``tune`` runs the pilot's base variant once per
value of the parameter on the dev file, in one run (so the values are compared on the same
cases, interleaved like any variants), and picks the value with the best mean of one metric.
The test file is never read: choosing on it would leave no honest figure to report.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from kilab.core.errors import UserError, suggesting
from kilab.evals.harness import EvalOptions, EvalReport, ProgressSink, arun_eval
from kilab.evals.metrics import get_metric
from kilab.evals.store import RunStore
from kilab.graphs.context import variant_of
from kilab.graphs.overrides import Override, OverrideError, resolve_override
from kilab.graphs.project import Project, Sourced

_RANGE = re.compile(r"^(?P<low>[-+0-9.eE]+)\.\.(?P<high>[-+0-9.eE]+):(?P<step>[-+0-9.eE]+)$")
MAX_VALUES = 50


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

    def mean(self, row: TuneRow, metric: str) -> float | None:
        """A row's mean of a metric over the dev cases (None: no case had a value)."""
        estimate = self.report.summaries[row.variant].estimates.get(metric)
        return None if estimate is None else estimate.value


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
        metric: One of the pilot's metrics; its direction says whether more is better.
        base: The variant the values are applied to.
        options: Repeats, concurrency, seed …; variants and dataset are the sweep's.
        progress: Told about every result.

    Raises:
        UserError: No dev data, an unknown parameter or metric.
    """
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
    scored = [(r, report.summaries[r.variant].estimates[metric].value) for r in rows]
    valued = [(r, v) for r, v in scored if v is not None]
    # ties go to the first value in the sweep's order
    best = min(valued, key=lambda rv: rv[1] if lower else -rv[1])[0] if valued else None
    target, _ = _target(project, pilot, sweep.name)
    return TuneReport(sweep, target, metric, rows, best, report)


def metric_names(report: TuneReport) -> Sequence[str]:
    """The metrics of the sweep's table: the pilot's, in its order."""
    return [m.name for m in report.report.metrics]
