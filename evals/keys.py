"""Content hashes that key every result, and short readable run ids.

A result's key is the digest of (pilot config, graph, case, variant, repeat, model profile,
code version). Two computations with equal keys would produce the same result (up to a
model's sampling), so the harness never runs a key twice unless asked to (``--no-cache``).

What each part covers:

* pilot config: the parts of the pilot that change a result: graph name, metric names and
  the variant's overrides (not gates or descriptions: a new threshold needs no new answers);
* graph: the graph spec, every agent spec it names (with its prompt file's text) and every
  corpus spec (with a digest of the corpus files);
* model profile: the profiles the agents use after the variant's overrides;
* code version: kilab's version and a digest of the code that produces answers and scores.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import kilab
from kilab.evals.datasets import Case
from kilab.graphs.project import Project

_CODE_PACKAGES = ("agents", "tools", "graphs", "evals/metrics")
_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: ids are read aloud and typed


def digest(value: Any) -> str:
    """SHA-256 of a JSON-able value in canonical form."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


@lru_cache(maxsize=1)
def code_version() -> str:
    """``<version>+<digest of the answering and scoring code>``, computed once a process."""
    root = Path(kilab.__file__).parent  # the installed package: a wheel or the editable link tree
    sha = hashlib.sha256()
    for package in _CODE_PACKAGES:
        for file in sorted((root / package).rglob("*.py")):
            sha.update(file.relative_to(root).as_posix().encode())
            sha.update(file.read_bytes())
    return f"{kilab.__version__}+{sha.hexdigest()[:12]}"


def _agent_part(project: Project, name: str) -> dict[str, Any]:
    sourced = project.agents.get(name)
    if sourced is None:
        return {"missing": name}
    part: dict[str, Any] = {"spec": sourced.spec.model_dump(mode="json")}
    if sourced.spec.prompt:
        prompt = sourced.resolve(sourced.spec.prompt)
        part["prompt"] = _file_digest(prompt) if prompt.exists() else "missing"
    return part


def _corpus_part(project: Project, name: str) -> dict[str, Any]:
    sourced = project.corpora[name]
    files = sorted(p for pattern in sourced.spec.files for p in sourced.file.parent.glob(pattern))
    return {
        "spec": sourced.spec.model_dump(mode="json"),
        "files": {p.name: _file_digest(p) for p in files if p.is_file()},
    }


def graph_hash(project: Project, graph: str) -> str:
    """Digest of a graph, the agents it names and every corpus of the project."""
    spec = project.get("graph", graph).spec
    agents = sorted({node.agent for node in spec.nodes.values() if node.agent})
    return digest(
        {
            "graph": spec.model_dump(mode="json", by_alias=True),
            "agents": {name: _agent_part(project, name) for name in agents},
            "corpora": {name: _corpus_part(project, name) for name in sorted(project.corpora)},
        }
    )


def profile_hash(project: Project, pilot: str, variant: str) -> str:
    """Digest of the model profiles a variant's agents use."""
    pilot_spec = project.get("pilot", pilot).spec
    graph = project.get("graph", pilot_spec.graph).spec
    overrides = pilot_spec.variants[variant].agents
    profiles: dict[str, Any] = {}
    for node in graph.nodes.values():
        if not node.agent or node.agent not in project.agents:
            continue
        override = overrides.get(node.agent)
        name = (
            override.model if override and override.model else project.agents[node.agent].spec.model
        )
        known = project.models.spec.profiles if project.models else {}
        profiles[node.agent] = known[name].model_dump(mode="json") if name in known else name
    return digest(profiles)


def pilot_hash(project: Project, pilot: str, variant: str) -> str:
    """Digest of the parts of a pilot that change a variant's results."""
    spec = project.get("pilot", pilot).spec
    return digest(
        {
            "graph": spec.graph,
            "metrics": spec.metrics,
            "variant": spec.variants[variant].model_dump(mode="json"),
        }
    )


def config_hash(project: Project, pilot: str) -> str:
    """Digest of the whole pilot spec and its graph, for run and promotion records."""
    spec = project.get("pilot", pilot).spec
    return digest({"pilot": spec.model_dump(mode="json"), "graph": graph_hash(project, spec.graph)})


def result_key(
    *, pilot: str, graph: str, case: Case, variant: str, repeat: int, profile: str, code: str
) -> str:
    """The content hash of one computation; every argument is itself a digest or a name."""
    return digest(
        {
            "pilot": pilot,
            "graph": graph,
            "case": case.content_hash(),
            "variant": variant,
            "repeat": repeat,
            "profile": profile,
            "code": code,
        }
    )


def new_run_id(pilot: str, now: datetime | None = None) -> str:
    """A short readable id: ``<pilot>-<yymmdd>-<4 chars>`` (``husleie-250611-k3x9``)."""
    stamp = (now or datetime.now(UTC)).strftime("%y%m%d")
    suffix = "".join(secrets.choice(_ALPHABET) for _ in range(4))
    return f"{pilot}-{stamp}-{suffix}"
