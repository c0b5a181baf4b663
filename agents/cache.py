"""A content-addressed response cache on disk.

The key is a SHA-256 over everything that changes the answer: the model, the endpoint (the
URL the request really goes to, ``OPENAI_BASE_URL`` included), the messages (kilab's prompts
are in them, so a changed prompt file is a new key), the parameters, the tools and the output
schema (a changed reply model is a new key). ``KEY_VERSION`` changes when what the key covers
changes, so that no entry written under an older, narrower key is read again. Secrets never
enter the key, and the stored value is masked (secrets, identity and phone numbers) before it
is written, so that nothing personal lies on disk; an unchanged call is answered from disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from kilab.core.telemetry import redact_model

KEY_VERSION = 2  # 2: the endpoint is the URL requests go to (OPENAI_BASE_URL too)


class CacheKey(BaseModel):
    """What identifies one model call's answer."""

    model_config = ConfigDict(frozen=True)

    model: str
    endpoint: str
    messages: list[tuple[str, str]]
    params: dict[str, Any] = {}
    tools: list[dict[str, Any]] = []
    output_schema: dict[str, Any] | None = None

    def digest(self) -> str:
        """The hex SHA-256 of the key's canonical JSON."""
        payload = {"v": KEY_VERSION, **self.model_dump(mode="json")}
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


class CachedReply(BaseModel):
    """What is stored for a call: the reply text or parsed data, and its token counts."""

    text: str = ""
    data: dict[str, Any] | None = None
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True, slots=True)
class ResponseCache:
    """Replies stored as one JSON file per key under ``root``."""

    root: Path

    def _path(self, digest: str) -> Path:
        return self.root / "responses" / digest[:2] / f"{digest}.json"

    def get(self, key: CacheKey) -> CachedReply | None:
        """The stored reply for a key, or None (also for an unreadable file)."""
        path = self._path(key.digest())
        try:
            return CachedReply.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key: CacheKey, reply: CachedReply) -> None:
        """Store a reply, masked, atomically, so concurrent writers never leave half a file."""
        reply = redact_model(reply)
        path = self._path(key.digest())
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(reply.model_dump_json())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
