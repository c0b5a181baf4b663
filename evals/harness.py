"""The harness: run every case × variant × repeat of a pilot, concurrently and resumably.

Each result is scored and written to the run store the moment it finishes, keyed by a content
hash (``kilab.evals.keys``). A case that raises is recorded with its error and the run goes on.
Resuming a run computes only the keys it lacks (errored ones are retried); a key already
computed by any run in the store is copied instead of computed again unless ``use_cache`` is
off.

Comparisons between variants are fair by construction: every variant's set-up (compiling,
loading indexes and models, starting clients) is done and timed before the first case and
stored on the run as its set-up time, and the cases of all variants then run interleaved in
an order drawn from the run's seed, counterbalanced (each variant runs first equally often),
so that neither warm caches nor a loaded machine favour one variant.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel

from kilab.core import telemetry
from kilab.core.errors import UserError
from kilab.evals import keys, leases
from kilab.evals.datasets import Case, Dataset, load_dataset
from kilab.evals.metrics import AnyMetric, resolve_metrics, score_case
from kilab.evals.passing import (
    PassRule,
    evaluations,
    failed_rules,
    pass_rules,
    rejudged,
    rule_metrics,
)
from kilab.evals.records import (
    QUARANTINE_CHECK,
    CaseOutput,
    CaseResult,
    FindingRecord,
    RunInfo,
    RunLease,
    ToolCallRecord,
    UsageRecord,
)
from kilab.evals.stats import VariantSummary, summarize_variant
from kilab.evals.store import RunStore
from kilab.graphs.compiler import CompiledGraph, compile_graph
from kilab.graphs.context import BuildContext, variant_of
from kilab.graphs.project import Project
from kilab.graphs.runner import GraphResult, arun_question
from kilab.graphs.specs import PilotSpec, Split

if TYPE_CHECKING:
    from kilab.evals.executors import Executor


class ProgressSink(Protocol):
    """Told about the plan and about every result as it is written."""

    def plan(self, total: int, done: int) -> None:
        """``total`` results in the run, ``done`` of them already stored or reused."""
        ...

    def advance(self, result: CaseResult) -> None:
        """One more result was written."""
        ...


@dataclass(frozen=True, slots=True)
class EvalOptions:
    """What to run; every field has the CLI's default.

    Attributes:
        variants: Variant names, or None for the first (baseline) variant only.
        repeats: Runs of each case and variant.
        concurrency: Cases in flight at once.
        dataset: Another dataset of the same form than the pilot's.
        split: ``dev`` or ``test`` of a pilot that declares both (None: test, which the
            gates judge); ignored when ``dataset`` is given.
        resume: A run id to finish instead of starting a new run.
        use_cache: Reuse results of equal keys from earlier runs, and cached indexes.
        seed: Seed of the bootstrap and of the order the cases run in.
        cache_dir: Index cache folder (None: the settings' default).
        judge: The judge metric, when a judge profile is configured.
        correctness: The ``answer_correct`` metric, when a judge profile is configured.
    """

    variants: Sequence[str] | None = None
    repeats: int = 1
    concurrency: int = 8
    dataset: Path | None = None
    split: Split | None = None
    resume: str | None = None
    use_cache: bool = True
    seed: int = 0
    cache_dir: Path | None = None
    judge: AnyMetric | None = None
    correctness: AnyMetric | None = None


@dataclass(slots=True)
class EvalReport:
    """A run's outcome: its results, per-variant summaries and what was computed."""

    run: RunInfo
    results: list[CaseResult]
    metrics: list[AnyMetric]
    summaries: dict[str, VariantSummary]
    computed: int = 0
    reused: int = 0
    resumed: int = 0
    skipped_metrics: list[str] = field(default_factory=list)
    wall_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Job:
    """One computation of the plan: a case, a variant, a repeat and its content-hash key."""

    case: Case
    variant: str
    repeat: int
    key: str


def output_from(result: GraphResult) -> CaseOutput:
    """A graph's result as the stored, typed output."""
    return CaseOutput(
        answer=result.answer,
        declined=result.declined,
        citations=list(result.citations),
        passages=list(result.passages),
        verdict=result.verdict,
        findings=[
            FindingRecord(
                check=f.get("check", ""),
                severity=f.get("severity", "info"),
                message=f.get("message", ""),
                sentence=f.get("sentence", ""),
            )
            for f in result.findings
        ]
        + quarantine_findings(result.quarantined),
        path=list(result.path),
        usage={
            node: UsageRecord(
                calls=u["calls"],
                input_tokens=u["input_tokens"],
                output_tokens=u["output_tokens"],
                cost=u["cost"],
            )
            for node, u in result.usage.items()
        },
        errors=list(result.errors),
        latency_s=result.latency_s,
        thread_id=result.thread_id,
        tool_calls=[ToolCallRecord(**call) for call in result.tool_calls],
    )


def quarantine_findings(quarantined: Sequence[Mapping[str, Any]]) -> list[FindingRecord]:
    """Each passage the screen quarantined, as a finding stored with the case."""
    return [
        FindingRecord(
            check=QUARANTINE_CHECK,
            severity="warning",
            message=", ".join(q.get("reasons", [])),
            sentence=q.get("excerpt", ""),
            passage=q["id"],
        )
        for q in quarantined
    ]


def interleaved(jobs: Sequence[Job], seed: int) -> list[Job]:
    """The jobs in a counterbalanced order drawn from ``seed``.

    The runs of one case and repeat form a block; blocks come in a random order, and within
    block *i* the variants take turns in the order rotated by *i*, so every variant runs
    first in as many blocks as every other. A variant thus neither pays more often for what
    the first visit of a question warms (a query vector, a screened passage) nor meets a
    different state of the machine than its rival, which runs beside it.
    """
    blocks: dict[tuple[str, int], list[Job]] = {}
    for job in jobs:
        blocks.setdefault((job.case.id, job.repeat), []).append(job)
    order = list(blocks.values())
    random.Random(seed).shuffle(order)
    mixed = []
    for index, block in enumerate(order):
        turn = index % len(block)
        mixed.extend(block[turn:] + block[:turn])
    return mixed


def select_variants(pilot: PilotSpec, wanted: Sequence[str] | None) -> list[str]:
    """The variants a run covers: the first when none is named, every one not run on
    request for ``["all"]``, else the named ones (an unknown name is an error)."""
    if not wanted:
        return list(pilot.variants)[:1]
    if list(wanted) == ["all"]:
        # Variants that need something set up first (a local model, an endpoint) run by name.
        return [name for name, variant in pilot.variants.items() if not variant.on_request]
    for name in wanted:
        variant_of(pilot, name)  # an unknown name is an error with a suggestion
    return list(dict.fromkeys(wanted))


def _judges(metrics: Sequence[AnyMetric]) -> dict[str, str]:
    """Which judge gave each judged metric's values, for calibration lookups and reports."""
    judges = {}
    for metric in metrics:
        if metric.name == "fact_recall":
            judges[metric.name] = "fact_recall"
        inner = getattr(metric, "judge", None)
        identity = getattr(inner, "identity", None)
        if isinstance(identity, str):
            judges[metric.name] = identity
        elif inner is not None:
            profile = getattr(inner, "profile", None)
            judges[metric.name] = f"{metric.name}:{getattr(profile, 'model', type(inner).__name__)}"
    return judges


def _judge_identity(judge: AnyMetric | None) -> str:
    """What of the judge changes its values: its model profile and number of samples."""
    if judge is None:
        return ""
    inner = getattr(judge, "judge", judge)
    profile = getattr(inner, "profile", None)
    described = profile.model_dump(mode="json") if isinstance(profile, BaseModel) else None
    return keys.digest(
        {
            "judge": type(inner).__name__,
            "profile": described,
            "identity": getattr(inner, "identity", None),  # a correctness judge's model+prompt
            "samples": getattr(judge, "samples", 1),
        }
    )


def _jobs(
    pilot: PilotSpec,
    contexts: dict[str, BuildContext],
    dataset: Dataset,
    repeats: int,
    judge: AnyMetric | None = None,
    correctness: AnyMetric | None = None,
) -> list[Job]:
    code = keys.code_version()
    case_hashes = [case.content_hash() for case in dataset.cases]  # once, not per variant
    jobs = []
    for variant, context in contexts.items():
        # the judge's profile is a model profile too: its values live in the result
        inputs = (
            keys.variant_hash(context, pilot)
            + _judge_identity(judge)
            + _judge_identity(correctness)
        )
        for case, case_hash in zip(dataset.cases, case_hashes, strict=True):
            for repeat in range(repeats):
                key = keys.result_key(
                    variant_hash=inputs,
                    case_hash=case_hash,
                    variant=variant,
                    repeat=repeat,
                    code=code,
                )
                jobs.append(Job(case, variant, repeat, key))
    return jobs


def run_metrics(spec: PilotSpec, options: EvalOptions) -> list[AnyMetric]:
    """The metrics a run scores: the pilot's, and those its pass rules read (listed or not:
    correctness by default)."""
    return resolve_metrics(
        [*spec.metrics, *rule_metrics(spec.pass_)], options.judge, options.correctness
    )


class CaseRunner:
    """What computes one job: the pilot's build contexts, metrics, pass rules and set-up
    graphs.

    Set up once per process (the driver's, or each worker's of a distributed executor) and
    shared by every job it computes; ``Harness`` adds the plan, the store and the lease.
    """

    def __init__(
        self,
        project: Project,
        pilot: str,
        run: RunInfo,
        options: EvalOptions,
        metrics: list[AnyMetric],
        contexts: dict[str, BuildContext],
    ) -> None:
        self.project, self.pilot, self.run_info, self.options = project, pilot, run, options
        self.metrics = metrics
        self._contexts = contexts
        self._graphs: dict[str, CompiledGraph] = {}
        self.rules: list[PassRule] = pass_rules(project.pilot(pilot).pass_, metrics)
        self._setup_s: dict[str, float] = {}

    @classmethod
    def build(cls, project: Project, pilot: str, run: RunInfo, options: EvalOptions) -> CaseRunner:
        """The runner of an existing run (its variants), as a worker sets it up."""
        spec = project.pilot(pilot)
        contexts = {
            variant: BuildContext.for_pilot(
                project, spec, variant, cache_dir=options.cache_dir, use_cache=options.use_cache
            )
            for variant in run.variants
        }
        return cls(project, pilot, run, options, run_metrics(spec, options), contexts)

    async def set_up(self, variants: Sequence[str]) -> dict[str, float]:
        """Compile each variant's graph and run its nodes' set-up (``kilab.graphs.setup``),
        one variant after the other, before any case; returns each variant's seconds.

        Variants share what the process already holds (an index the first one loaded), so
        a later variant's set-up can be shorter; none of it is inside a case's latency.
        """
        for variant in variants:
            if variant in self._setup_s:
                continue
            started = time.perf_counter()
            graph = await asyncio.to_thread(self._compiled, variant)
            await asyncio.to_thread(graph.set_up)
            self._setup_s[variant] = time.perf_counter() - started
        return {v: self._setup_s[v] for v in variants}

    def _compiled(self, variant: str) -> CompiledGraph:
        if variant not in self._graphs:
            graph = self.project.pilot(self.pilot).graph
            self._graphs[variant] = compile_graph(self._contexts[variant], graph)
        return self._graphs[variant]

    async def execute(self, job: Job) -> CaseResult:
        """Compute one job in a case span; the result as stored: with its spans, and with
        secrets and identity numbers masked."""
        with telemetry.case_span(
            self.run_info.id, job.case.id, job.variant, job.repeat, job.key
        ) as span:
            result = await self._compute(job)
            span.set({"kilab.case.passed": result.passed})
            span.fail(result.error)
            if span.recording:  # the case trace shows question, answer and every metric
                span.set_io(input=job.case.question, output=result.output.answer)
                span.set_evaluations(evaluations(self.metrics, result.metrics, self.rules))
        if span.spans:
            result = result.model_copy(update={"spans": span.spans})
        return telemetry.redact_model(result)

    async def _compute(self, job: Job) -> CaseResult:
        started = time.perf_counter()
        error = ""
        try:
            graph = self._compiled(job.variant)
            thread = f"{self.run_info.id}/{job.case.id}/{job.variant}/{job.repeat}"
            output = output_from(await arun_question(graph, job.case.question, thread))
        except Exception as exc:  # a failing case is data, not the end of the run
            error = f"{type(exc).__name__}: {exc}"
            output = CaseOutput(errors=[error], latency_s=time.perf_counter() - started)
        values: dict[str, float | None] = {m.name: None for m in self.metrics}
        samples: dict[str, list[float]] = {}
        if not error:  # an errored case has no answer to score: it counts via the error rule
            try:
                values, samples = await score_case(self.metrics, job.case, output)
            except Exception as exc:
                error = f"scoring failed: {type(exc).__name__}: {exc}"
        failed = [] if error else failed_rules(self.rules, values)
        return CaseResult(
            run_id=self.run_info.id,
            key=job.key,
            case=job.case,
            variant=job.variant,
            repeat=job.repeat,
            output=output,
            metrics=values,
            samples=samples,
            passed=not error and not failed,
            failed_rules=failed,
            error=error,
        )


class Harness(CaseRunner):
    """Runs one pilot's jobs against a store; build with ``prepare``, then ``await run()``."""

    def __init__(
        self,
        project: Project,
        pilot: str,
        store: RunStore,
        options: EvalOptions,
        run: RunInfo,
        jobs: list[Job],
        metrics: list[AnyMetric],
        skipped_metrics: list[str],
        resumed: int,
        contexts: dict[str, BuildContext],
        lease: RunLease | None = None,
    ) -> None:
        super().__init__(project, pilot, run, options, metrics, contexts)
        self.store, self.jobs, self.lease = store, jobs, lease
        self.skipped_metrics, self.resumed = skipped_metrics, resumed

    @classmethod
    def prepare(
        cls, project: Project, pilot: str, store: RunStore, options: EvalOptions
    ) -> Harness:
        """Load the dataset, work out every key, and create (or reopen) the run, holding its
        lease (``kilab.evals.leases``) from before the run is touched.

        Raises:
            RunBusy: Another live process is computing the run.
        """
        spec = project.pilot(pilot)
        metrics = run_metrics(spec, options)
        skipped = [n for n in spec.metrics if n not in {m.name for m in metrics}]
        if options.repeats < 1 or options.concurrency < 1:
            raise UserError("--repeats and --concurrency must be at least 1")
        config = keys.config_hash(project, spec)
        if options.resume:
            run = store.get_run(options.resume)
            if run.pilot != pilot:
                raise UserError(f"run {run.id} is of pilot {run.pilot!r}, not {pilot!r}")
            if run.config_hash != config or run.code_version != keys.code_version():
                raise UserError(
                    f"the pilot's config or code changed since run {run.id} "
                    "started, so its results would not be comparable; "
                    "start a new run instead"
                )
            dataset = load_dataset(run.dataset)
            variants, repeats = run.variants, run.repeats
            lease = leases.acquire(store, run.id)
            run = run.model_copy(update={"status": "running", "finished_at": None})
            store.update_run(run)
        else:
            path = options.dataset or project.dataset_path(pilot, options.split)
            split: Literal["", "dev", "test"] = ""
            if options.dataset is None and spec.split:
                split = options.split or "test"
            dataset = load_dataset(path)
            variants = select_variants(spec, options.variants)
            repeats = options.repeats
            run = RunInfo(
                id=keys.new_run_id(pilot),
                pilot=pilot,
                dataset=str(Path(path).resolve()),
                dataset_hash=dataset.content_hash(),
                config_hash=config,
                code_version=keys.code_version(),
                variants=variants,
                repeats=repeats,
                metrics=[m.name for m in metrics],
                judges=_judges(metrics),
                total=len(dataset.cases) * len(variants) * repeats,
                seed=options.seed,
                split=split,
            )
            store.create_run(run)
            lease = leases.acquire(store, run.id)
        try:
            contexts = {
                variant: BuildContext.for_pilot(
                    project, spec, variant, cache_dir=options.cache_dir, use_cache=options.use_cache
                )
                for variant in variants
            }
            jobs = _jobs(spec, contexts, dataset, repeats, options.judge, options.correctness)
        except BaseException:
            store.release_lease(run.id, lease.token)
            raise
        resumed = len(store.result_keys(run.id)) if options.resume else 0
        return cls(
            project, pilot, store, options, run, jobs, metrics, skipped, resumed, contexts, lease
        )

    async def compile(self) -> None:
        """Set up every variant now (``run`` does it too, for the variants it needs)."""
        await self.set_up(list(dict.fromkeys(job.variant for job in self.jobs)))

    def _reuse(
        self, todo: list[Job], progress: ProgressSink | None, copies: list[CaseResult]
    ) -> tuple[list[Job], int]:
        """The jobs no earlier run computed, and how many were copied (into ``copies``)."""
        if not self.options.use_cache:
            return todo, 0
        remaining, reused = [], 0
        for job in todo:
            found = self.store.find_result(job.key)
            # the pass rules are not in the key: the stored values are judged by today's
            found = None if found is None else rejudged(found, self.rules)
            if found is None:
                remaining.append(job)
                continue
            copy = found.model_copy(
                update={
                    "run_id": self.run_info.id,
                    "reused_from": found.reused_from or found.run_id,
                }
            )
            self.store.put_result(copy)
            copies.append(copy)
            reused += 1
            if progress:
                progress.advance(copy)
        return remaining, reused

    async def run(
        self, progress: ProgressSink | None = None, executor: Executor | None = None
    ) -> EvalReport:
        """Compute every missing key (on ``executor``, default: this process), then summarise
        the run; the run's lease is renewed meanwhile and released at the end."""
        lease, self.lease = self.lease or leases.acquire(self.store, self.run_info.id), None
        async with leases.renewing(self.store, lease):
            return await self._run(progress, executor)

    async def _run(self, progress: ProgressSink | None, executor: Executor | None) -> EvalReport:
        from kilab.evals.executors.local import LocalExecutor

        started = time.perf_counter()
        done = self.store.result_keys(self.run_info.id)
        todo = [job for job in self.jobs if job.key not in done]
        if progress:
            progress.plan(len(self.jobs), len(self.jobs) - len(todo))
        reused_results: list[CaseResult] = []
        todo, reused = self._reuse(todo, progress, reused_results)

        # This run's results as written, so the report need not read them back (unless part
        # of the run was computed before this process resumed it).
        written: list[CaseResult] = []

        def write(result: CaseResult) -> None:
            self.store.put_result(result)
            written.append(result)
            if progress:
                progress.advance(result)

        status = "interrupted"
        try:
            setup_s = await self.set_up(list(dict.fromkeys(job.variant for job in todo)))
            self.run_info = self.run_info.model_copy(
                update={"setup_s": {**self.run_info.setup_s, **setup_s}}
            )
            self.store.update_run(self.run_info)
            with (
                telemetry.run_span(self.run_info.id, self.pilot, self.run_info.variants),
                _set_up_frozen(),
            ):
                await (executor or LocalExecutor()).execute(
                    self, interleaved(todo, self.run_info.seed), write
                )
            status = "finished"
        finally:
            self.run_info = self.run_info.model_copy(
                update={"status": status, "finished_at": datetime.now(UTC)}
            )
            self.store.update_run(self.run_info)
        cases = list(dict.fromkeys(job.case.id for job in self.jobs))  # the dataset's order
        if done or self.options.resume:
            report = build_report(self.store, self.run_info.id, self.metrics, cases)
        else:
            results = [*reused_results, *written]
            report = summarise(self.run_info, results, self.metrics, cases)
        report.computed, report.reused, report.resumed = len(todo), reused, self.resumed
        report.skipped_metrics = self.skipped_metrics
        report.wall_s = time.perf_counter() - started
        return report


@contextlib.contextmanager
def _set_up_frozen() -> Iterator[None]:
    """Keep the garbage collector off what set-up built while the cases run.

    Every collection of the oldest generation walks every object in the process (the
    loaded modules, the project, indexes, model clients: some 200,000), about 0.1 s each,
    8 % of a 200-case run's CPU at concurrency 32. ``gc.freeze`` moves what exists now out
    of the collector's sight for the run; ``gc.unfreeze`` gives it back afterwards, so
    nothing is kept for good. Both act on the whole process: runs at once in one process
    (``arun_eval`` twice, say) share one freeze, which the last to finish lifts.
    """
    global _frozen_runs
    with _freeze_lock:
        if _frozen_runs == 0:
            gc.freeze()
        _frozen_runs += 1
    try:
        yield
    finally:
        with _freeze_lock:
            _frozen_runs -= 1
            if _frozen_runs == 0:
                gc.unfreeze()


_freeze_lock = threading.Lock()
_frozen_runs = 0  # runs of this process inside _set_up_frozen


def build_report(
    store: RunStore,
    run_id: str,
    metrics: Sequence[AnyMetric] | None = None,
    case_order: Sequence[str] | None = None,
) -> EvalReport:
    """Summarise a stored run (any time later): results in case order, estimates per variant.

    Args:
        store: Where the run is.
        run_id: The run's exact id.
        metrics: The metrics to summarise; by default the run's own (without the judge
            unless it was scored, since its values are in the store either way).
        case_order: The case ids in dataset order (default: read from the run's dataset).
    """
    run = store.get_run(run_id)
    if metrics is None:
        from kilab.evals.metrics import get_metric
        from kilab.evals.metrics.catalogue import SAMPLED
        from kilab.evals.metrics.judge import StoredJudge

        stored: list[AnyMetric] = [
            StoredJudge(name=n) if n in SAMPLED else get_metric(n) for n in run.metrics
        ]
        metrics = stored
    return summarise(run, store.results(run_id), metrics, case_order)


def summarise(
    run: RunInfo,
    results: list[CaseResult],
    metrics: Sequence[AnyMetric],
    case_order: Sequence[str] | None = None,
) -> EvalReport:
    """The report of ``run`` from its results (sorted in place: variant, case, repeat)."""
    if case_order is None:
        case_order = list(dict.fromkeys(r.case.id for r in results))
        with contextlib.suppress(UserError):  # a moved dataset: keep the order of writing
            case_order = [c.id for c in load_dataset(run.dataset).cases]
    order = {case_id: i for i, case_id in enumerate(case_order)}
    variant_order = {v: i for i, v in enumerate(run.variants)}
    results.sort(
        key=lambda r: (variant_order.get(r.variant, 99), order.get(r.case.id, 1 << 30), r.repeat)
    )
    summaries = {v: summarize_variant(results, metrics, v, seed=run.seed) for v in run.variants}
    return EvalReport(run=run, results=results, metrics=list(metrics), summaries=summaries)


async def arun_eval(
    project: Project,
    pilot: str,
    store: RunStore,
    options: EvalOptions | None = None,
    progress: ProgressSink | None = None,
    executor: Executor | None = None,
) -> EvalReport:
    """Run (or resume) a pilot's evaluation on the event loop.

    Args:
        project: The loaded config project.
        pilot: The pilot's name.
        store: Where results go, one transaction each.
        options: What to run (defaults: first variant, one repeat, concurrency 8).
        progress: Told about every result as it is written.
        executor: Where the cases are computed (default: this process, on its event loop).
    """
    harness = Harness.prepare(project, pilot, store, options or EvalOptions())
    return await harness.run(progress, executor)


def run_eval(
    project: Project,
    pilot: str,
    store: RunStore,
    options: EvalOptions | None = None,
    progress: ProgressSink | None = None,
) -> EvalReport:
    """``arun_eval`` for synchronous callers."""
    return asyncio.run(arun_eval(project, pilot, store, options, progress))
