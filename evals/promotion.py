"""The promotion log: an append-only, hash-chained JSONL file an auditor can check years later.

Why JSONL and not a table in the run store: it is plain text that any tool can read without
our code or a database, it can be committed to git beside the configs (which adds a second,
independent history), and appending never rewrites earlier bytes.

Every record holds the SHA-256 of the record before it (``prev_hash``) and its own ``hash``
over its canonical JSON without that field. Editing any field of any record breaks its own
hash; recomputing that hash breaks the next record's ``prev_hash``. What a chain cannot show
on its own is the loss of its *last* records, so ``kilab history`` prints the head hash: keep
it elsewhere (a ticket, a commit message) and ``kilab verify-log --head HASH`` checks it.
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from kilab.core.settings import settings
from kilab.graphs.specs import STAGES, Stage

GENESIS = "0" * 64


class ScoreRecord(BaseModel):
    """A metric's estimate as promoted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float | None
    low: float | None
    high: float | None
    n: int


class RuleRecord(BaseModel):
    """A gate rule's outcome as promoted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str
    passed: bool
    evidence: str


class PromotionRecord(BaseModel):
    """One promotion: what was promoted, on what evidence, by whom and when."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int
    pilot: str
    stage: Stage
    run_id: str
    variant: str
    scores: dict[str, ScoreRecord]
    gate: list[RuleRecord]
    config_hash: str
    dataset_hash: str
    code_version: str
    by: str
    at: datetime
    prev_hash: str
    hash: str = ""

    def computed_hash(self) -> str:
        """SHA-256 of the record's canonical JSON without its own hash."""
        body = self.model_dump(mode="json", exclude={"hash"})
        text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


class LogProblem(BaseModel):
    """Something wrong with the log, by line."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def current_user() -> str:
    """Who is promoting: ``KILAB_USER`` if set, else the login name."""
    try:
        return settings().user or getpass.getuser()
    except OSError:
        return "unknown"


class PromotionLog:
    """The log file; created on the first append."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else settings().promotions

    def _lines(self) -> list[str]:
        if not self.path.exists():
            return []
        return self.path.read_text(encoding="utf-8").splitlines()

    def records(self, pilot: str | None = None) -> list[PromotionRecord]:
        """Every record (of one pilot), oldest first; lines that do not parse are skipped
        (``verify`` reports them)."""
        records = []
        for line in self._lines():
            try:
                record = PromotionRecord.model_validate_json(line)
            except ValidationError:
                continue
            if pilot is None or record.pilot == pilot:
                records.append(record)
        return records

    def latest(self, pilot: str) -> PromotionRecord | None:
        """The pilot's most recent promotion."""
        records = self.records(pilot)
        return records[-1] if records else None

    def current_stage(self, pilot: str) -> Stage:
        """The stage the pilot was last promoted to (experiment before any promotion)."""
        latest = self.latest(pilot)
        return latest.stage if latest else "experiment"

    def head(self) -> str:
        """The hash of the last record (the genesis value for an empty log)."""
        records = self.records()
        return records[-1].hash if records else GENESIS

    def append(self, **fields: Any) -> PromotionRecord:
        """Append a record made of ``fields`` (everything but seq, by, at and the hashes).

        The file is locked while the chain's head is read and the record written, so two
        promotions at once cannot fork the chain.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.seek(0)
            lines = [line for line in handle.read().splitlines() if line.strip()]
            prev = json.loads(lines[-1]).get("hash", GENESIS) if lines else GENESIS
            fields.setdefault("by", current_user())
            fields.setdefault("at", datetime.now(UTC))
            record = PromotionRecord(seq=len(lines) + 1, prev_hash=prev, **fields)
            record = record.model_copy(update={"hash": record.computed_hash()})
            handle.seek(0, os.SEEK_END)
            handle.write(record.model_dump_json() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return record

    def verify(self, head: str | None = None) -> list[LogProblem]:
        """Every broken link of the chain: unparsable lines, edited records, reordering,
        removed records, and (given the expected head hash) lost records at the end."""
        problems: list[LogProblem] = []
        prev, count = GENESIS, 0
        for number, line in enumerate(self._lines(), start=1):
            if not line.strip():
                problems.append(LogProblem(line=number, message="empty line"))
                continue
            count += 1
            try:
                record = PromotionRecord.model_validate_json(line)
            except ValidationError as exc:
                problems.append(
                    LogProblem(
                        line=number, message=f"not a promotion record: {exc.errors()[0]['msg']}"
                    )
                )
                prev = _raw_hash(line)
                continue
            if record.seq != count:
                problems.append(
                    LogProblem(
                        line=number, message=f"sequence number {record.seq}, expected {count}"
                    )
                )
            if record.prev_hash != prev:
                problems.append(
                    LogProblem(
                        line=number,
                        message="does not follow the record "
                        "before it (a record was removed, added or edited)",
                    )
                )
            if record.computed_hash() != record.hash:
                problems.append(
                    LogProblem(line=number, message="edited: its hash does not match its content")
                )
            prev = record.hash
        if head is not None and head != prev:
            problems.append(
                LogProblem(
                    line=count,
                    message=f"the last record's hash is "
                    f"{prev[:16]}…, expected {head[:16]}…: records are "
                    "missing at the end or were changed",
                )
            )
        return problems


def _raw_hash(line: str) -> str:
    try:
        value = json.loads(line).get("hash", "")
        return value if isinstance(value, str) else ""
    except (ValueError, AttributeError):
        return ""


def next_stage(stage: Stage) -> Stage:
    """The stage after this one (production stays production)."""
    index = STAGES.index(stage)
    return STAGES[min(index + 1, len(STAGES) - 1)]
