"""The Executor protocol: where a run's jobs are computed.

The harness makes the plan (every key, what is stored, what is reused) and owns the store;
an executor only computes the jobs it is handed and reports each result through ``write``.
``LocalExecutor`` runs them on this process's event loop, ``RayExecutor`` across a Ray
cluster; both pass the same conformance test (``tests/evals/test_executors.py``).

Semantics every implementation keeps:

* ``write`` is called once for every job, with that job's key, as soon as its result is
  known: never twice for one key, even when a worker dies and its jobs run again;
* ``write`` is called on the caller's event loop thread (the store need not be thread-safe);
* a case that fails is a result with its error, not an exception; an exception out of
  ``execute`` means the set-up failed and the run stops (the harness marks it interrupted).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from kilab.evals.records import CaseResult

if TYPE_CHECKING:
    from kilab.evals.harness import CaseRunner, Job

Write = Callable[[CaseResult], None]


@runtime_checkable
class Executor(Protocol):
    """Computes a run's jobs somewhere and hands back each result once."""

    async def execute(self, runner: CaseRunner, jobs: Sequence[Job], write: Write) -> None:
        """Compute every job of ``jobs`` with ``runner``'s set-up; ``write`` each result.

        Args:
            runner: The driver's set-up of the run (project, pilot, run, options); a remote
                executor rebuilds an equal one on each worker instead of shipping it.
            jobs: The jobs still to compute, each key once.
            write: Called once per job with its result, as it finishes.
        """
        ...
