"""Gate decisions and promotion over a stored run: glue between store, log and pilot config."""

from __future__ import annotations

from collections.abc import Sequence

from kilab.core.errors import NotFoundError, UserError
from kilab.evals.calibration import CalibrationLog, CalibrationRecord, current_calibrations
from kilab.evals.gates import Baseline, GateDecision, RuleResult, evaluate_gate
from kilab.evals.harness import EvalReport, build_report
from kilab.evals.promotion import PromotionLog, PromotionRecord, RuleRecord, ScoreRecord, next_stage
from kilab.evals.records import RunInfo
from kilab.evals.store import RunStore, resolve_run
from kilab.graphs.project import Project
from kilab.graphs.specs import STAGES, PilotSpec, Stage

# Stages whose gates judge held-out data only, when a pilot declares dev and test data.
HELD_OUT_STAGES: tuple[Stage, ...] = ("pilot", "production")


def split_rule(spec: PilotSpec, report: EvalReport, stage: Stage) -> RuleResult | None:
    """For a pilot with dev and test data, the rule that its pilot and production gates
    are judged on the test split alone (None: no such rule applies)."""
    if not spec.split or stage not in HELD_OUT_STAGES:
        return None
    run = report.run
    if run.split == "test":
        return RuleResult("test split", True, f"judged on the test split ({run.dataset})")
    used = "the dev split" if run.split == "dev" else f"another dataset ({run.dataset})"
    return RuleResult(
        "test split",
        False,
        f"the {stage} gate is judged on the test split only; this run used {used}: "
        f"run kilab eval {spec.name} without --split or --dataset",
    )


def _baseline(
    store: RunStore, log: PromotionLog, pilot: str, target: str, variant: str
) -> Baseline | None:
    if target == "promoted":
        latest = log.latest(pilot)
        if latest is None:
            return None
        run_id, base_variant = latest.run_id, latest.variant
    else:
        run = resolve_run(store, target, pilot)
        run_id = run.id
        base_variant = variant if variant in run.variants else run.variants[0]
    try:
        return Baseline(run_id, base_variant, store.results(run_id))
    except NotFoundError:
        return Baseline(run_id, base_variant, [])  # the rule then fails: nothing shared


def target_stage(log: PromotionLog, pilot: str, stage: Stage | None) -> Stage:
    """The stage asked for, or the one after the pilot's current stage."""
    return stage or next_stage(log.current_stage(pilot))


def calibration_log() -> CalibrationLog:
    """Where ``kilab judge calibrate`` keeps its results (``$KILAB_HOME/calibrations.jsonl``)."""
    from kilab.core.settings import settings

    return CalibrationLog(settings().calibrations)


def judge_calibrations(run: RunInfo) -> dict[str, CalibrationRecord | None]:
    """For each judged metric of a run, its judge's calibration (None: uncalibrated), the
    home's or the one shipped beside the run's dataset, so that reports can mark scores of
    an uncalibrated judge."""
    latest = current_calibrations(calibration_log(), run.dataset) if run.judges else {}
    return {metric: latest.get(judge) for metric, judge in run.judges.items()}


def decide(
    project: Project,
    store: RunStore,
    log: PromotionLog,
    report: EvalReport,
    stage: Stage | None = None,
    variants: Sequence[str] | None = None,
) -> list[GateDecision]:
    """The gate decision of each (or each named) variant of a run for a stage.

    Args:
        project: The configs, for the pilot's gates as they are now.
        store: The run store (for a baseline run).
        log: The promotion log (for the current stage and the promoted run).
        report: The run's report (``build_report`` or the harness's).
        stage: The stage to check; default the one after the pilot's current stage.
        variants: Which variants; default all of the run's.
    """
    pilot = report.run.pilot
    spec = project.pilot(pilot)
    stage = target_stage(log, pilot, stage)
    gate = spec.gates.get(stage)
    calibrations = (
        current_calibrations(calibration_log(), report.run.dataset)
        if gate is not None and gate.judge
        else {}
    )
    held_out = split_rule(spec, report, stage) if gate is not None else None
    decisions = []
    for variant in variants or report.run.variants:
        if variant not in report.summaries:
            raise NotFoundError(
                f"run {report.run.id} has no variant {variant!r} "
                f"(variants: {', '.join(report.run.variants)})"
            )
        baseline = None
        if gate is not None and gate.no_regression_vs:
            baseline = _baseline(store, log, pilot, gate.no_regression_vs, variant)
        decision = evaluate_gate(
            gate,
            stage,
            report.summaries[variant],
            report.results,
            baseline,
            seed=report.run.seed,
            judges=report.run.judges,
            calibrations=calibrations,
        )
        if held_out is not None:
            decision = GateDecision(
                decision.stage, decision.variant, [held_out, *decision.rules], decision.declared
            )
        decisions.append(decision)
    return decisions


def promote(
    project: Project,
    store: RunStore,
    log: PromotionLog,
    pilot: str,
    stage: Stage,
    run_ref: str,
    variant: str | None = None,
) -> tuple[PromotionRecord, GateDecision]:
    """Promote a run's variant to a stage when its gate passes; append the record (signed
    when ``KILAB_LOG_KEY`` is set) and keep the log's new head in the store.

    Raises:
        UserError: When a rule fails (the message lists them), the variant is ambiguous, or
            the log fails verification.
    """
    if stage not in STAGES:
        raise UserError(f"unknown stage {stage!r} (stages: {', '.join(STAGES)})")
    project.pilot(pilot)  # an unknown pilot is an error with a suggestion
    run = resolve_run(store, run_ref, pilot)
    if variant is None:
        if len(run.variants) > 1:
            raise UserError(
                f"run {run.id} has variants {', '.join(run.variants)}: say which with --variant"
            )
        variant = run.variants[0]
    report = build_report(store, run.id)
    if len(store.result_keys(run.id, include_errors=True)) < run.total:
        raise UserError(
            f"run {run.id} is incomplete ({run.status}); finish it with "
            f"kilab eval {pilot} --resume {run.id}"
        )
    (decision,) = decide(project, store, log, report, stage, [variant])
    if not decision.passed:
        failed = "; ".join(f"{r.rule}: {r.evidence}" for r in decision.rules if not r.passed)
        raise UserError(f"not promoted: the {stage} gate fails for {run.id}/{variant}: {failed}")
    summary = report.summaries[variant]
    record = log.append(
        store,
        pilot=pilot,
        stage=stage,
        run_id=run.id,
        variant=variant,
        scores={
            name: ScoreRecord(value=e.value, low=e.low, high=e.high, n=e.n)
            for name, e in summary.estimates.items()
        },
        gate=[
            RuleRecord(rule=r.rule, passed=r.passed, evidence=r.evidence) for r in decision.rules
        ],
        config_hash=run.config_hash,
        dataset_hash=run.dataset_hash,
        code_version=run.code_version,
    )
    return record, decision
