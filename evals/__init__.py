"""Evaluation: datasets, metrics, the harness, the run store, statistics, gates, promotion.

The public surface, for scripts and for the comparison/report/viewer code:

* ``load_dataset``, ``Case``: datasets (``kilab.evals.datasets``);
* ``run_eval`` / ``arun_eval`` with ``EvalOptions`` → ``EvalReport``; ``build_report``
  summarises any stored run later (``kilab.evals.harness``);
* ``open_store``, ``RunStore``, ``resolve_run``, ``CaseResult``, ``RunInfo``: the run store
  and its records (``kilab.evals.store``, ``kilab.evals.records``);
* ``bootstrap``, ``paired_difference``, ``per_case_values``: statistics (``kilab.evals.stats``);
* ``decide``, ``promote``, ``PromotionLog``: gates and the promotion log.

Names are imported on first use, so ``import evals`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Case": "kilab.evals.datasets",
    "Dataset": "kilab.evals.datasets",
    "load_dataset": "kilab.evals.datasets",
    "CaseOutput": "kilab.evals.records",
    "CaseResult": "kilab.evals.records",
    "RunInfo": "kilab.evals.records",
    "EvalOptions": "kilab.evals.harness",
    "EvalReport": "kilab.evals.harness",
    "arun_eval": "kilab.evals.harness",
    "run_eval": "kilab.evals.harness",
    "build_report": "kilab.evals.harness",
    "RunStore": "kilab.evals.store",
    "MemoryRunStore": "kilab.evals.store",
    "SqliteRunStore": "kilab.evals.store",
    "open_store": "kilab.evals.store",
    "resolve_run": "kilab.evals.store",
    "bootstrap": "kilab.evals.stats",
    "paired_difference": "kilab.evals.stats",
    "per_case_values": "kilab.evals.stats",
    "summarize_variant": "kilab.evals.stats",
    "evaluate_gate": "kilab.evals.gates",
    "GateDecision": "kilab.evals.gates",
    "decide": "kilab.evals.decisions",
    "promote": "kilab.evals.decisions",
    "PromotionLog": "kilab.evals.promotion",
    "check_pilot": "kilab.evals.validate",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'evals' has no attribute {name!r}")
