"""The RunStore protocol: where runs and their case results live.

The harness, the statistics, gates and the comparison/report/viewer code depend only on this
protocol; ``SqliteRunStore`` (the default, one file) and ``MemoryRunStore`` (tests, scripts)
implement it and pass the same conformance tests, and a server database can follow.

Semantics every implementation keeps:

* ``put_result`` is atomic: after it returns, the result survives the process being killed;
  writing the same (run id, key) again replaces it (an errored case that is retried).
* ``results`` returns a run's results in the order they were first written.
* ``find_result`` returns the newest error-free result with a key from *any* run, so that a
  computation whose inputs are unchanged is never done twice.
* Runs list newest first.
* ``acquire_lease`` is atomic (compare and set): of two callers at once, one holds the run.
* ``log_head`` returns what ``set_log_head`` last wrote for that log (None before), so the
  promotion log's end is known to something the log file's writer cannot rewrite with it.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from kilab.core.errors import NotFoundError
from kilab.evals.records import CaseResult, LogHead, RunInfo, RunLease


@runtime_checkable
class RunStore(Protocol):
    """Runs and their case results."""

    def create_run(self, run: RunInfo) -> None:
        """Add a new run; raises ValueError when the id is taken."""
        ...

    def update_run(self, run: RunInfo) -> None:
        """Replace a run's description (status, finished time, …)."""
        ...

    def get_run(self, run_id: str) -> RunInfo:
        """A run by its exact id; raises NotFoundError."""
        ...

    def list_runs(self, pilot: str | None = None) -> list[RunInfo]:
        """Every run (of one pilot), newest first."""
        ...

    def put_result(self, result: CaseResult) -> None:
        """Write one case result in one transaction."""
        ...

    def results(self, run_id: str) -> list[CaseResult]:
        """A run's results, in the order they were first written."""
        ...

    def result_keys(self, run_id: str, *, include_errors: bool = False) -> set[str]:
        """The keys a run holds (by default only results that ran without error)."""
        ...

    def find_result(self, key: str) -> CaseResult | None:
        """The newest error-free result with this key in any run, or None."""
        ...

    def acquire_lease(self, lease: RunLease, *, steal: str = "") -> RunLease:
        """Take or renew the lease of ``lease.run_id`` if ``lease.may_replace`` the current
        one; return the lease that holds the run afterwards (``lease``, or the other holder)."""
        ...

    def get_lease(self, run_id: str) -> RunLease | None:
        """The run's lease, lapsed or not (None: nobody took it, or it was released)."""
        ...

    def release_lease(self, run_id: str, token: str) -> None:
        """Drop the run's lease if ``token`` still holds it."""
        ...

    def log_head(self, log: str) -> LogHead | None:
        """The promotion log's head as last written (``log``: the log's absolute path)."""
        ...

    def set_log_head(self, head: LogHead) -> None:
        """Replace the head kept for ``head.log``, in one transaction."""
        ...

    def close(self) -> None:
        """Release the store's resources."""
        ...


def resolve_run(store: RunStore, ref: str, pilot: str | None = None) -> RunInfo:
    """A run named by its id, a unique prefix of it, or ``latest`` (of a pilot, if given).

    Raises:
        NotFoundError: When nothing or more than one run matches.
    """
    runs = store.list_runs(pilot)
    if ref == "latest":
        if not runs:
            raise NotFoundError("no runs yet" + (f" of pilot {pilot!r}" if pilot else ""))
        return runs[0]
    exact = [run for run in runs if run.id == ref]
    if exact:
        return exact[0]
    matches = [run for run in runs if run.id.startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        names = ", ".join(run.id for run in matches[:5])
        raise NotFoundError(f"run {ref!r} is ambiguous: {names}")
    recent = ", ".join(run.id for run in runs[:3])
    raise NotFoundError(
        f"no run {ref!r}" + (f" (recent: {recent})" if recent else " (no runs yet)")
    )
