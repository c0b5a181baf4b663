"""``kilab langgraph init``: open the pilots in ``langgraph dev`` and LangGraph Studio."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kilab.cli.output import console


def register(app: typer.Typer) -> None:
    langgraph_app = typer.Typer(help="LangGraph server and Studio.", no_args_is_help=True)
    langgraph_app.command("init")(init)
    app.add_typer(langgraph_app, name="langgraph")


def init(
    configs: Annotated[Path | None, typer.Option(help="Config folder (default ./configs).")] = None,
    out: Annotated[Path, typer.Option(help="Folder for langgraph.json and its module.")] = Path(),
    on_request: Annotated[
        bool, typer.Option("--on-request", help="Also the variants run on request only.")
    ] = False,
    force: Annotated[bool, typer.Option(help="Overwrite files written before.")] = False,
) -> None:
    """Write langgraph.json (one graph per pilot and variant) and the module it points at,
    so that `langgraph dev` serves the pilots and Studio opens them with an input form."""
    from kilab.graphs.project import find_root
    from kilab.graphs.studio import write_langgraph_config

    root = find_root(configs or Path("configs"))
    config, module, graphs = write_langgraph_config(root, out, on_request=on_request, force=force)
    console.print(f"wrote {config} and {module}: {len(graphs)} graphs", markup=False)
    for graph in graphs:
        console.print(f"  {graph.id}", markup=False)
    console.print(
        "then: pip install 'langgraph-cli[inmem]' && langgraph dev  (serves on 127.0.0.1)",
        markup=False,
    )
