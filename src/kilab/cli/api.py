"""``kilab api serve | keys | usage``, ``kilab feedback export`` and ``kilab db upgrade``.

Where the state lives: ``KILAB_DATABASE_URL=postgresql://…`` puts keys, audit, feedback, the
checkpoints (and, with ``--store`` set to the same URL, runs) in PostgreSQL; without it, SQLite
files under ``KILAB_HOME`` (``service.sqlite`` and the ``checkpoints.sqlite`` that ``kilab
run``, ``kilab review`` and the viewer use).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

api_app = typer.Typer(help="The shared service: OpenAI-compatible endpoints for promoted pilots.")
keys_app = typer.Typer(help="Tenants' API keys (printed once, stored as a hash).")
feedback_app = typer.Typer(help="What staff said about the service's answers.")
db_app = typer.Typer(help="The PostgreSQL database of the service and the run store.")


def register(app: typer.Typer) -> None:
    app.add_typer(api_app, name="api")
    api_app.add_typer(keys_app, name="keys")
    api_app.command("serve")(serve)
    api_app.command("usage")(usage)
    keys_app.command("create")(keys_create)
    keys_app.command("revoke")(keys_revoke)
    keys_app.command("list")(keys_list)
    app.add_typer(feedback_app, name="feedback")
    feedback_app.command("export")(feedback_export)
    app.add_typer(db_app, name="db")
    db_app.command("upgrade")(db_upgrade)


def _store() -> object:
    from kilab.api.store import ServiceStore, service_location

    return ServiceStore(service_location())


def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port.")] = 8000,
    stage: Annotated[
        str, typer.Option(help="Serve pilots promoted to this stage or a later one.")
    ] = "pilot",
    pilot: Annotated[
        list[str] | None, typer.Option("--pilot", help="Only these pilots (repeatable).")
    ] = None,
    allow_changed: Annotated[
        bool,
        typer.Option(
            "--allow-changed",
            help="Serve a pilot whose config, dataset or code differs from its promotion "
            "record (answers then say so).",
        ),
    ] = False,
    configs: Annotated[Path | None, typer.Option(help="Config folder (default ./configs).")] = None,
    log: Annotated[Path | None, typer.Option("--log", help="Promotion log (JSONL).")] = None,
    replica: Annotated[str, typer.Option(help="This replica's name in the audit log.")] = "",
) -> None:
    """Serve the promoted pilots as OpenAI-compatible chat models (Ctrl-C to stop)."""
    import uvicorn

    from kilab.api.app import ServiceConfig, create_app
    from kilab.api.serving import served_pilots
    from kilab.api.store import service_location
    from kilab.cli.evals import parse_stage
    from kilab.cli.output import console
    from kilab.core.settings import settings
    from kilab.evals.promotion import PromotionLog
    from kilab.graphs.project import open_project

    chosen = parse_stage(stage)
    assert chosen is not None
    project = open_project(configs)
    current = settings()
    served = served_pilots(
        project,
        PromotionLog(log or current.promotions),
        chosen,
        only=pilot or (),
        allow_changed=allow_changed,
    )
    options = {"replica": replica} if replica else {}
    config = ServiceConfig(
        project=project,
        served=served,
        store=service_location(),
        checkpoints=current.database_url or str(current.checkpoints),
        **options,  # type: ignore[arg-type]
    )
    for item in served:
        note = f" [yellow](changed: {'; '.join(item.changed)})[/yellow]" if item.changed else ""
        console.print(
            f"serving [bold]{item.name}[/bold] ({item.stage}, {item.variant}, "
            f"record {item.record.seq} {item.record.hash[:12]}…){note}"
        )
    where = "PostgreSQL" if current.database_url else f"SQLite under {current.home}"
    console.print(f"kilab api on http://{host}:{port}/v1 (state in {where}; Ctrl-C to stop)")
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning")


def keys_create(
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant (a ministry).")],
    pilots: Annotated[
        str, typer.Option(help="Pilots the tenant may use, separated by commas, or '*'.")
    ] = "*",
    rate: Annotated[int, typer.Option(min=1, help="Requests a minute for this key.")] = 60,
    concurrency: Annotated[int, typer.Option(min=1, help="Requests in flight at once.")] = 4,
    reviewer: Annotated[
        bool, typer.Option("--reviewer", help="May approve, revise or reject paused threads.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create an API key for a tenant; the key is printed once and stored only as a hash."""
    from kilab.api.store import ServiceStore

    store = _store()
    assert isinstance(store, ServiceStore)
    try:
        key, secret = store.create_key(
            tenant,
            pilots=[p.strip() for p in pilots.split(",") if p.strip()] or ["*"],
            rate_per_minute=rate,
            concurrency=concurrency,
            reviewer=reviewer,
        )
    finally:
        store.close()
    if as_json:
        print(json.dumps({**key.model_dump(mode="json"), "key": secret}, indent=2))
        return
    print(secret)
    typer.echo(
        f"key {key.id} for tenant {key.tenant} (pilots {', '.join(key.pilots)}, "
        f"{key.rate_per_minute}/min, {key.concurrency} at once). It is shown only now.",
        err=True,
    )


def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id (kl_ID_…).")]) -> None:
    """Revoke a key at once, on every replica."""
    from kilab.api.store import ServiceStore
    from kilab.cli.output import console

    store = _store()
    assert isinstance(store, ServiceStore)
    try:
        key = store.revoke_key(key_id.removeprefix("kl_").split("_")[0])
    finally:
        store.close()
    console.print(f"revoked key {key.id} of tenant {key.tenant}")


def keys_list(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the keys (never their secrets)."""
    from rich.table import Table

    from kilab.api.store import ServiceStore
    from kilab.cli.output import console

    store = _store()
    assert isinstance(store, ServiceStore)
    try:
        found = store.list_keys(tenant)
    finally:
        store.close()
    if as_json:
        print(json.dumps([k.model_dump(mode="json") for k in found], indent=2))
        return
    table = Table("id", "tenant", "pilots", "rate/min", "at once", "reviewer", "revoked")
    for key in found:
        table.add_row(
            key.id,
            key.tenant,
            ",".join(key.pilots),
            str(key.rate_per_minute),
            str(key.concurrency),
            "yes" if key.reviewer else "",
            key.revoked_at.strftime("%Y-%m-%d %H:%M") if key.revoked_at else "",
        )
    console.print(table)


def usage(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Requests, errors, tokens and cost per tenant, from the audit log."""
    from rich.table import Table

    from kilab.api.store import ServiceStore
    from kilab.cli.output import console

    store = _store()
    assert isinstance(store, ServiceStore)
    try:
        rows = store.usage()
    finally:
        store.close()
    if as_json:
        print(json.dumps([r.model_dump() for r in rows], indent=2))
        return
    table = Table("tenant", "requests", "errors", "input tokens", "output tokens", "cost")
    for row in rows:
        table.add_row(
            row.tenant,
            str(row.requests),
            str(row.errors),
            str(row.input_tokens),
            str(row.output_tokens),
            f"{row.cost:.4f}",
        )
    console.print(table)


def feedback_export(
    pilot: Annotated[str, typer.Argument(help="The pilot whose rated-down answers to export.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="JSONL file (default: print).")
    ] = None,
) -> None:
    """Write the rated-down answers as dataset cases (question, answer given, comment)."""
    from kilab.api.feedback import export_lines
    from kilab.api.store import ServiceStore

    store = _store()
    assert isinstance(store, ServiceStore)
    try:
        lines = export_lines(store, pilot)
    finally:
        store.close()
    text = "".join(line + "\n" for line in lines)
    if output is None:
        print(text, end="")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    typer.echo(f"{len(lines)} cases written to {output}", err=True)


def db_upgrade(
    url: Annotated[
        str | None, typer.Option(help="Database URL (default: KILAB_DATABASE_URL).")
    ] = None,
) -> None:
    """Apply the missing schema migrations: run store, service tables and checkpoints."""
    import asyncio

    from kilab.api.checkpoints import upgrade_checkpoints
    from kilab.api.database import upgrade_postgres
    from kilab.api.schema import COMPONENT, migrations
    from kilab.cli.output import console
    from kilab.core.errors import UserError
    from kilab.core.settings import settings
    from kilab.evals.store import is_postgres_url
    from kilab.evals.store.postgres import upgrade_schema

    target = url or settings().database_url
    if not is_postgres_url(target):
        raise UserError(
            "set KILAB_DATABASE_URL=postgresql://… (or --url); the SQLite files of the "
            "embedded default are migrated when they are opened"
        )
    applied = upgrade_schema(target)
    applied += upgrade_postgres(target, COMPONENT, migrations("postgresql"))
    asyncio.run(upgrade_checkpoints(target))
    if applied:
        for migration in applied:
            console.print(f"applied {migration.version}: {migration.name}")
    else:
        console.print("the run store and service tables are up to date")
    console.print("checkpoint tables are up to date")
