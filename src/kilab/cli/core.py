"""Core commands: validate configs, run one question, show a graph, write JSON Schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kilab.cli.output import console

if TYPE_CHECKING:
    from kilab.graphs.project import ExtraCheck


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(run)
    app.command()(schema)
    app.command()(state)
    graph_app = typer.Typer(help="Inspect graphs.", no_args_is_help=True)
    graph_app.command("show")(graph_show)
    app.add_typer(graph_app, name="graph")


def validate(
    paths: Annotated[list[Path], typer.Argument(help="Config files or folders.")],
) -> None:
    """Check every config under PATHS; report every problem with file:line:col."""
    from kilab.core.errors import ConfigError
    from kilab.graphs.project import find_root, load_project

    problems = []
    checked = 0
    for root in dict.fromkeys(find_root(p) for p in paths):
        try:
            project = load_project([root], root=root, extra_checks=_extra_checks())
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        checked += 1
        counts = {k: len(project.by_kind(k)) for k in ("pilot", "graph", "agent", "corpus")}
        summary = ", ".join(f"{n} {_plural(k, n)}" for k, n in counts.items())
        console.print(
            f"[green]✓[/green] {root}: {summary}, "
            f"{len(project.profile_names())} model profiles — all valid"
        )
    if problems:
        raise ConfigError(problems)


def _extra_checks() -> list[ExtraCheck]:
    try:
        from kilab.evals.validate import check_pilot
    except ImportError:
        return []
    return [check_pilot]


def run(
    pilot: Annotated[str, typer.Argument(help="Pilot name or path to its YAML.")],
    question: Annotated[str, typer.Option("--question", "-q", help="What to ask.")],
    variant: Annotated[str, typer.Option(help="Pilot variant.")] = "baseline",
    thread: Annotated[str | None, typer.Option(help="Thread id (default: a new one).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Answer one question through a pilot's graph; print answer, sources, verdict and path."""
    from kilab.graphs.checkpoints import ask
    from kilab.graphs.project import open_named

    project, name = open_named(pilot, "pilot")
    result = ask(project, name, question, variant=variant, thread_id=thread)
    paused = result.paused  # a human step waits: see 'kilab review'
    if as_json:
        print(
            json.dumps(
                {
                    "paused": paused,
                    "question": result.question,
                    "answer": result.answer,
                    "declined": result.declined,
                    "citations": result.citations,
                    "verdict": result.verdict,
                    "findings": result.findings,
                    "path": result.path,
                    "thread_id": result.thread_id,
                    "passages": [
                        {k: p[k] for k in ("id", "title", "url", "score")} for p in result.passages
                    ],
                    "usage": result.usage,
                    "errors": result.errors,
                    "latency_s": result.latency_s,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    from kilab.cli.render import print_result

    print_result(result)
    if paused:
        console.print(
            f"[yellow]Paused for review.[/yellow] Thread {result.thread_id} waits; "
            f"resume with: kilab review {result.thread_id} --approve | "
            '--revise "comment" | --reject'
        )


def state(
    thread: Annotated[str, typer.Argument(help="Thread id printed by 'kilab run'.")],
) -> None:
    """Print the checkpointed state of a thread, read back from the checkpointer."""
    from kilab.graphs.checkpoints import thread_values

    print(json.dumps(thread_values(thread), ensure_ascii=False, indent=2, default=str))


def graph_show(
    target: Annotated[str, typer.Argument(help="Graph or pilot: a name or a YAML path.")],
) -> None:
    """Print a graph as a Mermaid diagram."""
    from kilab.core.errors import NotFoundError
    from kilab.graphs.mermaid import to_mermaid
    from kilab.graphs.project import open_named, open_project

    path = Path(target)
    project = open_project(path if path.exists() else None)
    graph_name = target
    if path.is_file():
        for kind in ("graph", "pilot"):
            try:
                project, graph_name = open_named(target, kind)
            except NotFoundError:
                continue
            if kind == "pilot":
                graph_name = project.pilot(graph_name).graph
            break
    elif target in project.pilots:
        graph_name = project.pilot(target).graph
    print(to_mermaid(project.graph(graph_name)))


def schema(
    out: Annotated[Path, typer.Option(help="Folder for the schemas.")] = Path("configs/schemas"),
    check: Annotated[bool, typer.Option(help="Fail if the files on disk are stale.")] = False,
) -> None:
    """Write a JSON Schema per config kind (editors use them to complete and check YAML)."""
    from kilab.core.errors import UserError
    from kilab.graphs.schemas import schema_files

    stale = []
    for name, text in schema_files().items():
        target = out / name
        if check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(str(target))
            continue
        out.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        console.print(f"wrote {target}")
    if stale:
        raise UserError(f"stale JSON Schemas, run 'kilab schema': {', '.join(stale)}")


def _plural(kind: str, count: int) -> str:
    if count == 1:
        return kind
    return "corpora" if kind == "corpus" else f"{kind}s"
