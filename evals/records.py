"""The typed records the harness writes and everything downstream reads.

``CaseOutput`` is what a graph produced for one case; ``CaseResult`` adds the case, the
metric values and the bookkeeping of one case × variant × repeat of a run; ``RunInfo``
describes a run. They are pydantic models so that the run store keeps them as JSON that
can be read back without our code, and a later reader (compare, report, viewer) gets types.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kilab.agents.types import Verdict
from kilab.evals.datasets import Case
from kilab.tools.retrieval.types import Passage

RunStatus = Literal["running", "finished", "interrupted"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


QUARANTINE_CHECK = "quarantine"


class FindingRecord(_Record):
    """Something the reviewer noticed, or a passage the screen quarantined.

    A quarantine is a finding with ``check == "quarantine"``: ``passage`` names the passage,
    ``message`` the patterns that fired (or ``model``), ``sentence`` the text that fired.
    """

    check: str
    severity: str = "info"
    message: str = ""
    sentence: str = ""
    passage: str = ""


class UsageRecord(_Record):
    """Model usage of one node, summed over its visits."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0


class ToolCallRecord(_Record):
    """One tool call an agent made: what it asked for and whether the tool answered."""

    node: str = ""
    step: int = 0
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    ok: bool = True
    result: str = ""


class CaseOutput(_Record):
    """What the graph produced for one question: the input of every metric."""

    answer: str = ""
    declined: bool = False
    citations: list[str] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list)  # rank order is list order
    verdict: Verdict | None = None  # None: no reviewer had a say
    findings: list[FindingRecord] = Field(default_factory=list)
    path: list[str] = Field(default_factory=list)
    usage: dict[str, UsageRecord] = Field(default_factory=dict)
    errors: list[str] = Field(default_factory=list)
    latency_s: float = 0.0
    thread_id: str = ""
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)

    @field_validator("verdict", mode="before")
    @classmethod
    def _no_verdict(cls, value: object) -> object:
        return value or None  # stored as "" (runs written before verdicts were typed, too)

    @property
    def quarantines(self) -> list[FindingRecord]:
        """The passages the screen kept from the drafter, as findings."""
        return [f for f in self.findings if f.check == QUARANTINE_CHECK]

    @property
    def ranked_ids(self) -> list[str]:
        """Passage ids in rank order."""
        return [passage["id"] for passage in self.passages]

    @property
    def tokens(self) -> int:
        """Input plus output tokens over every node."""
        return sum(u.input_tokens + u.output_tokens for u in self.usage.values())

    @property
    def cost(self) -> float:
        """Model cost over every node."""
        return sum(u.cost for u in self.usage.values())


class CaseResult(_Record):
    """One case × variant × repeat of a run, as stored.

    Attributes:
        run_id: The run it belongs to.
        key: Content hash of (pilot config, graph, case, variant, repeat, model profile,
            code version); equal keys are the same computation.
        case: The case as it was evaluated.
        variant: The pilot variant.
        repeat: 0-based repeat number.
        output: What the graph produced.
        metrics: Metric name → value; None where the metric does not apply to the case.
        samples: Metric name → individual samples, for metrics that sample (the judge).
        passed: The case's pass/fail: no error and no failed rule (``kilab.evals.passing``).
        failed_rules: The pass rules the case broke ("fact_recall 0.50 < 1"); empty when
            it passed or ended in an error.
        error: The exception that stopped the case, or "" when it ran to the end.
        spans: Telemetry spans of the case (filled by the telemetry layer; may be empty).
        reused_from: The run whose stored result was reused instead of computing it again.
        finished_at: When the result was written.
    """

    run_id: str
    key: str
    case: Case
    variant: str
    repeat: int = 0
    output: CaseOutput
    metrics: dict[str, float | None] = Field(default_factory=dict)
    samples: dict[str, list[float]] = Field(default_factory=dict)
    passed: bool = False
    failed_rules: list[str] = Field(default_factory=list)
    error: str = ""
    spans: list[dict[str, Any]] = Field(default_factory=list)
    reused_from: str = ""
    finished_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @property
    def case_id(self) -> str:
        return self.case.id


class RunInfo(_Record):
    """A run: one pilot on one dataset, some variants, some repeats.

    Attributes:
        id: Short, readable and unique (``husleie-250611-k3x9``).
        pilot: The pilot's name.
        dataset: Path of the dataset file as given.
        dataset_hash: Digest of every case.
        config_hash: Digest of the pilot and everything its graph uses.
        code_version: Package version and a digest of the code that produces answers.
        variants: The variants run.
        repeats: Repeats per case and variant.
        metrics: The metric names scored.
        judges: Judged metric → the judge that gave its values (``fact_recall``, or a
            model judge's kind, model, endpoint and prompt), for calibration lookups.
        total: Number of case × variant × repeat results the run will hold when complete.
        status: running, finished or interrupted.
        created_at: When the run started.
        finished_at: When it finished (None while running).
        seed: Seed of every bootstrap of this run, and of the order its cases run in.
        split: ``dev`` or ``test`` when the run used that part of a pilot's data; "" for a
            pilot with one dataset file or another dataset given for the run.
        setup_s: Seconds each variant's set-up took (graph compiled, indexes and models
            loaded, clients started), all before the first case, so never in a case's latency.
    """

    id: str
    pilot: str
    dataset: str
    dataset_hash: str
    config_hash: str
    code_version: str
    variants: list[str]
    repeats: int = 1
    metrics: list[str] = Field(default_factory=list)
    judges: dict[str, str] = Field(default_factory=dict)
    total: int = 0
    status: RunStatus = "running"
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    seed: int = 0
    split: Literal["", "dev", "test"] = ""
    setup_s: dict[str, float] = Field(default_factory=dict)


class LogHead(_Record):
    """The promotion log's last record as the run store keeps it, beside the log: a removed
    last record, an appended one or a re-chained log no longer ends where the store says.

    Attributes:
        log: Which log (its absolute path).
        seq: The last record's sequence number (0: an empty log).
        hash: The last record's hash.
        at: When the head was written.
    """

    log: str
    seq: int
    hash: str
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class RunLease(_Record):
    """Who computes a run now: taken at the start, renewed while it runs, released at the end.

    A second ``kilab eval --resume`` of the same run sees the lease and refuses, naming its
    holder; a lease that was not renewed in time (``expires_at`` passed), or whose process
    on this host is gone, no longer holds the run.

    Attributes:
        run_id: The run.
        token: Unique per holder; renewing and releasing need it.
        host: The holder's host name.
        pid: The holder's process id on that host.
        acquired_at: When the holder took the run.
        renewed_at: When it last said it is alive.
        expires_at: When the lease lapses unless renewed.
    """

    run_id: str
    token: str
    host: str
    pid: int
    acquired_at: datetime
    renewed_at: datetime
    expires_at: datetime

    def may_replace(self, current: RunLease | None, steal: str = "") -> bool:
        """Whether this lease may take the place of ``current``: there is none, it has
        lapsed (at this lease's ``renewed_at``), it is this holder's own (a renewal), or it is
        the one the caller found dead and names in ``steal``."""
        return (
            current is None
            or current.expires_at <= self.renewed_at
            or current.token == self.token
            or (bool(steal) and current.token == steal)
        )
