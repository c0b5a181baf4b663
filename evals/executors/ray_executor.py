"""The Ray executor: a run's jobs in shards across a Ray cluster, results back as they finish.

The driver (this process) keeps the plan, the store and the progress bar; it cuts the jobs
into shards and keeps ``workers`` of them running as Ray generator tasks
(``ray_worker.run_shard``), each computing its shard with the harness's own ``CaseRunner``
and yielding every result the moment it is done. The driver writes each result once.

Faults: Ray does not retry a shard itself (``max_retries=0``). When a worker or its node
dies, the driver already has the results the shard yielded; it frees the shard's model slots
at the limiter and queues only the shard's unfinished jobs again, so nothing is lost and
nothing is computed or written twice. A job whose worker dies ``max_attempts`` times is
written as an errored result (the run goes on; a resume retries it). If the driver itself
dies, its Ray job ends with it; ``--resume`` then works as for the local executor.
"""

from __future__ import annotations

import asyncio
import math
import secrets
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kilab.agents.profiles import ModelProfile
from kilab.core.errors import UserError
from kilab.core.settings import environment_value
from kilab.evals.executors.base import Write
from kilab.evals.executors.ray_worker import JudgeRecipe, ShardSpec, run_shard
from kilab.evals.records import CaseOutput, CaseResult

if TYPE_CHECKING:
    from kilab.evals.harness import CaseRunner, Job

# Settings a worker should see as the driver does (secrets of model profiles are added).
_FORWARDED = (
    "KILAB_HOME",
    "KILAB_CACHE",
    "KILAB_MODELS",
    "KILAB_LOCAL_BASE_URL",
    "KILAB_LOG_LEVEL",
    "KILAB_LOG_FORMAT",
    "KILAB_TRACE_CONTENT",
)


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UserError('the Ray executor needs Ray: pip install "kilab[ray]"') from None
    return ray


def _lost(ray: Any) -> tuple[type[BaseException], ...]:
    """The errors that mean a worker, its node or its objects are gone (not a bug)."""
    exc = ray.exceptions
    return (
        exc.WorkerCrashedError,
        exc.NodeDiedError,
        exc.ObjectLostError,
        exc.OwnerDiedError,
        exc.LocalRayletDiedError,
        exc.TaskCancelledError,
        exc.ActorDiedError,
    )


def _portable_root(root: Path) -> tuple[str, str]:
    absolute = root.resolve()
    try:
        return str(absolute.relative_to(Path.cwd().resolve())), str(absolute)
    except ValueError:
        return str(absolute), str(absolute)


def _profile_of(metric: Any) -> ModelProfile | None:
    """The model profile inside a judging metric (metric → judge → model …)."""
    found: Any = metric
    for _ in range(4):
        profile = getattr(found, "profile", None)
        if isinstance(profile, ModelProfile):
            return profile
        found = getattr(found, "judge", None) or getattr(found, "model", None)
    return None


def _judges(runner: CaseRunner) -> JudgeRecipe | None:
    """How a worker rebuilds the run's judging metrics: the judge profile's name, the number
    of samples, and which of the two metrics the driver has (model clients do not travel)."""
    options = runner.options
    metrics = [m for m in (options.judge, options.correctness) if m is not None]
    if not metrics:
        return None
    profile = _profile_of(metrics[0])
    known = runner.project.models.spec.profiles if runner.project.models else {}
    names = [name for name, candidate in known.items() if candidate == profile]
    if not names:
        raise UserError("the Ray executor ships judges by model profile name; none matched")
    return JudgeRecipe(
        profile=names[0],
        samples=int(getattr(metrics[0], "samples", 1)),
        judge=options.judge is not None,
        correctness=options.correctness is not None,
    )


class RayExecutor:
    """Computes jobs on a Ray cluster: a running one at ``address``, or a new local one.

    Args:
        address: ``host:port`` of the head's GCS, ``auto``, or None to start Ray here.
        workers: Shards running at once (default: the cluster's CPUs).
        concurrency: Cases in flight in each worker (default: the run's concurrency
            spread over the workers, at least 1).
        shard_size: Jobs per shard (default: about four shards per worker, at most 64).
        max_attempts: Workers a job may lose before it is written as an error.
        runtime_env: Extra Ray runtime environment of the tasks (``working_dir`` …).
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        workers: int | None = None,
        concurrency: int | None = None,
        shard_size: int | None = None,
        max_attempts: int = 3,
        runtime_env: dict[str, Any] | None = None,
    ) -> None:
        self.address, self.workers, self.concurrency = address, workers, concurrency
        self.shard_size, self.max_attempts = shard_size, max_attempts
        self.runtime_env = runtime_env or {}
        self.restarted = 0  # shards queued again after their worker died (for reports)

    def _connect(self) -> Any:
        ray = _ray()
        if not ray.is_initialized():
            ray.init(
                address=self.address,
                include_dashboard=False,
                logging_level="WARNING",
                log_to_driver=False,
                configure_logging=False,
            )
        return ray

    def _env(self, runner: CaseRunner) -> dict[str, Any]:
        names = set(_FORWARDED)
        if runner.project.models:
            for profile in runner.project.models.spec.profiles.values():
                if profile.api_key_env:
                    names.add(profile.api_key_env)
        values = {name: value for name in sorted(names) if (value := environment_value(name))}
        env = dict(self.runtime_env)
        env["env_vars"] = {**values, **env.get("env_vars", {})}
        return env

    async def execute(self, runner: CaseRunner, jobs: Sequence[Job], write: Write) -> None:
        """Run the jobs in shards on the cluster; write each result once, as it arrives."""
        if not jobs:
            return
        ray = self._connect()
        lost = _lost(ray)
        from kilab.evals.executors.ray_limits import ClusterLimiter

        # One per run, owned by this driver: it ends with the run, or with the driver.
        limiter = ray.remote(ClusterLimiter).options(num_cpus=0, max_concurrency=10_000).remote()
        workers = self.workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        size = self.shard_size or max(1, min(64, math.ceil(len(jobs) / (workers * 4))))
        root, absolute = _portable_root(runner.project.root)
        spec = ShardSpec(
            config_root=root,
            config_root_absolute=absolute,
            pilot=runner.pilot,
            run=runner.run_info,
            concurrency=self.concurrency or max(1, runner.options.concurrency // workers),
            cache_dir=str(runner.options.cache_dir) if runner.options.cache_dir else None,
            use_cache=runner.options.use_cache,
            judges=_judges(runner),
            limiter=limiter,
        )
        task = ray.remote(run_shard).options(
            num_returns="streaming",
            max_retries=0,  # the driver re-queues only a dead shard's unfinished jobs
            num_cpus=1,
            name="kilab-shard",
            runtime_env=self._env(runner),
        )
        pending = deque(list(jobs[i : i + size]) for i in range(0, len(jobs), size))
        attempts: dict[str, int] = {}
        written: set[str] = set()

        def deliver(result: CaseResult) -> None:
            if result.key not in written:  # never twice, whatever a dying worker sent
                written.add(result.key)
                write(result)

        async def shard(jobs: list[Job]) -> None:
            holder = f"{runner.run_info.id}/{secrets.token_hex(4)}"
            generator = task.remote(spec, jobs, holder)
            try:
                async for ref in generator:
                    deliver(await ref)
            except asyncio.CancelledError:
                ray.cancel(generator)
                raise
            except ray.exceptions.RayTaskError as exc:
                if isinstance(exc.cause, UserError):  # a node without the files, say
                    raise exc.cause from None
                raise
            except lost:
                await limiter.release_holder.remote(holder)
                unfinished = [job for job in jobs if job.key not in written]
                self.restarted += 1
                for job in unfinished:
                    attempts[job.key] = attempts.get(job.key, 0) + 1
                    if attempts[job.key] >= self.max_attempts:
                        deliver(_worker_lost(runner, job, attempts[job.key]))
                again = [job for job in unfinished if job.key not in written]
                if again:
                    pending.appendleft(again)  # first: they were due before the rest

        running: set[asyncio.Task[None]] = set()
        try:
            while pending or running:
                while pending and len(running) < workers:
                    running.add(asyncio.create_task(shard(pending.popleft())))
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for finished in done:
                    running.discard(finished)
                    finished.result()  # a set-up error on a worker ends the run here
        finally:
            for still in running:
                still.cancel()
            if running:
                await asyncio.gather(*running, return_exceptions=True)
            ray.kill(limiter, no_restart=True)


def _worker_lost(runner: CaseRunner, job: Job, attempts: int) -> CaseResult:
    """The errored result of a job whose workers kept dying (a resume retries it)."""
    error = f"WorkerLost: the Ray worker computing this case died {attempts} times"
    return CaseResult(
        run_id=runner.run_info.id,
        key=job.key,
        case=job.case,
        variant=job.variant,
        repeat=job.repeat,
        output=CaseOutput(errors=[error]),
        metrics={metric.name: None for metric in runner.metrics},
        passed=False,
        error=error,
    )
