"""An in-memory RunStore for tests and scripts; nothing survives the process."""

from __future__ import annotations

import threading

from kilab.core.errors import NotFoundError
from kilab.evals.records import CaseResult, LogHead, RunInfo, RunLease


class MemoryRunStore:
    """A RunStore held in dictionaries."""

    def __init__(self) -> None:
        self._runs: dict[str, RunInfo] = {}
        self._results: dict[str, dict[str, CaseResult]] = {}
        self._by_key: dict[str, list[CaseResult]] = {}
        self._heads: dict[str, LogHead] = {}
        self._leases: dict[str, RunLease] = {}
        self._lease_lock = threading.Lock()

    def create_run(self, run: RunInfo) -> None:
        if run.id in self._runs:
            raise ValueError(f"run {run.id!r} exists")
        self._runs[run.id] = run
        self._results[run.id] = {}

    def update_run(self, run: RunInfo) -> None:
        self.get_run(run.id)
        self._runs[run.id] = run

    def get_run(self, run_id: str) -> RunInfo:
        if run_id not in self._runs:
            raise NotFoundError(f"no run {run_id!r}")
        return self._runs[run_id]

    def list_runs(self, pilot: str | None = None) -> list[RunInfo]:
        runs = [r for r in self._runs.values() if pilot is None or r.pilot == pilot]
        order = {run_id: i for i, run_id in enumerate(self._runs)}
        return sorted(runs, key=lambda r: (r.created_at, order[r.id]), reverse=True)

    def put_result(self, result: CaseResult) -> None:
        self.get_run(result.run_id)
        self._results[result.run_id][result.key] = result  # dicts keep first-insertion order
        self._by_key.setdefault(result.key, []).append(result)

    def results(self, run_id: str) -> list[CaseResult]:
        self.get_run(run_id)
        return list(self._results[run_id].values())

    def result_keys(self, run_id: str, *, include_errors: bool = False) -> set[str]:
        return {r.key for r in self.results(run_id) if include_errors or not r.error}

    def find_result(self, key: str) -> CaseResult | None:
        for result in reversed(self._by_key.get(key, [])):
            if not result.error:
                return result
        return None

    def acquire_lease(self, lease: RunLease, *, steal: str = "") -> RunLease:
        with self._lease_lock:
            current = self._leases.get(lease.run_id)
            if not lease.may_replace(current, steal):
                assert current is not None
                return current
            self._leases[lease.run_id] = lease
            return lease

    def get_lease(self, run_id: str) -> RunLease | None:
        return self._leases.get(run_id)

    def release_lease(self, run_id: str, token: str) -> None:
        with self._lease_lock:
            current = self._leases.get(run_id)
            if current is not None and current.token == token:
                del self._leases[run_id]

    def log_head(self, log: str) -> LogHead | None:
        return self._heads.get(log)

    def set_log_head(self, head: LogHead) -> None:
        self._heads[head.log] = head

    def close(self) -> None:
        return None
