"""Threads paused at a human node: find them in the checkpointer, and resume them.

A run started with ``labels(...)`` records its pilot, variant and project folder in every
checkpoint's metadata, so a later process (``kilab review``) can rebuild the same graph and
resume the thread from the SQLite checkpointer with the reviewer's decision.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kilab.graphs.state import INTERRUPT

if TYPE_CHECKING:  # the graph machinery is imported only to resume, so listing stays quick
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from kilab.graphs.nodes.human import Decision
    from kilab.graphs.runner import GraphResult

PILOT_KEY, VARIANT_KEY, PROJECT_KEY = "kilab_pilot", "kilab_variant", "kilab_project"


@dataclass(frozen=True, slots=True)
class PendingThread:
    """A thread waiting for a person's decision."""

    thread_id: str
    pilot: str
    variant: str
    project: str
    question: str
    prompt: str
    draft: str
    updated: str
    citations: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Reviewed:
    """What a decision did to a thread: finished (approved or rejected) or paused again."""

    thread_id: str
    decision: Decision
    result: GraphResult
    paused: bool

    @property
    def outcome(self) -> str:
        """``paused`` (waiting again, after a revision), ``approved``, ``rejected`` or the
        verdict the graph ended with."""
        return outcome_of(self.paused, self.result.verdict)


@dataclass(frozen=True, slots=True)
class ThreadStatus:
    """Where a thread stands now, read back from its latest checkpoint."""

    thread_id: str
    pilot: str
    variant: str
    paused: bool
    outcome: str
    result: GraphResult
    decision: dict[str, str] | None
    comments: tuple[str, ...]


def labels(pilot: str, variant: str, project_root: Path) -> dict[str, str]:
    """What a run records in its checkpoints so that ``resume`` can rebuild its graph."""
    return {PILOT_KEY: pilot, VARIANT_KEY: variant, PROJECT_KEY: str(project_root.resolve())}


def outcome_of(paused: bool, verdict: str | None) -> str:
    """A thread's outcome in one word, for people: paused, approved, rejected or the verdict."""
    if paused:
        return "paused"
    if verdict is None:
        return "approved"
    return "rejected" if verdict == "reject" else verdict


def _waiting(saved: Any) -> dict[str, Any] | None:
    """The interrupt payload a checkpoint waits on (``None`` when it waits on nothing)."""
    waiting = [w[2] for w in saved.pending_writes or [] if w[1] == INTERRUPT]
    if not waiting:
        return None
    payloads = [
        getattr(i, "value", i) for w in waiting for i in (w if isinstance(w, list | tuple) else [w])
    ]
    return payloads[0] if payloads and isinstance(payloads[0], dict) else {}


def _latest(saver: BaseCheckpointSaver[Any]) -> dict[str, Any]:
    latest: dict[str, Any] = {}
    for saved in saver.list(None):
        configurable = saved.config["configurable"]
        if configurable.get("checkpoint_ns"):
            continue  # a subgraph's checkpoint
        thread = configurable["thread_id"]
        known = latest.get(thread)
        if known is None or saved.checkpoint["id"] > known.checkpoint["id"]:
            latest[thread] = saved
    return latest


def pending_threads(saver: BaseCheckpointSaver[Any]) -> list[PendingThread]:
    """Every thread whose latest checkpoint waits at an interrupt, oldest first."""
    found = []
    for thread, saved in _latest(saver).items():
        payload = _waiting(saved)
        if payload is None:
            continue
        meta = saved.metadata or {}
        found.append(
            PendingThread(
                thread_id=thread,
                pilot=str(meta.get(PILOT_KEY, "")),
                variant=str(meta.get(VARIANT_KEY, "baseline")),
                project=str(meta.get(PROJECT_KEY, "")),
                question=str(payload.get("question", "")),
                prompt=str(payload.get("prompt", "")),
                draft=str(payload.get("draft", "")),
                updated=str(saved.checkpoint.get("ts", "")),
                citations=tuple(str(c) for c in payload.get("citations", []) or []),
            )
        )
    return sorted(found, key=lambda p: p.updated)


def find_pending(saver: BaseCheckpointSaver[Any], thread_id: str) -> PendingThread:
    """The paused thread with this id.

    Raises:
        NotFoundError: No thread of that id waits for a decision.
    """
    from kilab.core.errors import NotFoundError

    for waiting in pending_threads(saver):
        if waiting.thread_id == thread_id:
            return waiting
    raise NotFoundError(f"no thread {thread_id!r} is waiting for review (see 'kilab pending')")


def resume(saver: BaseCheckpointSaver[Any], thread_id: str, decision: Decision) -> GraphResult:
    """Rebuild the paused thread's graph and resume it with a decision.

    Raises:
        NotFoundError: The thread is not waiting, or its pilot is gone.
        UserError: The thread does not say which pilot it ran.
    """
    from langgraph.types import Command

    from kilab.core.errors import UserError
    from kilab.graphs.compiler import compile_pilot
    from kilab.graphs.project import open_project
    from kilab.graphs.runner import result_from_state

    waiting = find_pending(saver, thread_id)
    if not waiting.pilot:
        raise UserError(
            f"thread {thread_id!r} does not record its pilot; it was not started by 'kilab run'"
        )
    project = open_project(waiting.project or None)
    compiled = compile_pilot(project, waiting.pilot, waiting.variant, checkpointer=saver)
    keep = labels(waiting.pilot, waiting.variant, Path(waiting.project or project.root))
    # what else the thread's starter recorded (the service: its tenant) stays recorded, or
    # the thread's owner would no longer find it once a person decided it
    saved = saver.get_tuple({"configurable": {"thread_id": thread_id}})
    recorded = {
        k: v for k, v in (saved.metadata if saved else {}).items() if k.startswith("kilab_")
    }
    config: Any = {
        "configurable": {**recorded, **keep, "thread_id": thread_id},
        "recursion_limit": compiled.recursion_limit,
    }
    started = time.perf_counter()
    state: Any = compiled.graph.invoke(Command(resume=decision.model_dump()), config)
    return result_from_state(
        waiting.question or str(state.get("question", "")),
        state,
        thread_id,
        time.perf_counter() - started,
    )


def decide(
    saver: BaseCheckpointSaver[Any],
    thread_id: str,
    action: str,
    comment: str = "",
    reviewer: str = "",
) -> Reviewed:
    """Resume a paused thread with a reviewer's decision (``kilab review`` and the viewer).

    Args:
        saver: The checkpointer the thread was paused in.
        thread_id: The paused thread.
        action: ``approve``, ``revise`` or ``reject``.
        comment: For ``revise``: what the drafter should change.
        reviewer: Who decides (recorded in the state).

    Raises:
        UserError: The action is not one of the three.
        NotFoundError: The thread is not waiting, or its pilot is gone.
    """
    from pydantic import ValidationError

    from kilab.core.errors import UserError
    from kilab.graphs.nodes.human import Decision

    try:
        decision = Decision(action=action, comment=comment, reviewer=reviewer)
    except ValidationError:
        raise UserError(
            f"unknown review action {action!r}: use approve, revise or reject"
        ) from None
    result = resume(saver, thread_id, decision)
    return Reviewed(thread_id, decision, result, paused=result.paused)


def thread_status(saver: BaseCheckpointSaver[Any], thread_id: str) -> ThreadStatus:
    """Where a thread stands: waiting (again) or finished, with its answer and decision.

    Raises:
        NotFoundError: The checkpointer holds no thread of that id.
    """
    from kilab.core.errors import NotFoundError
    from kilab.graphs.runner import result_from_state

    saved = _latest(saver).get(thread_id)
    if saved is None:
        raise NotFoundError(f"no thread {thread_id!r} in the checkpoints")
    state: Any = saved.checkpoint.get("channel_values", {})
    waiting = _waiting(saved)
    paused = waiting is not None
    result = result_from_state(
        str(state.get("question", "")), state, thread_id, 0.0, [waiting] if paused else []
    )
    meta = saved.metadata or {}
    decision = state.get("human_decision")
    return ThreadStatus(
        thread_id=thread_id,
        pilot=str(meta.get(PILOT_KEY, "")),
        variant=str(meta.get(VARIANT_KEY, "baseline")),
        paused=paused,
        outcome=outcome_of(paused, result.verdict),
        result=result,
        decision={k: str(v) for k, v in decision.items()} if decision else None,
        comments=tuple(
            str(f.get("message", ""))
            for f in state.get("feedback", [])
            if f.get("check") == "human"
        ),
    )
