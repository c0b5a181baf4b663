"""The SQLite checkpointer, with every value masked before it is written.

LangGraph writes the whole graph state (question, passages, drafts, interrupts) into the
checkpoint file after every step. ``MaskingSerializer`` masks secrets, identity numbers and
phone numbers in that state before it is serialised, so the file never holds them; a paused
thread resumes from the masked state. Where a person needs the original (a reviewer reading a
draft as it is produced), it exists only in the memory of the running process.
"""

from __future__ import annotations

import copy
import dataclasses
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from pydantic import BaseModel

from kilab.core.telemetry import redact_text
from kilab.core.telemetry.redaction import IDENTIFIER_FIELDS, secret_values

if TYPE_CHECKING:
    from langgraph.checkpoint.sqlite import SqliteSaver


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


@contextmanager
def open_checkpointer(path: str | Path) -> Iterator[SqliteSaver]:
    """A SQLite checkpointer on ``path`` whose writes are masked.

    Args:
        path: The checkpoint file (``settings().checkpoints``), or ``":memory:"``.
    """
    from langgraph.checkpoint.sqlite import SqliteSaver

    with closing(sqlite3.connect(str(path), check_same_thread=False)) as conn:
        yield SqliteSaver(conn, serde=MaskingSerializer())
