"""``kilab pending`` and ``kilab review``: threads paused at a human step, from the CLI."""

from __future__ import annotations

import json
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("pending")(pending)
    app.command("review")(review)


CheckpointsOption = Annotated[
    str | None,
    typer.Option(
        "--checkpoints",
        help="Checkpointer: a SQLite file or a postgresql:// URL (default: KILAB_DATABASE_URL, "
        "else a PostgreSQL KILAB_RUNS, else $KILAB_HOME/checkpoints.sqlite).",
    ),
]


def pending(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    checkpoints: CheckpointsOption = None,
) -> None:
    """List threads waiting for a person's decision (read from the checkpointer)."""
    from dataclasses import asdict

    from kilab.cli.output import console
    from kilab.graphs.checkpoints import checkpoints_exist, checkpoints_location, open_checkpoints

    waiting = []
    where = checkpoints_location(checkpoints)
    if checkpoints_exist(where):
        from kilab.graphs.review import pending_threads

        with open_checkpoints(where, create=False) as saver:
            waiting = pending_threads(saver)
    if as_json:
        print(json.dumps([asdict(w) for w in waiting], ensure_ascii=False, indent=2))
        return
    if not waiting:
        console.print("No threads wait for review.")
        return
    from rich.table import Column, Table

    # The whole thread id, never cut: it is what 'kilab review' needs.
    thread = Column("thread", overflow="fold", min_width=32)
    table = Table(thread, "pilot", "variant", Column("since", min_width=16), "question")
    for w in waiting:
        table.add_row(w.thread_id, w.pilot, w.variant, w.updated[:16], w.question)
    console.print(table)


def review(
    thread: Annotated[str, typer.Argument(help="Thread id, as 'kilab pending' lists it.")],
    approve: Annotated[bool, typer.Option("--approve", help="Let the draft go out.")] = False,
    revise: Annotated[
        str | None, typer.Option("--revise", help="Send it back with this comment.")
    ] = None,
    reject: Annotated[bool, typer.Option("--reject", help="Stop it; nothing goes out.")] = False,
    reviewer: Annotated[str, typer.Option(help="Who decides (recorded).")] = "",
    show: Annotated[bool, typer.Option("--show", help="Print the draft and decide later.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    checkpoints: CheckpointsOption = None,
) -> None:
    """Resume a paused thread with a decision: --approve, --revise "comment" or --reject."""
    from kilab.cli.output import console
    from kilab.core.errors import UserError
    from kilab.graphs.checkpoints import open_checkpoints
    from kilab.graphs.review import decide, find_pending

    chosen = [
        a
        for a, on in (("approve", approve), ("revise", revise is not None), ("reject", reject))
        if on
    ]
    if len(chosen) != 1 and not show:
        raise UserError('give exactly one of --approve, --revise "comment" or --reject')
    with open_checkpoints(checkpoints, create=False) as saver:
        if show:
            waiting = find_pending(saver, thread)
            console.print(f"[bold]{waiting.prompt}[/bold]\n{waiting.question}\n")
            console.print(waiting.draft, markup=False)
            return
        reviewed = decide(saver, thread, chosen[0], revise or "", reviewer)
    result, paused = reviewed.result, reviewed.paused
    if as_json:
        print(
            json.dumps(
                {
                    "thread_id": thread,
                    "decision": reviewed.decision.model_dump(),
                    "paused": bool(paused),
                    "verdict": result.verdict,
                    "answer": result.answer,
                    "declined": result.declined,
                    "citations": result.citations,
                    "path": result.path,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if paused:
        console.print(f"Thread {thread} is waiting for review again (after revision).")
        console.print(f'Resume with: kilab review {thread} --approve | --revise "…" | --reject')
        return
    from kilab.cli.render import print_result

    print_result(result)
