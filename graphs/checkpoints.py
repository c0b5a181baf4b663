"""The checkpointer every thread is saved in, and a question asked through it.

LangGraph writes the whole graph state (question, passages, drafts, interrupts) into the
checkpoint file after every step. ``MaskingSerializer`` masks secrets, identity numbers and
phone numbers in that state before it is serialised, so the file never holds them; a paused
thread resumes from the masked state. Where a person needs the original (a reviewer reading a
draft as it is produced), it exists only in the memory of the running process.

``kilab run`` saves each step of a thread here, so that ``kilab state`` can read it back and
a human step can pause it until ``kilab review`` (or the viewer) resumes it. The checkpoints
are a SQLite file by default; with PostgreSQL configured (``KILAB_DATABASE_URL``, or a run
store that is a ``postgresql://`` URL) they are in that database, where the service pauses
its threads too (``checkpoints_location``), so every reader finds the same threads.
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

from kilab.core.errors import NotFoundError, UserError
from kilab.core.locations import is_postgres_url, safe_url
from kilab.core.settings import settings
from kilab.core.telemetry import redact_text
from kilab.core.telemetry.redaction import IDENTIFIER_FIELDS, secret_values

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

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


def masking_postgres(saver: type[Any]) -> type[Any]:
    """A PostgreSQL saver class (sync or async) that masks a checkpoint's plain values too:
    it keeps strings and numbers as JSON in the checkpoint row, past the serializer (which
    sees only the blobs)."""

    def masked(checkpoint: Any) -> Any:
        return {**checkpoint, "channel_values": mask_state(checkpoint["channel_values"])}

    class MaskingPostgresSaver(saver):  # type: ignore[misc]
        def put(self, config: Any, checkpoint: Any, metadata: Any, versions: Any) -> Any:
            return super().put(config, masked(checkpoint), metadata, versions)

        async def aput(self, config: Any, checkpoint: Any, metadata: Any, versions: Any) -> Any:
            return await super().aput(config, masked(checkpoint), metadata, versions)

    return MaskingPostgresSaver


def checkpoints_location(
    location: str | Path | None = None, *, store: str | Path | None = None
) -> str | Path:
    """Where threads are checkpointed: ``location`` when given; else the PostgreSQL database
    of ``KILAB_DATABASE_URL``, where the service pauses threads; else the run store's when it
    is a PostgreSQL URL (``store``, default the settings' ``runs``), since ``kilab db upgrade``
    puts runs and checkpoints in one database; else the SQLite file of the settings."""
    if location is not None:
        return location
    current = settings()
    if current.database_url:
        return current.database_url
    runs = current.runs if store is None else store
    return runs if is_postgres_url(runs) else current.checkpoints


def describe_location(location: str | Path) -> str:
    """A checkpoint location fit to show: a URL without its password, or the file."""
    return (
        safe_url(location)
        if isinstance(location, str) and is_postgres_url(location)
        else str(location)
    )


def checkpoints_path(path: str | Path | None = None) -> Path:
    """The SQLite checkpoint file: ``path``, or the settings' ``$KILAB_HOME/checkpoints.sqlite``."""
    return Path(path) if path is not None else settings().checkpoints


def checkpoints_exist(location: str | Path) -> bool:
    """Whether anything was ever checkpointed there: the file exists, or the database has
    the checkpointer's tables (a reader lists no threads rather than create either)."""
    if not is_postgres_url(location):
        return Path(location).exists()
    with _postgres_connection(str(location)) as conn:
        row = conn.execute("SELECT to_regclass('checkpoints') IS NOT NULL AS present").fetchone()
    return bool(row and row["present"])


@contextmanager
def _postgres_connection(url: str) -> Iterator[Any]:
    try:
        import psycopg
        from psycopg.rows import dict_row
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise UserError('PostgreSQL checkpoints need: pip install "kilab[postgres]"') from None
    try:
        # the saver's own requirements: autocommit, no prepared statements, rows as dicts
        conn = psycopg.connect(
            url, autocommit=True, prepare_threshold=None, row_factory=dict_row, connect_timeout=5
        )
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"cannot open the checkpoints at {safe_url(url)}: {reason}") from None
    with conn:
        yield conn


@contextmanager
def open_checkpoints(
    location: str | Path | None = None, *, create: bool = True
) -> Iterator[BaseCheckpointSaver[Any]]:
    """The checkpointer (SQLite file or PostgreSQL database), open for the duration of the
    block.

    Args:
        location: A file or a ``postgresql://`` URL (default: ``checkpoints_location()``).
        create: Create the file (and its folder), or the database's checkpoint tables, when
            missing; else NotFoundError.
    """
    where = checkpoints_location(location)
    if is_postgres_url(where):
        from langgraph.checkpoint.postgres import PostgresSaver

        if not create and not checkpoints_exist(where):
            raise NotFoundError(f"no checkpoints in {describe_location(where)}")
        with _postgres_connection(str(where)) as conn:
            saver = masking_postgres(PostgresSaver)(conn, serde=MaskingSerializer())
            if create:
                saver.setup()  # versioned by LangGraph: a no-op when up to date
            yield saver
        return
    from langgraph.checkpoint.sqlite import SqliteSaver

    file = Path(where)
    if create:
        file.parent.mkdir(parents=True, exist_ok=True)
    elif not file.exists():
        raise NotFoundError(f"no checkpoints at {file}")
    with closing(sqlite3.connect(str(file), check_same_thread=False)) as conn:
        yield SqliteSaver(conn, serde=MaskingSerializer())


def thread_values(thread_id: str, location: str | Path | None = None) -> dict[str, Any]:
    """The latest checkpointed state of a thread (LangGraph's own branch channels left out).

    Raises:
        NotFoundError: No checkpoints, or no thread of that id in them.
    """
    with open_checkpoints(location, create=False) as saver:
        saved = saver.get_tuple({"configurable": {"thread_id": thread_id}})
    if saved is None:
        where = describe_location(checkpoints_location(location))
        raise NotFoundError(f"no thread {thread_id!r} in {where}")
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
