"""Where a run's jobs are computed, behind one ``Executor`` protocol: this process
(``LocalExecutor``)."""

from __future__ import annotations

from kilab.evals.executors.base import Executor, Write
from kilab.evals.executors.local import LocalExecutor

__all__ = ["Executor", "LocalExecutor", "Write"]
