"""The promotion log: an append-only, hash-chained, signed JSONL file an auditor can check.

Why JSONL and not a table in the run store: it is plain text that any tool can read without
our code or a database, it can be committed to git beside the configs (which adds a second,
independent history), and appending never rewrites earlier bytes.

Three things make it hard to forge:

* **The chain.** Every record holds the SHA-256 of the record before it (``prev_hash``) and
  its own ``hash`` over its canonical JSON without the hash and signature fields. Editing a
  field breaks its own hash; recomputing that hash breaks the next record's ``prev_hash``.
* **The signature.** With ``KILAB_LOG_KEY`` set, every record carries
  ``signature = HMAC-SHA256(key, hash)`` and ``key_id`` (a fingerprint of the key, to say
  which key signed). Re-chaining the whole log, or appending a record with a correct chain,
  needs the key. Once one record is signed, every later one must be; with the key set,
  every record must be. HMAC rather than Ed25519: no new dependency, and the people who
  promote are the people who verify; the price is that a verifier holds the same secret.
* **The head elsewhere.** After every append the run store keeps the log's head (sequence
  number and hash, ``LogHead``), and ``verify`` compares the file's end with it: a removed
  last record, a truncated or emptied log, or an appended one shows without any argument.
  ``kilab history`` prints the head too, to keep in a third place (``--head HASH``).

``append`` verifies the log first and refuses to extend one that fails.
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from kilab.core.errors import UserError
from kilab.core.settings import settings
from kilab.evals.records import LogHead
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
    key_id: str = ""
    signature: str = ""

    def computed_hash(self) -> str:
        """SHA-256 of the record's canonical JSON without its own hash and signature."""
        body = self.model_dump(mode="json", exclude={"hash", "key_id", "signature"})
        text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


class LogProblem(BaseModel):
    """Something wrong with the log, by line."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class LogHeads(Protocol):
    """Where the log's head is kept beside the log: the run store (``RunStore``) does it."""

    def log_head(self, log: str) -> LogHead | None: ...

    def set_log_head(self, head: LogHead) -> None: ...


def key_id(key: str) -> str:
    """A fingerprint of a signing key: says which key signed, reveals nothing of it."""
    return hashlib.sha256(b"kilab-log-key:" + key.encode()).hexdigest()[:16]


def signature(key: str, record_hash: str) -> str:
    """HMAC-SHA256 of a record's hash under the key."""
    return hmac.new(key.encode(), record_hash.encode(), hashlib.sha256).hexdigest()


def current_user() -> str:
    """Who is promoting: ``KILAB_USER`` if set, else the login name."""
    try:
        return settings().user or getpass.getuser()
    except OSError:
        return "unknown"


class PromotionLog:
    """The log file; created on the first append.

    Args:
        path: The JSONL file (default: the settings' ``promotions``).
        key: The signing key (default: ``KILAB_LOG_KEY``; "" for none).
    """

    def __init__(self, path: str | Path | None = None, *, key: str | None = None) -> None:
        self.path = Path(path) if path is not None else settings().promotions
        self.key = settings().log_key if key is None else key

    @property
    def log_id(self) -> str:
        """The name the run store keeps this log's head under: its absolute path."""
        return str(self.path.resolve())

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

    def head_record(self) -> LogHead:
        """The file's head: its last record's sequence number and hash."""
        records = self.records()
        if not records:
            return LogHead(log=self.log_id, seq=0, hash=GENESIS)
        return LogHead(log=self.log_id, seq=records[-1].seq, hash=records[-1].hash)

    @contextmanager
    def _locked(self) -> Iterator[IO[str]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield handle

    def append(self, heads: LogHeads | None = None, **fields: Any) -> PromotionRecord:
        """Append a record made of ``fields`` (everything but seq, by, at, hashes and the
        signature), signed when there is a key; then keep the new head in ``heads``.

        The file is locked while the log is verified, the record written and the head kept,
        so two promotions at once cannot fork the chain.

        Raises:
            UserError: The log fails verification (each problem listed), or it is signed and
                there is no key to sign the new record with.
        """
        with self._locked() as handle:
            problems = self.verify(heads=heads)
            if problems:
                listed = "; ".join(str(p) for p in problems[:5])
                raise UserError(
                    f"not appending to {self.path}: it fails verification ({listed}); "
                    "see kilab verify-log"
                )
            if not self.key and any(r.signature for r in self.records()):
                raise UserError(
                    f"{self.path} is signed: set KILAB_LOG_KEY to the key that signed it"
                )
            records = self.records()
            prev = records[-1].hash if records else GENESIS
            fields.setdefault("by", current_user())
            fields.setdefault("at", datetime.now(UTC))
            record = PromotionRecord(seq=len(records) + 1, prev_hash=prev, **fields)
            record = record.model_copy(update={"hash": record.computed_hash()})
            if self.key:
                record = record.model_copy(
                    update={
                        "key_id": key_id(self.key),
                        "signature": signature(self.key, record.hash),
                    }
                )
            handle.seek(0, os.SEEK_END)
            handle.write(record.model_dump_json() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
            if heads is not None:
                heads.set_log_head(LogHead(log=self.log_id, seq=record.seq, hash=record.hash))
        return record

    def verify(self, head: str | None = None, heads: LogHeads | None = None) -> list[LogProblem]:
        """Every broken link: unparsable lines, edited, removed, reordered or unsigned records,
        bad signatures, and an end that differs from the expected ``head`` hash or from the
        head kept in ``heads`` (the run store)."""
        problems: list[LogProblem] = []
        prev, count, signed = GENESIS, 0, False
        last_seq = 0
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
            problems.extend(self._signature_problems(number, record, after_signed=signed))
            signed = signed or bool(record.signature)
            prev, last_seq = record.hash, record.seq
        if head is not None and head != prev:
            problems.append(
                LogProblem(
                    line=count,
                    message=f"the last record's hash is "
                    f"{prev[:16]}…, expected {head[:16]}…: records are "
                    "missing at the end or were changed",
                )
            )
        kept = heads.log_head(self.log_id) if heads is not None else None
        if kept is not None and (kept.seq, kept.hash) != (last_seq, prev):
            problems.append(
                LogProblem(
                    line=count,
                    message=f"the log ends at record {last_seq} ({prev[:16]}…) but the run "
                    f"store's head is record {kept.seq} ({kept.hash[:16]}…, kept "
                    f"{kept.at:%Y-%m-%d %H:%M} UTC): records were removed, added or "
                    "re-chained at the end",
                )
            )
        return problems

    def _signature_problems(
        self, number: int, record: PromotionRecord, *, after_signed: bool
    ) -> list[LogProblem]:
        if not record.signature:
            if self.key:
                why = "KILAB_LOG_KEY is set, so every record must be signed"
            elif after_signed:
                why = "it follows a signed record"
            else:
                return []
            return [LogProblem(line=number, message=f"not signed, but {why}")]
        if not self.key:
            return []  # reported once by ``unchecked_signatures``
        if not hmac.compare_digest(record.signature, signature(self.key, record.hash)):
            other = (
                f" (signed with key {record.key_id}, KILAB_LOG_KEY is {key_id(self.key)})"
                if record.key_id and record.key_id != key_id(self.key)
                else ""
            )
            return [
                LogProblem(
                    line=number,
                    message=f"bad signature: not signed with this key, or forged{other}",
                )
            ]
        return []

    def unchecked_signatures(self) -> bool:
        """Whether the log holds signatures that cannot be checked (no key is set)."""
        return not self.key and any(r.signature for r in self.records())


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
