"""The SQLite checkpointer every thread is saved in, and a question asked through it.

``kilab run`` saves each step of a thread here, so that ``kilab state`` can read it back and
a human step can pause it until ``kilab review`` (or the viewer) resumes it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kilab.core.errors import NotFoundError
from kilab.core.settings import settings

if TYPE_CHECKING:
    from langgraph.checkpoint.sqlite import SqliteSaver

    from kilab.graphs.project import Project
    from kilab.graphs.runner import GraphResult


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
    with SqliteSaver.from_conn_string(str(file)) as saver:
        yield saver


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
        with question_span(thread_id):  # one trace per question, its nodes beneath
            return run_question(compiled, question, thread_id, labels(pilot, variant, project.root))
