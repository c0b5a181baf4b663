"""The pilots' graphs for the LangGraph server (``langgraph dev``, LangGraph Studio).

``graph_factory(configs, pilot, variant)`` is the public factory: a function of no arguments
that the LangGraph server calls for a run and that returns the compiled graph of one pilot's
variant (``compiled_graph``), built from the project folder once and then reused. It is
compiled without a checkpointer (the server brings its own persistence) and carries the
graph's recursion limit.

``write_langgraph_config`` writes ``langgraph.json`` (one graph per pilot and variant) and the
small module it points at, whose variables are such factories (``kilab langgraph init``).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kilab.core.errors import UserError

MODULE = "kilab_graphs.py"
CONFIG = "langgraph.json"
_compiled: dict[tuple[Path, str, str], Any] = {}
_lock = threading.Lock()


def _build(configs: Path, pilot: str, variant: str) -> Any:
    from kilab.graphs.compiler import compile_pilot
    from kilab.graphs.project import open_project

    compiled = compile_pilot(open_project(configs), pilot, variant)
    return compiled.graph.with_config(recursion_limit=compiled.recursion_limit)


def compiled_graph(configs: str | Path, pilot: str, variant: str = "baseline") -> Any:
    """The compiled graph of ``pilot``'s ``variant`` in the project at ``configs``, built once
    per process (the server may import the module of the factories once per graph)."""
    key = (Path(configs).resolve(), pilot, variant)
    with _lock:
        if key not in _compiled:
            _compiled[key] = _build(*key)
        return _compiled[key]


def graph_factory(
    configs: str | Path, pilot: str, variant: str = "baseline"
) -> Callable[[], Awaitable[Any]]:
    """The LangGraph server's factory of ``compiled_graph(configs, pilot, variant)``.

    Asynchronous, and compiling in a worker thread: compiling reads configs and indexes from
    disk, which the development server refuses on its event loop.
    """

    async def graph() -> Any:
        return await asyncio.to_thread(compiled_graph, configs, pilot, variant)

    graph.__name__ = graph.__qualname__ = _variable(pilot, variant)
    graph.__doc__ = f"The compiled graph of pilot {pilot!r}, variant {variant!r}."
    return graph


@dataclass(frozen=True, slots=True)
class StudioGraph:
    """One entry of ``langgraph.json``: a graph id and the variable of its factory."""

    id: str
    pilot: str
    variant: str

    @property
    def variable(self) -> str:
        return _variable(self.pilot, self.variant)


def _variable(pilot: str, variant: str) -> str:
    def word(name: str) -> str:
        return re.sub(r"\W", "_", name)

    return f"{word(pilot)}__{word(variant)}"


def studio_graphs(configs: Path, *, on_request: bool = False) -> list[StudioGraph]:
    """Every pilot × variant of the project (variants run on request only when asked: they
    need a model or an endpoint set up first)."""
    from kilab.graphs.project import open_project

    project = open_project(configs)
    graphs = [
        StudioGraph(f"{pilot}-{variant}", pilot, variant)
        for pilot in sorted(project.pilots)
        for variant, spec in project.pilot(pilot).variants.items()
        if on_request or not spec.on_request
    ]
    seen: dict[str, StudioGraph] = {}
    for graph in graphs:
        if graph.variable in seen:
            raise UserError(
                f"pilot/variant {graph.pilot}/{graph.variant} and "
                f"{seen[graph.variable].pilot}/{seen[graph.variable].variant} "
                f"give the same Python name {graph.variable!r}: rename one"
            )
        seen[graph.variable] = graph
    return graphs


def write_langgraph_config(
    configs: Path, folder: Path, *, on_request: bool = False, force: bool = False
) -> tuple[Path, Path, list[StudioGraph]]:
    """Write ``langgraph.json`` and its module into ``folder``.

    Returns:
        (the config file, the module, the graphs).

    Raises:
        UserError: A file is there already and ``force`` is not set.
    """
    graphs = studio_graphs(configs, on_request=on_request)
    config_file, module_file = folder / CONFIG, folder / MODULE
    if not force:
        for file in (config_file, module_file):
            if file.exists():
                raise UserError(f"{file} exists (pass --force to overwrite it)")
    folder.mkdir(parents=True, exist_ok=True)
    relative = Path(os.path.relpath(configs.resolve(), folder.resolve())).as_posix()
    lines = [
        '"""The kilab pilots for `langgraph dev` and LangGraph Studio (written by',
        "`kilab langgraph init`; run it again after adding a pilot or variant).",
        "",
        "Each variable is a factory the LangGraph server calls for a run; it compiles the",
        'pilot\'s graph from the project folder once."""',
        "",
        "from pathlib import Path",
        "",
        "from kilab.graphs.studio import graph_factory",
        "",
        f"CONFIGS = Path(__file__).resolve().parent / {json.dumps(relative)}",
        "",
        *(
            f"{g.variable} = graph_factory(CONFIGS, {json.dumps(g.pilot)}, {json.dumps(g.variant)})"
            for g in graphs
        ),
        "",
    ]
    module_file.write_text("\n".join(lines), encoding="utf-8")
    config = {
        "dependencies": ["."],
        "graphs": {g.id: f"./{MODULE}:{g.variable}" for g in graphs},
    }
    config_file.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return config_file, module_file, graphs
