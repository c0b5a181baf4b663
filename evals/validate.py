"""Checks of pilots that need the evaluation side: metric names, gate metrics, datasets.

``kilab validate`` runs ``check_pilot`` on every project it loads (``load_project``'s
``extra_checks``), so these mistakes show up with the config errors, located.
"""

from __future__ import annotations

from kilab.core.errors import ConfigError, Problem
from kilab.graphs.project import Project


def check_pilot(project: Project) -> list[Problem]:
    """Every problem of the project's pilots: unknown metrics, gate metrics the pilot does
    not score, gate thresholds outside a metric's range, datasets that do not parse."""
    from kilab.evals.datasets import load_dataset
    from kilab.evals.metrics import OPERATIONAL, get_metric, is_known, known_names, suggest

    problems: list[Problem] = []
    for sourced in project.pilots.values():
        spec = sourced.spec
        for index, name in enumerate(spec.metrics):
            if not is_known(name):
                problems.append(
                    Problem(
                        sourced.locate("metrics", index),
                        f"unknown metric {name!r}",
                        f"metrics.{index}",
                        known_names(),
                        suggest(name),
                    )
                )
        if spec.pass_ is not None:
            for bound, rules in (("min", spec.pass_.min), ("max", spec.pass_.max)):
                for metric in rules:
                    if not is_known(metric):
                        problems.append(
                            Problem(
                                sourced.locate("pass", bound, metric),
                                f"unknown metric {metric!r}",
                                f"pass.{bound}.{metric}",
                                known_names(),
                                suggest(metric),
                            )
                        )
        scored = [*spec.metrics, *OPERATIONAL]
        for stage, gate in spec.gates.items():
            named = [("min", m) for m in gate.min] + [("max", m) for m in gate.max]
            named += [("zero", m) for m in gate.zero]
            for rule, metric in named:
                path = (
                    ("gates", stage, rule, metric)
                    if rule != "zero"
                    else ("gates", stage, rule, gate.zero.index(metric))
                )
                key = ".".join(str(p) for p in path)
                if metric not in scored:
                    problems.append(
                        Problem(
                            sourced.locate(*path),
                            f"the gate uses metric {metric!r}, which the "
                            "pilot does not score; add it to 'metrics'",
                            key,
                            scored,
                            suggest(metric) if not is_known(metric) else "",
                        )
                    )
                    continue
                if rule == "zero" or metric == "judge":
                    continue
                threshold = (gate.min if rule == "min" else gate.max)[metric]
                info = get_metric(metric)
                if threshold < info.low or (info.high is not None and threshold > info.high):
                    top = "∞" if info.high is None else f"{info.high:g}"
                    problems.append(
                        Problem(
                            sourced.locate(*path),
                            f"{threshold:g} is outside the range of {metric} ({info.low:g}..{top})",
                            key,
                        )
                    )
        for role, file in spec.dataset_files().items():
            dataset = sourced.resolve(file)
            where: tuple[str, ...] = ("dataset",) if role == "dataset" else ("dataset", role)
            if not dataset.is_file():
                problems.append(
                    Problem(
                        sourced.locate(*where), f"no dataset file at {dataset}", ".".join(where)
                    )
                )
                continue
            try:
                load_dataset(dataset)
            except ConfigError as exc:
                problems.extend(exc.problems)
    return problems
