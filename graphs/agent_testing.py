"""A tiny project for tests of tool-using agents: three documents, a researcher, a note writer
and a human step (like ``kilab.evals.testing``, it ships so that plugin tests can use it)."""

from __future__ import annotations

import json
from pathlib import Path

from kilab.graphs.context import BuildContext
from kilab.graphs.project import Project, load_project

DOCUMENTS = [
    {
        "id": "LOV-2025-01-01-1",
        "title": "Lov om endringer i karanteneloven",
        "text": "Lov om endringer i karanteneloven. Politikere har informasjonsplikt før de går "
        "over til ny stilling. Opplysningene skal gis senest tre uker før overgangen. "
        "Karantenenemnda kan ilegge saksforbud i inntil 18 måneder. "
        "Brudd på informasjonsplikten kan gi overtredelsesgebyr.",
        "url": "https://lovdata.no/LOV-2025-01-01-1",
        "date_published": "2025-01-01 10:00",
        "ministry": "Digitaliseringsdepartementet",
    },
    {
        "id": "FOR-2025-02-01-2",
        "title": "Ikraftsetting av endringene i karanteneloven",
        "text": "Endringene i karanteneloven trer i kraft 1. juli 2025. Reglene gjelder for "
        "overganger som skjer etter ikrafttredelsen.",
        "url": "https://lovdata.no/FOR-2025-02-01-2",
        "date_published": "2025-02-01 10:00",
        "ministry": "Digitaliseringsdepartementet",
    },
    {
        "id": "FOR-2025-03-01-3",
        "title": "Forskrift om fiske etter makrell",
        "text": "Det er forbudt å fiske makrell med garn i perioden. Fiskere må melde fangst.",
        "url": "https://lovdata.no/FOR-2025-03-01-3",
        "date_published": "2025-03-01 10:00",
        "ministry": "Nærings- og fiskeridepartementet",
    },
]


def write_project(
    folder: Path,
    model: str = "offline",
    max_steps: int = 6,
    token_budget: int = 20_000,
    mode: str = "tools",
) -> Project:
    """Write the tiny project under ``folder`` and load it."""
    data, configs = folder / "data", folder / "configs"
    for sub in ("corpora", "agents", "graphs", "prompts"):
        (configs / sub).mkdir(parents=True, exist_ok=True)
    data.mkdir(parents=True, exist_ok=True)
    (data / "tiny.jsonl").write_text(
        "\n".join(json.dumps(d, ensure_ascii=False) for d in DOCUMENTS), encoding="utf-8"
    )
    (configs / "models.yaml").write_text(
        "kind: models\nprofiles:\n  offline: {provider: offline}\n"
        "  wire: {provider: openai-compatible, model: m, base_url: 'http://llm.test/v1',"
        " api_key_env: KILAB_TEST_KEY, max_retries: 0, price_input_per_mtok: 1.0}\n",
        encoding="utf-8",
    )
    (configs / "corpora" / "tiny.yaml").write_text(
        "kind: corpus\nname: tiny\nfiles: [../../data/tiny.jsonl]\n", encoding="utf-8"
    )
    (configs / "prompts" / "researcher.md").write_text("Finn dokumentene.", encoding="utf-8")
    (configs / "agents" / "researcher.yaml").write_text(
        f"kind: agent\nname: researcher\nrole: researcher\nmodel: {model}\n"
        "prompt: ../prompts/researcher.md\ntools: [search, fetch, changes]\n"
        f"settings: {{corpus: tiny, search_mode: bm25, k: 3, max_steps: {max_steps},"
        f" token_budget: {token_budget}, mode: {mode}}}\n",
        encoding="utf-8",
    )
    (configs / "agents" / "note-writer.yaml").write_text(
        "kind: agent\nname: note-writer\nrole: composer\nmodel: offline\n", encoding="utf-8"
    )
    (configs / "graphs" / "notat.yaml").write_text(
        "kind: graph\nname: notat\nnodes:\n"
        "  research: {agent: researcher}\n  compose: {agent: note-writer}\n"
        "  approve: {tool: human-approval, with: {eval_policy: revise-once}}\n"
        "edges: [[START, research], [research, compose], [compose, approve]]\n"
        "routes:\n  approve: {approved: END, revise: compose, reject: END}\n"
        "limits: {compose: 3}\n",
        encoding="utf-8",
    )
    (configs / "pilots").mkdir(exist_ok=True)
    (configs / "notat.jsonl").write_text(
        json.dumps(
            {
                "id": "n-1",
                "question": "Lag et notat om endringene i karanteneloven",
                "gold_ids": ["LOV-2025-01-01-1"],
                "key_points": ["informasjonsplikt"],
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    (configs / "pilots" / "notat.yaml").write_text(
        "kind: pilot\nname: notat\ngraph: notat\ndataset: ../notat.jsonl\n"
        "metrics: [recall@5, key_points, structure, note_grounding, steps, tool_errors]\n",
        encoding="utf-8",
    )
    return load_project([configs], root=configs)


def context(folder: Path, project: Project) -> BuildContext:
    return BuildContext(project, cache_dir=folder / "cache")
