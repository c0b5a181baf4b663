"""The default executor: every job on this process's event loop, ``concurrency`` at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from kilab.evals.executors.base import Write

if TYPE_CHECKING:
    from kilab.evals.harness import CaseRunner, Job


class LocalExecutor:
    """Runs the jobs concurrently in this process (``EvalOptions.concurrency`` in flight)."""

    def __init__(self, concurrency: int | None = None) -> None:
        self.concurrency = concurrency  # None: the run's options decide

    async def execute(self, runner: CaseRunner, jobs: Sequence[Job], write: Write) -> None:
        """Set up the variants the jobs need (done already when the harness did), then compute
        the jobs and write each result."""
        await runner.set_up(list(dict.fromkeys(job.variant for job in jobs)))
        queue: Iterator[Job] = iter(jobs)

        async def worker() -> None:
            for job in queue:  # a shared iterator: each job is taken by exactly one worker
                write(await runner.execute(job))

        workers = min(self.concurrency or runner.options.concurrency, max(1, len(jobs)))
        await asyncio.gather(*(worker() for _ in range(workers)))
