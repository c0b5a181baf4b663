"""Where a run's jobs are computed: this process (``LocalExecutor``) or a Ray cluster
(``RayExecutor``, with the ``ray`` extra), behind one ``Executor`` protocol."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kilab.evals.executors.base import Executor, Write
from kilab.evals.executors.local import LocalExecutor

if TYPE_CHECKING:
    from kilab.evals.executors.ray_executor import RayExecutor

__all__ = ["Executor", "LocalExecutor", "RayExecutor", "Write"]


def __getattr__(name: str) -> Any:
    # Ray is an optional, heavy import: loaded only when the Ray executor is asked for.
    if name == "RayExecutor":
        from kilab.evals.executors.ray_executor import RayExecutor

        return RayExecutor
    raise AttributeError(name)
