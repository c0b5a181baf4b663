"""What a node builder may ask for while a graph is compiled: the resolved build context.

A pilot's variant is resolved here once (overrides applied, model profiles looked up,
corpora resolved); compiling and the result keys of the evaluation harness both read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kilab.agents.profiles import ModelProfile
from kilab.core.errors import NotFoundError, suggesting
from kilab.core.settings import settings
from kilab.core.textfiles import read_utf8
from kilab.graphs.corpora import corpus_source
from kilab.graphs.project import Project
from kilab.graphs.specs import AgentSpec, GraphSpec, PilotSpec, VariantSpec
from kilab.tools.corpus import CorpusSource
from kilab.tools.retrieval.store import corpus_key

OFFLINE = ModelProfile(provider="offline")


def default_cache_dir() -> Path:
    return settings().cache_dir


def variant_of(pilot: PilotSpec, variant: str) -> VariantSpec:
    """A pilot's variant by name, or NotFoundError with a suggestion."""
    if variant not in pilot.variants:
        message = f"pilot {pilot.name!r} has no variant {variant!r}"
        raise NotFoundError(suggesting(message, variant, pilot.variants, "variants"))
    return pilot.variants[variant]


@dataclass(frozen=True, slots=True)
class AgentBinding:
    """An agent with its variant's overrides applied and its model profile resolved."""

    name: str
    spec: AgentSpec
    profile_name: str
    profile: ModelProfile
    prompt: str


@dataclass(slots=True)
class BuildContext:
    """The project, the variant and the shared resources of one compilation."""

    project: Project
    variant_name: str = "baseline"
    variant: VariantSpec = field(default_factory=VariantSpec)
    cache_dir: Path = field(default_factory=default_cache_dir)
    use_cache: bool = True

    @classmethod
    def for_pilot(
        cls,
        project: Project,
        pilot: PilotSpec,
        variant: str = "baseline",
        *,
        cache_dir: Path | None = None,
        use_cache: bool = True,
    ) -> BuildContext:
        """The context of one of a pilot's variants (NotFoundError for an unknown one)."""
        spec = variant_of(pilot, variant)
        return cls(project, variant, spec, cache_dir or default_cache_dir(), use_cache)

    def profile(self, name: str) -> ModelProfile:
        models = self.project.models
        if models is None:
            if name == "offline":
                return OFFLINE
            raise NotFoundError(f"no models.yaml declares profile {name!r}")
        if name not in models.spec.profiles:
            raise NotFoundError(f"no model profile named {name!r}")
        return models.spec.profiles[name]

    def agent(self, name: str, node_settings: dict[str, Any] | None = None) -> AgentBinding:
        """An agent with node and variant overrides applied (the variant wins)."""
        spec = self.project.agent(name)
        override = self.variant.agents.get(name)
        settings = {**spec.settings, **(node_settings or {})}
        model = spec.model
        if override is not None:
            settings.update(override.settings)
            model = override.model or model
        prompt_file = self.project.prompt_path(name)
        prompt = read_utf8(prompt_file, "prompt file") if prompt_file else ""
        bound = spec.model_copy(update={"settings": settings, "model": model})
        return AgentBinding(name, bound, model, self.profile(model), prompt)

    def agents(self, graph: GraphSpec) -> dict[str, AgentBinding]:
        """The bound agent of every agent node of a graph, by node name."""
        return {
            node_name: self.agent(node.agent, node.params)
            for node_name, node in graph.nodes.items()
            if node.agent
        }

    def tool_params(self, graph: GraphSpec, node: str) -> dict[str, Any]:
        """A tool node's parameters with the variant's overrides applied (the variant wins)."""
        return {**graph.nodes[node].params, **self.variant.nodes.get(node, {})}

    def corpus_source(self, name: str) -> CorpusSource:
        """The resolved corpus a retrieval node searches (files and globs from its folder)."""
        return corpus_source(self.project.corpus(name), self.project.corpus_folder(name))

    def corpus_fingerprint(self, name: str) -> str:
        """The digest its index is stored under: every document's contents (folders walked),
        the record filter and the settings; ``missing: …`` while a file does not exist."""
        try:
            return corpus_key(self.corpus_source(name))
        except FileNotFoundError as exc:
            return f"missing: {exc}"
