"""A pytest plugin: ``pytest --kilab configs/pilots/husleie.yaml`` runs a pilot's evaluation
as tests, one item per case and variant and one more per variant for its gate.

Registered through the ``pytest11`` entry point, so it is there wherever kilab is installed
and does nothing without ``--kilab``. The evaluation runs once per pilot, when its first item
runs (through the harness, concurrently, into the run store of ``KILAB_HOME``, reusing
stored results as ``kilab eval`` does); each case item then passes or fails with the pass
marks the case missed, and the gate item with the rules that failed. With ``--kilab`` and
no test paths, only the pilots are collected.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from kilab.evals.gates import GateDecision
    from kilab.evals.harness import EvalReport
    from kilab.graphs.project import Project


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kilab", "kilab pilot evaluations")
    group.addoption(
        "--kilab",
        action="append",
        default=[],
        metavar="PILOT_YAML",
        help="Run this pilot's cases as tests and its gate as one more (repeatable).",
    )
    group.addoption(
        "--kilab-variants",
        default=None,
        metavar="NAMES",
        help="'all' or variant names separated by commas (default: the pilot's first).",
    )
    group.addoption(
        "--kilab-stage",
        default=None,
        metavar="STAGE",
        help="The stage whose gate is checked (default: the pilot's next stage).",
    )


def _pilot_paths(config: pytest.Config) -> set[Path]:
    return {Path(p).resolve() for p in config.getoption("kilab")}


def pytest_configure(config: pytest.Config) -> None:
    pilots = config.getoption("kilab")
    # With --kilab and no paths of the user's own, collect only the pilots (not testpaths).
    if pilots and config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args = [str(Path(p)) for p in pilots]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.resolve() in _pilot_paths(parent.config):
        return PilotFile.from_parent(parent, path=file_path)
    return None


class KilabFailure(Exception):
    """A case broke a pass rule, or a gate rule failed: reported as its message alone."""


@dataclass(slots=True)
class _Evaluation:
    """One pilot's run, computed on first use and shared by its items."""

    project: Project
    pilot: str
    variants: list[str]
    stage: str | None
    report: EvalReport | None = None
    decisions: list[GateDecision] | None = None

    def run(self) -> tuple[EvalReport, list[GateDecision]]:
        if self.report is None or self.decisions is None:
            from kilab.core.settings import settings
            from kilab.evals.decisions import decide
            from kilab.evals.harness import EvalOptions, run_eval
            from kilab.evals.promotion import PromotionLog
            from kilab.evals.store import open_store
            from kilab.graphs.specs import STAGES

            if self.stage is not None and self.stage not in STAGES:
                raise pytest.UsageError(
                    f"--kilab-stage: unknown stage {self.stage!r} (stages: {', '.join(STAGES)})"
                )
            store = open_store(settings().runs)
            try:
                self.report = run_eval(
                    self.project, self.pilot, store, EvalOptions(variants=self.variants)
                )
                self.decisions = decide(
                    self.project,
                    store,
                    PromotionLog(settings().promotions),
                    self.report,
                    self.stage,
                )
            finally:
                store.close()
        return self.report, self.decisions


class PilotFile(pytest.File):
    """A pilot's YAML: its dataset's cases × the chosen variants, then the gates."""

    def collect(self) -> Iterator[pytest.Item]:
        from kilab.core.errors import UserError
        from kilab.evals.datasets import load_dataset
        from kilab.evals.harness import select_variants
        from kilab.graphs.project import open_named

        wanted = self.config.getoption("kilab_variants")
        try:
            project, pilot = open_named(str(self.path), "pilot")
            variants = select_variants(
                project.pilot(pilot),
                [v.strip() for v in wanted.split(",") if v.strip()] if wanted else None,
            )
            cases = load_dataset(project.dataset_path(pilot)).cases
        except UserError as exc:
            raise self.CollectError(str(exc)) from None
        evaluation = _Evaluation(project, pilot, variants, self.config.getoption("kilab_stage"))
        for variant in variants:
            for case in cases:
                yield CaseItem.from_parent(
                    self,
                    name=f"{case.id}[{variant}]",
                    evaluation=evaluation,
                    case_id=case.id,
                    variant=variant,
                )
        for variant in variants:
            yield GateItem.from_parent(
                self, name=f"gate[{variant}]", evaluation=evaluation, variant=variant
            )


class _KilabItem(pytest.Item):
    def __init__(self, *, evaluation: _Evaluation, variant: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.evaluation = evaluation
        self.variant = variant

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str:
        if isinstance(excinfo.value, KilabFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.evaluation.pilot}::{self.name}"


class CaseItem(_KilabItem):
    """One case of one variant: passes when the case kept every pass rule."""

    def __init__(self, *, case_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case_id = case_id

    def runtest(self) -> None:
        report, _ = self.evaluation.run()
        results = [
            r for r in report.results if r.case.id == self.case_id and r.variant == self.variant
        ]
        if not results:
            raise KilabFailure(f"run {report.run.id} has no result for {self.name}")
        failed = [r for r in results if not r.passed]
        if failed:
            result = failed[0]
            lines = [f"error: {result.error}"] if result.error else []
            lines += result.failed_rules or ([] if result.error else ["the case did not pass"])
            lines += [
                f"question: {result.case.question}",
                f"expect: {result.case.expect}, got: "
                + ("declined" if result.output.declined else "answered"),
                f"run: {report.run.id} (kilab report {report.run.id}:{self.variant})",
            ]
            raise KilabFailure("\n".join(lines))


class GateItem(_KilabItem):
    """The gate of the next (or the chosen) stage for one variant."""

    def runtest(self) -> None:
        report, decisions = self.evaluation.run()
        decision = next(d for d in decisions if d.variant == self.variant)
        if not decision.passed:
            raise KilabFailure(
                f"gate → {decision.stage} for {report.run.id}/{self.variant}: FAIL\n"
                + "\n".join(
                    f"{'✓' if rule.passed else '✗'} {rule.rule}: {rule.evidence}"
                    for rule in decision.rules
                )
            )
