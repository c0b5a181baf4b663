"""Run leases: one process computes a run at a time, and a run whose process died shows so.

The harness takes the run's lease before it touches the run (``acquire``), renews it while it
computes (``renewing``) and releases it at the end. A second ``kilab eval --resume`` of the
same run finds the lease held and refuses with ``RunBusy``, naming host, pid and since when,
instead of computing every missing case a second time.

A lease stops holding the run when it was not renewed before ``expires_at`` (a process that
hung or a machine that went away), or at once when its holder is a process on this host that
no longer exists (``kill -9``). ``shown_status`` uses the same test to show a stored
``running`` run whose process is gone as ``interrupted``.

Limits: a dead pid is recognised on the holder's own host only (elsewhere the lease lapses
after ``LEASE_SECONDS``); a pid reused by another process after a crash keeps the lease until
it lapses.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from kilab.core.errors import UserError
from kilab.evals.records import RunInfo, RunLease, RunStatus
from kilab.evals.store import RunStore

LEASE_SECONDS = 60.0
RENEW_SECONDS = LEASE_SECONDS / 3  # two renewals may fail before the lease lapses


class RunBusy(UserError):
    """The run is being computed by another process."""

    code = "run-busy"

    def __init__(self, holder: RunLease) -> None:
        self.holder = holder
        super().__init__(
            f"run {holder.run_id} is being computed by host {holder.host}, pid {holder.pid}, "
            f"since {holder.acquired_at:%Y-%m-%d %H:%M:%S} UTC (lease renewed "
            f"{holder.renewed_at:%H:%M:%S}, lapses {holder.expires_at:%H:%M:%S} unless "
            "renewed): wait for it to finish, or stop that process and resume again"
        )


class LeaseLost(UserError):
    """Another process took the run while this one was computing it (it missed renewals)."""

    code = "lease-lost"


def _now() -> datetime:
    return datetime.now(UTC)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def is_dead(lease: RunLease, now: datetime | None = None) -> bool:
    """Whether a lease no longer holds its run: it lapsed, or its process on this host is gone."""
    if lease.expires_at <= (now or _now()):
        return True
    return lease.host == socket.gethostname() and not _pid_alive(lease.pid)


def new_lease(run_id: str, seconds: float = LEASE_SECONDS) -> RunLease:
    """A lease for this process, from now."""
    now = _now()
    return RunLease(
        run_id=run_id,
        token=uuid.uuid4().hex,
        host=socket.gethostname(),
        pid=os.getpid(),
        acquired_at=now,
        renewed_at=now,
        expires_at=now + timedelta(seconds=seconds),
    )


def acquire(store: RunStore, run_id: str, seconds: float = LEASE_SECONDS) -> RunLease:
    """Take the run's lease for this process.

    Raises:
        RunBusy: A live process holds it.
    """
    lease = new_lease(run_id, seconds)
    held = store.acquire_lease(lease)
    if held.token != lease.token and is_dead(held):
        held = store.acquire_lease(lease, steal=held.token)  # only if still that dead one
    if held.token != lease.token:
        raise RunBusy(held)
    return lease


def renew(store: RunStore, lease: RunLease, seconds: float = LEASE_SECONDS) -> RunLease:
    """The lease, renewed from now.

    Raises:
        LeaseLost: Another process took the run meanwhile.
    """
    now = _now()
    renewed = lease.model_copy(
        update={"renewed_at": now, "expires_at": now + timedelta(seconds=seconds)}
    )
    held = store.acquire_lease(renewed)
    if held.token != lease.token:
        raise LeaseLost(
            f"run {lease.run_id} was taken by host {held.host}, pid {held.pid} at "
            f"{held.acquired_at:%H:%M:%S} UTC while this process computed it "
            "(it missed its lease renewals); this process stops"
        )
    return renewed


@contextlib.asynccontextmanager
async def renewing(
    store: RunStore, lease: RunLease, every: float = RENEW_SECONDS
) -> AsyncIterator[None]:
    """Renew ``lease`` every ``every`` seconds while the body runs; release it afterwards.

    If the lease is lost, the body is cancelled and ``LeaseLost`` raised.
    """
    body = asyncio.current_task()
    lost: list[LeaseLost] = []

    async def keep() -> None:
        nonlocal lease
        while True:
            await asyncio.sleep(every)
            try:
                lease = renew(store, lease)
            except LeaseLost as exc:
                lost.append(exc)
                if body is not None:
                    body.cancel()
                return

    keeper = asyncio.create_task(keep())
    try:
        yield
    except asyncio.CancelledError:
        if lost and body is not None:
            body.uncancel()  # the cancellation was ours: it ends as LeaseLost
            raise lost[0] from None
        raise
    finally:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper
        if not lost:
            store.release_lease(lease.run_id, lease.token)


def shown_status(store: RunStore, run: RunInfo) -> RunStatus:
    """The run's status as it is: a stored ``running`` whose holder is gone is ``interrupted``."""
    if run.status != "running":
        return run.status
    lease = store.get_lease(run.id)
    return "interrupted" if lease is None or is_dead(lease) else "running"
