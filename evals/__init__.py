"""Evaluation: datasets, metrics, the harness, the run store, statistics, gates, promotion.

The public surface, for scripts and for the comparison/report/viewer code:

* ``load_dataset``, ``Case``: datasets (``evals.datasets``);
* ``run_eval`` / ``arun_eval`` with ``EvalOptions`` → ``EvalReport``; ``build_report``
  summarises any stored run later (``evals.harness``);
* ``open_store``, ``RunStore``, ``resolve_run``, ``CaseResult``, ``RunInfo``: the run store
  and its records (``evals.store``, ``evals.records``);
* ``bootstrap``, ``paired_difference``, ``per_case_values``: statistics (``evals.stats``);
* ``decide``, ``promote``, ``PromotionLog``: gates and the promotion log.

Names are imported on first use, so ``import evals`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Case": "evals.datasets",
    "Dataset": "evals.datasets",
    "load_dataset": "evals.datasets",
    "CaseOutput": "evals.records",
    "CaseResult": "evals.records",
    "RunInfo": "evals.records",
    "EvalOptions": "evals.harness",
    "EvalReport": "evals.harness",
    "arun_eval": "evals.harness",
    "run_eval": "evals.harness",
    "build_report": "evals.harness",
    "RunStore": "evals.store",
    "MemoryRunStore": "evals.store",
    "SqliteRunStore": "evals.store",
    "open_store": "evals.store",
    "resolve_run": "evals.store",
    "bootstrap": "evals.stats",
    "paired_difference": "evals.stats",
    "per_case_values": "evals.stats",
    "summarize_variant": "evals.stats",
    "evaluate_gate": "evals.gates",
    "GateDecision": "evals.gates",
    "decide": "evals.decisions",
    "promote": "evals.decisions",
    "PromotionLog": "evals.promotion",
    "check_pilot": "evals.validate",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'evals' has no attribute {name!r}")
