"""The SQLite checkpointer every thread is saved in, and a question asked through it.

LangGraph writes the whole graph state (question, passages, drafts, interrupts) into the
checkpoint file after every step. ``MaskingSerializer`` masks secrets, identity numbers and
phone numbers in that state before it is serialised, so the file never holds them; a paused
thread resumes from the masked state. Where a person needs the original (a reviewer reading a
draft as it is produced), it exists only in the memory of the running process.

``kilab run`` saves each step of a thread here, so that ``kilab state`` can read it back and
a human step can pause it until ``kilab review`` (or the viewer) resumes it.
"""

from __future__ import annotations

import copy
import dataclasses
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from pydantic import BaseModel

from kilab.core.errors import NotFoundError
from kilab.core.settings import settings
from kilab.core.telemetry import redact_text
from kilab.core.telemetry.redaction import IDENTIFIER_FIELDS, secret_values

if TYPE_CHECKING:
    from langgraph.checkpoint.sqlite import SqliteSaver

    from kilab.graphs.project import Project
    from kilab.graphs.runner import GraphResult


def mask_state(value: Any, secrets: tuple[str, ...] | None = None) -> Any:
    """A copy of a graph value (state, write, interrupt, message) with every string masked."""
    secrets = tuple(secret_values()) if secrets is None else secrets
    if isinstance(value, str):
        return redact_text(value, list(secrets))
    if isinstance(value, dict):
        return {
            k: v if k in IDENTIFIER_FIELDS else mask_state(v, secrets) for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_state(v, secrets) for v in value]
    if isinstance(value, tuple):
        items = [mask_state(v, secrets) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if isinstance(value, BaseModel):
        fields = type(value).model_fields
        return value.model_copy(
            update={name: mask_state(getattr(value, name), secrets) for name in fields}
        )
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        clone = copy.copy(value)
        for f in dataclasses.fields(value):
            object.__setattr__(clone, f.name, mask_state(getattr(value, f.name), secrets))
        return clone
    return value


class MaskingSerializer(JsonPlusSerializer):
    """LangGraph's serializer, masking what it writes (reading is unchanged)."""

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        if isinstance(obj, dict) and "channel_values" in obj and "channel_versions" in obj:
            # A checkpoint: its ids, versions and timestamps are ours, only the values are data.
            obj = {**obj, "channel_values": mask_state(obj["channel_values"])}
        else:
            obj = mask_state(obj)
        return super().dumps_typed(obj)


def checkpoints_path(path: str | Path | None = None) -> Path:
    """The checkpoint file: ``path``, or the settings' ``$KILAB_HOME/checkpoints.sqlite``."""
    return Path(path) if path is not None else settings().checkpoints


@contextmanager
def open_checkpoints(
    path: str | Path | None = None, *, create: bool = True
) -> Iterator[SqliteSaver]:
    """The SQLite checkpointer, open for the duration of the block.

    Args:
        path: The file (default: the settings' checkpoints).
        create: Create the file (and its folder) when missing; else NotFoundError.
    """
    from langgraph.checkpoint.sqlite import SqliteSaver

    file = checkpoints_path(path)
    if create:
        file.parent.mkdir(parents=True, exist_ok=True)
    elif not file.exists():
        raise NotFoundError(f"no checkpoints at {file}")
    with closing(sqlite3.connect(str(file), check_same_thread=False)) as conn:
        yield SqliteSaver(conn, serde=MaskingSerializer())


def thread_values(thread_id: str, path: str | Path | None = None) -> dict[str, Any]:
    """The latest checkpointed state of a thread (LangGraph's own branch channels left out).

    Raises:
        NotFoundError: No checkpoint file, or no thread of that id in it.
    """
    with open_checkpoints(path, create=False) as saver:
        saved = saver.get_tuple({"configurable": {"thread_id": thread_id}})
    if saved is None:
        raise NotFoundError(f"no thread {thread_id!r} in {checkpoints_path(path)}")
    values: dict[str, Any] = saved.checkpoint["channel_values"]
    return {k: v for k, v in values.items() if not k.startswith("branch:")}


def ask(
    project: Project,
    pilot: str,
    question: str,
    *,
    variant: str = "baseline",
    thread_id: str | None = None,
    checkpoints: str | Path | None = None,
) -> GraphResult:
    """Answer one question through a pilot's graph, saving every step of the thread.

    The thread's checkpoints record the pilot, variant and project, so a human step that
    pauses it can be resumed later by ``kilab review`` or the viewer.
    """
    from kilab.core.telemetry import question_span
    from kilab.graphs.compiler import compile_pilot
    from kilab.graphs.review import labels
    from kilab.graphs.runner import run_question

    with open_checkpoints(checkpoints) as saver:
        compiled = compile_pilot(project, pilot, variant, checkpointer=saver)
        thread_id = thread_id or uuid.uuid4().hex
        with question_span(thread_id, question) as span:  # one trace, its nodes beneath
            result = run_question(
                compiled, question, thread_id, labels(pilot, variant, project.root)
            )
            span.set_io(output=result.answer)
            return result
