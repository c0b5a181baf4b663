"""Content hashes that key every result, and short readable run ids.

A result's key is the digest of (variant inputs, case, variant, repeat, code version). Two
computations with equal keys would produce the same result (up to a model's sampling), so
the harness never runs a key twice unless asked to (``--no-cache``).

What each part covers:

* variant inputs (``variant_hash``, from the resolved ``BuildContext``): the parts of the
  pilot that change a result (graph name, metric names, the variant's overrides), the graph
  spec, every agent node's bound spec with its prompt text and model profile, and every
  corpus with the fingerprint its index is stored under; the harness adds the judge's
  identity when a judge scores the run;
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
from kilab.graphs.context import BuildContext
from kilab.graphs.project import Project
from kilab.graphs.specs import PilotSpec

_CODE_PACKAGES = ("agents", "tools", "graphs", "evals/metrics")
_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: ids are read aloud and typed


def digest(value: Any) -> str:
    """SHA-256 of a JSON-able value in canonical form."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


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


def variant_hash(context: BuildContext, pilot: PilotSpec) -> str:
    """Digest of everything a variant's results depend on, read from its build context.

    The context has the variant's overrides applied already, so the key sees exactly what
    compiling sees: the graph, each agent node's bound spec, prompt text and model profile,
    and the fingerprint of every corpus of the project (the one its index is stored under,
    so a folder's documents count like listed files).
    """
    graph = context.project.graph(pilot.graph)
    agents = {
        node: {
            "agent": bound.name,
            "spec": bound.spec.model_dump(mode="json"),
            "prompt": hashlib.sha256(bound.prompt.encode()).hexdigest(),
            "profile": bound.profile.model_dump(mode="json"),
        }
        for node, bound in context.agents(graph).items()
    }
    corpora = {
        name: {
            "spec": context.project.corpus(name).model_dump(mode="json"),
            "fingerprint": context.corpus_fingerprint(name),
        }
        for name in sorted(context.project.corpora)
    }
    return digest(
        {
            # the parts of the pilot that change a result, not gates or descriptions: a new
            # threshold needs no new answers
            "pilot": {
                "graph": pilot.graph,
                "metrics": pilot.metrics,
                "variant": context.variant.model_dump(mode="json"),
            },
            "graph": graph.model_dump(mode="json", by_alias=True),
            "agents": agents,
            "corpora": corpora,
        }
    )


def config_hash(project: Project, pilot: PilotSpec) -> str:
    """Digest of the whole pilot spec and every variant's inputs, for run and promotion
    records (a resumed run must find it unchanged)."""
    return digest(
        {
            "pilot": pilot.model_dump(mode="json"),
            "variants": {
                name: variant_hash(BuildContext.for_pilot(project, pilot, name), pilot)
                for name in pilot.variants
            },
        }
    )


def result_key(*, variant_hash: str, case_hash: str, variant: str, repeat: int, code: str) -> str:
    """The content hash of one computation; every argument is itself a digest or a name
    (``case_hash``: ``Case.content_hash``)."""
    return digest(
        {
            "variant_hash": variant_hash,
            "case": case_hash,
            "variant": variant,
            "repeat": repeat,
            "code": code,
        }
    )


def new_run_id(pilot: str, now: datetime | None = None) -> str:
    """A short readable id: ``<pilot>-<yymmdd>-<4 chars>`` (``husleie-250611-k3x9``)."""
    stamp = (now or datetime.now(UTC)).strftime("%y%m%d")
    suffix = "".join(secrets.choice(_ALPHABET) for _ in range(4))
    return f"{pilot}-{stamp}-{suffix}"
