"""What a node builder may ask for while a graph is compiled."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kilab.agents.profiles import ModelProfile
from kilab.core.errors import NotFoundError
from kilab.core.settings import settings
from kilab.graphs.project import Project
from kilab.graphs.specs import AgentSpec, VariantSpec
from kilab.tools.corpus import CorpusSource, source_from_config

OFFLINE = ModelProfile(provider="offline")


def default_cache_dir() -> Path:
    return settings().cache_dir


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
        sourced = self.project.get("agent", name)
        spec: AgentSpec = sourced.spec
        override = self.variant.agents.get(name)
        settings = {**spec.settings, **(node_settings or {})}
        model = spec.model
        if override is not None:
            settings.update(override.settings)
            model = override.model or model
        prompt = sourced.resolve(spec.prompt).read_text(encoding="utf-8") if spec.prompt else ""
        bound = spec.model_copy(update={"settings": settings, "model": model})
        return AgentBinding(name, bound, model, self.profile(model), prompt)

    def corpus_source(self, name: str) -> CorpusSource:
        """The resolved corpus a retrieval node searches (files and globs from its folder)."""
        sourced = self.project.get("corpus", name)
        spec = sourced.spec
        return source_from_config(
            spec.name, sourced.file.parent, spec.files, spec.include, spec.chunking, spec.index
        )
