"""What runs inside a Ray worker process: set up a run once, then compute shards of it.

A shard is a list of jobs; ``run_shard`` is a generator task that yields each result the
moment it is computed, so the driver writes it while the rest of the shard still runs. The
set-up (the project reloaded from its config folder, build contexts, indexes, compiled
graphs, the event loop their clients live on) is kept in the process for every later shard
of the same run; indexes come from the node's index cache, built by its first worker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kilab.core.errors import UserError
from kilab.evals import keys
from kilab.evals.executors.ray_limits import cluster_limits, set_holder
from kilab.evals.harness import CaseRunner, EvalOptions, Job
from kilab.evals.records import CaseResult, RunInfo


@dataclass(frozen=True, slots=True)
class JudgeRecipe:
    """The run's judging metrics as a worker rebuilds them (``--judge``, ``--judge-samples``).

    Attributes:
        profile: The judge's model profile, by name.
        samples: Samples per case.
        judge: Whether the run scores the ``judge`` metric.
        correctness: Whether it scores ``answer_correct`` with a model judge.
    """

    profile: str
    samples: int
    judge: bool
    correctness: bool


@dataclass(frozen=True, slots=True)
class ShardSpec:
    """Everything a worker needs to rebuild the driver's runner (sent with every shard).

    Attributes:
        config_root: The project's config folder, relative to the driver's working folder
            when inside it (a Ray ``working_dir`` unpacks there on every node), else absolute.
        config_root_absolute: The same folder as the driver sees it (one machine, or a
            shared file system).
        pilot: The pilot's name.
        run: The run (its id, variants and the config and code hashes the keys were made of).
        concurrency: Cases in flight at once in each worker.
        cache_dir: The index cache (None: each node's settings decide).
        use_cache: Reuse cached indexes and model replies.
        judges: How to rebuild the run's judging metrics (None: no model judges).
        limiter: The run's ``ClusterLimiter`` actor.
    """

    config_root: str
    config_root_absolute: str
    pilot: str
    run: RunInfo
    concurrency: int
    cache_dir: str | None
    use_cache: bool
    judges: JudgeRecipe | None
    limiter: Any = field(compare=False, hash=False)

    @property
    def identity(self) -> str:
        """What the set-up depends on: a worker keeps one set-up per identity."""
        return keys.digest(
            [
                self.config_root,
                self.pilot,
                self.run.id,
                self.cache_dir,
                self.use_cache,
                repr(self.judges),
            ]
        )


@dataclass(slots=True)
class _Setup:
    loop: asyncio.AbstractEventLoop
    runner: CaseRunner


_SETUPS: dict[str, _Setup] = {}
_LOOP: asyncio.AbstractEventLoop | None = None


def _config_root(spec: ShardSpec) -> Path:
    relative = Path(spec.config_root)
    return relative if relative.is_dir() else Path(spec.config_root_absolute)


def _build(spec: ShardSpec) -> CaseRunner:
    """Load the project as the driver did and check it is the same project and code."""
    from kilab.agents.resilience import use_limits
    from kilab.graphs.project import load_project

    root = _config_root(spec)
    if not root.is_dir():
        raise UserError(
            f"this Ray node has no config folder {spec.config_root} (nor "
            f"{spec.config_root_absolute}): ship it with the runtime environment's working_dir"
        )
    project = load_project([root], root=root)
    pilot = project.pilot(spec.pilot)
    if keys.config_hash(project, pilot) != spec.run.config_hash:
        raise UserError(
            f"the configs or corpora under {root} on this Ray node differ from the driver's "
            f"(run {spec.run.id}): every node needs the same files"
        )
    if keys.code_version() != spec.run.code_version:
        raise UserError(
            f"kilab on this Ray node is {keys.code_version()}, the driver's is "
            f"{spec.run.code_version}: install the same version everywhere"
        )
    use_limits(cluster_limits(spec.limiter))  # before any model client is built
    options = EvalOptions(
        concurrency=spec.concurrency,
        use_cache=spec.use_cache,
        cache_dir=Path(spec.cache_dir) if spec.cache_dir else None,
    )
    if spec.judges:  # as the CLI builds them from --judge and --judge-samples
        from kilab.evals.metrics.correctness import correctness_for
        from kilab.evals.metrics.judge import judge_for

        recipe, cache = spec.judges, options.cache_dir
        judge = judge_for(
            project,
            recipe.profile,
            samples=recipe.samples,
            use_cache=spec.use_cache,
            cache_dir=cache,
        )
        correctness = correctness_for(
            project,
            spec.pilot,
            recipe.profile,
            samples=recipe.samples,
            use_cache=spec.use_cache,
        )
        options = replace(
            options,
            judge=judge if recipe.judge else None,
            correctness=correctness if recipe.correctness else None,
        )
    return CaseRunner.build(project, spec.pilot, spec.run, options)


def _setup(spec: ShardSpec) -> _Setup:
    global _LOOP
    setup = _SETUPS.get(spec.identity)
    if setup is None:
        # One loop for the process: the compiled graphs' model clients belong to it.
        _LOOP = _LOOP or asyncio.new_event_loop()
        runner = _build(spec)
        _LOOP.run_until_complete(runner.set_up(runner.run_info.variants))
        _SETUPS.clear()  # a worker serves one run at a time: let the last one's go
        setup = _SETUPS[spec.identity] = _Setup(_LOOP, runner)
    return setup


def run_shard(spec: ShardSpec, jobs: list[Job], holder: str) -> Iterator[CaseResult]:
    """Compute a shard's jobs, ``spec.concurrency`` at a time; yield each result as it is done.

    Args:
        spec: The run, as the driver describes it.
        jobs: This shard's jobs.
        holder: This attempt's name at the limiter (the driver frees its slots if it dies).
    """
    setup = _setup(spec)
    set_holder(holder)
    loop, runner = setup.loop, setup.runner
    finished: asyncio.Queue[CaseResult | BaseException] = asyncio.Queue()
    queue = iter(jobs)

    async def worker() -> None:
        try:
            for job in queue:
                await finished.put(await runner.execute(job))
        except BaseException as exc:  # a bug, not a failing case: end the shard with it
            await finished.put(exc)

    tasks = [loop.create_task(worker()) for _ in range(min(spec.concurrency, len(jobs)))]
    try:
        for _ in jobs:
            # The loop runs only while we wait for the next result; yielding is quick
            # (the result goes to the object store), so the workers barely pause.
            item = loop.run_until_complete(finished.get())
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
