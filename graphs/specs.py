"""The config kinds, as pydantic models: what a YAML file may say, and nothing more.

Files refer to each other by name; the cross-file checks live in ``kilab.graphs.checks``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from kilab.agents.profiles import ModelProfile
from kilab.tools.settings import ChunkingSettings, IndexSettings

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Stage = Literal["experiment", "pilot", "production"]
Split = Literal["dev", "test"]
STAGES: tuple[Stage, ...] = ("experiment", "pilot", "production")
START, END = "START", "END"


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ModelsSpec(Spec):
    """``configs/models.yaml``: the model profiles, by name."""

    kind: Literal["models"]
    profiles: dict[Name, ModelProfile]


class AgentSpec(Spec):
    """A role (drafter, reviewer, judge …) bound to a model profile and a prompt."""

    kind: Literal["agent"]
    name: Name
    description: str = ""
    role: str = Field(description="A registered role: drafter, reviewer, judge …")
    model: str = Field("offline", description="Name of a profile in models.yaml.")
    prompt: str | None = Field(None, description="Prompt file, relative to this YAML file.")
    tools: list[str] = Field(default_factory=list, description="Registered tools it may call.")
    settings: dict[str, Any] = Field(default_factory=dict, description="The role's own settings.")


class CorpusSpec(Spec):
    """A set of documents to retrieve from."""

    kind: Literal["corpus"]
    name: Name
    description: str = ""
    files: list[str] = Field(min_length=1, description="Files or globs, relative to this YAML.")
    include: dict[str, list[str]] = Field(
        default_factory=dict, description="Keep only records whose field has one of these values."
    )
    chunking: ChunkingSettings = ChunkingSettings()
    index: IndexSettings = IndexSettings()
    attribution: str = ""


class NodeSpec(Spec):
    """One node of a graph: a registered tool or a named agent."""

    tool: str | None = None
    agent: str | None = None
    params: dict[str, Any] = Field(default_factory=dict, alias="with")

    @model_validator(mode="after")
    def _exactly_one(self) -> NodeSpec:
        if (self.tool is None) == (self.agent is None):
            raise ValueError("a node names exactly one of 'tool' or 'agent'")
        return self


class GraphSpec(Spec):
    """Nodes, edges, conditional routes and loop limits."""

    kind: Literal["graph"]
    name: Name
    description: str = ""
    nodes: dict[Name, NodeSpec] = Field(min_length=1)
    edges: list[tuple[str, str]] = Field(default_factory=list)
    routes: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="node → {outcome: next node}"
    )
    limits: dict[str, Annotated[int, Field(gt=0)]] = Field(
        default_factory=dict, description="node → most visits in one run"
    )


class AgentOverride(Spec):
    model: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)


class VariantSpec(Spec):
    """A variant overrides node parameters and agent settings of the pilot's graph."""

    description: str = ""
    nodes: dict[str, dict[str, Any]] = Field(default_factory=dict)
    agents: dict[str, AgentOverride] = Field(default_factory=dict)
    on_request: bool = Field(
        False, description="Left out of '--variants all' (it needs a model or endpoint set up)."
    )


class JudgeGateSpec(Spec):
    """A gate's demand on the judges whose scores it reads (``kilab judge calibrate``)."""

    min_kappa: float = Field(
        ge=-1.0, le=1.0, description="Lowest Cohen's κ against people's labels a judge may have."
    )


class GateSpec(Spec):
    """What a run must show before the pilot may enter a stage."""

    min_cases: int = Field(0, ge=0)
    min: dict[str, float] = Field(
        default_factory=dict, description="metric → lowest allowed lower 95 % CI bound"
    )
    max: dict[str, float] = Field(
        default_factory=dict, description="metric → highest allowed upper 95 % CI bound"
    )
    zero: list[str] = Field(default_factory=list, description="metrics that must be exactly 0")
    no_regression_vs: str | None = Field(
        None, description="'promoted' or a run id: no significant drop in any gated metric"
    )
    max_cost: float | None = Field(None, ge=0, description="Most the whole run may cost.")
    judge: JudgeGateSpec | None = Field(
        None, description="Every judge of the run calibrated: {min_kappa: 0.6}."
    )


class PassSpec(Spec):
    """What a passing case is: every rule whose metric applies to the case holds.

    Declared, it replaces the default (every scored metric's own pass mark, plus answer
    correctness where a case has a reference: ``fact_recall`` 1.0 where it lists facts,
    ``answer_f1`` at least 0.2 where it has only reference answers).
    """

    min: dict[str, float] = Field(
        default_factory=dict, description="metric → lowest value a passing case has"
    )
    max: dict[str, float] = Field(
        default_factory=dict, description="metric → highest value a passing case has"
    )


class DatasetSplits(Spec):
    """A pilot's data in two parts, written to two files before anything was tuned."""

    dev: str = Field(description="Tuning data (kilab tune reads only this), relative to the YAML.")
    test: str = Field(
        description="Held-out data: the pilot and production gates are judged on it alone."
    )


class PilotSpec(Spec):
    """A pilot case: a graph, a dataset, metrics, variants and gates."""

    kind: Literal["pilot"]
    name: Name
    description: str = ""
    graph: str
    dataset: str | DatasetSplits = Field(
        description="JSONL or YAML dataset relative to this YAML, or {dev: …, test: …}."
    )
    tune: dict[Name, str] = Field(
        default_factory=dict,
        description="Parameters kilab tune may sweep: name → NODE.PARAM or AGENT.SETTING.",
    )
    variants: dict[Name, VariantSpec] = Field(default_factory=lambda: {"baseline": VariantSpec()})
    metrics: list[str] = Field(default_factory=list)
    gates: dict[Stage, GateSpec] = Field(default_factory=dict)
    pass_: PassSpec | None = Field(
        None,
        alias="pass",
        description="What a passing case is (default: metrics' pass marks and correctness).",
    )

    @property
    def split(self) -> bool:
        """Whether the pilot declares dev and test data."""
        return isinstance(self.dataset, DatasetSplits)

    def dataset_files(self) -> dict[str, str]:
        """Each declared dataset file by its role: ``dataset`` alone, or ``dev`` and ``test``."""
        if isinstance(self.dataset, DatasetSplits):
            return {"dev": self.dataset.dev, "test": self.dataset.test}
        return {"dataset": self.dataset}


KINDS: dict[str, type[Spec]] = {
    "models": ModelsSpec,
    "agent": AgentSpec,
    "corpus": CorpusSpec,
    "graph": GraphSpec,
    "pilot": PilotSpec,
}
AnySpec = ModelsSpec | AgentSpec | CorpusSpec | GraphSpec | PilotSpec
