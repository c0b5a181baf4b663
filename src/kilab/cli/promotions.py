"""Promotion commands: promote a run's variant, list the history, verify the log's chain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kilab.cli.eval_report import print_decision
from kilab.cli.evals import (
    DEFAULT_LOG,
    LogOption,
    open_pilot,
    parse_stage,
)
from kilab.cli.options import DEFAULT_STORE, StoreOption
from kilab.cli.output import console, error_console

if TYPE_CHECKING:
    from kilab.evals.records import LogHead


def promote(
    pilot: Annotated[str, typer.Argument(help="Pilot name or path to its YAML.")],
    to: Annotated[str, typer.Option("--to", help="Stage: experiment, pilot or production.")],
    run: Annotated[str, typer.Option("--run", help="Run id, prefix or 'latest'.")] = "latest",
    variant: Annotated[str | None, typer.Option(help="Variant to promote.")] = None,
    store: StoreOption = DEFAULT_STORE,
    log: LogOption = DEFAULT_LOG,
) -> None:
    """Promote a run's variant to a stage if its gate passes; append a hash-chained record."""
    from kilab.evals.decisions import promote as do_promote
    from kilab.evals.promotion import PromotionLog
    from kilab.evals.store import open_store

    project, name = open_pilot(pilot)
    stage = parse_stage(to)
    assert stage is not None
    run_store = open_store(store)
    try:
        record, decision = do_promote(
            project, run_store, PromotionLog(log), name, stage, run, variant
        )
    finally:
        run_store.close()
    print_decision(decision, record.run_id)
    console.print(
        f"[green]promoted[/green] {name} → [bold]{stage}[/bold] with "
        f"{record.run_id}/{record.variant} (record {record.seq}, "
        f"hash {record.hash[:16]}…) in {log}"
    )


def _kept_head(log: Path, store: str) -> LogHead | None:
    """The head the run store keeps for the log (None: no store, or nothing kept)."""
    from kilab.evals.promotion import PromotionLog
    from kilab.evals.store import open_existing_store

    run_store = open_existing_store(store)
    if run_store is None:
        return None
    try:
        return run_store.log_head(PromotionLog(log).log_id)
    finally:
        run_store.close()


def history(
    pilot: Annotated[str | None, typer.Argument(help="Pilot name (default: every pilot).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    log: LogOption = DEFAULT_LOG,
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """List a pilot's promotions, oldest first, with the log's head (sequence number and hash)
    as the file has it and as the run store keeps it."""
    from rich import box
    from rich.table import Table

    from kilab.evals.promotion import PromotionLog

    promotion_log = PromotionLog(log)
    records = promotion_log.records(pilot)
    head, kept = promotion_log.head_record(), _kept_head(log, store)
    if as_json:
        print(
            json.dumps([r.model_dump(mode="json") for r in records], ensure_ascii=False, indent=2)
        )
        return
    if not records:
        console.print(f"no promotions{' of ' + pilot if pilot else ''} in {log}")
        if kept is not None and kept.seq:
            console.print(_head_line("the run store's head", kept))
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    columns = [
        "#",
        "when (UTC)",
        *([] if pilot else ["pilot"]),
        "stage",
        "run",
        "variant",
        "by",
        "gate",
        "hash",
    ]
    for column in columns:
        table.add_column(column, no_wrap=column in ("run", "when (UTC)", "stage"))
    for r in records:
        passed = sum(rule.passed for rule in r.gate)
        table.add_row(
            str(r.seq),
            r.at.strftime("%Y-%m-%d %H:%M"),
            *([] if pilot else [r.pilot]),
            r.stage,
            r.run_id,
            r.variant,
            r.by,
            f"{passed}/{len(r.gate)}",
            r.hash[:8],
        )
    console.print(table)
    console.print(_head_line("head", head))
    if kept is None:
        console.print(f"the run store {store} keeps no head for this log")
    elif (kept.seq, kept.hash) != (head.seq, head.hash):
        console.print(f"[red]{_head_line('the run store head', kept)}: differs[/red]")
    else:
        console.print(f"the run store {store} keeps the same head")
    console.print("(keep the head elsewhere too; kilab verify-log --head HASH checks it)")


def _head_line(what: str, head: LogHead) -> str:
    return f"{what}: record {head.seq}, hash {head.hash}"


def verify_log(
    head: Annotated[str | None, typer.Option(help="Expected hash of the last record.")] = None,
    log: LogOption = DEFAULT_LOG,
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Check the promotion log: its hash chain, its signatures (with KILAB_LOG_KEY) and its
    end against the head the run store keeps; exit 1 when anything was changed."""
    from kilab.evals.promotion import PromotionLog
    from kilab.evals.store import open_existing_store

    promotion_log = PromotionLog(log)
    run_store = open_existing_store(store)
    try:
        kept = run_store.log_head(promotion_log.log_id) if run_store else None
        if not log.exists() and kept is None:
            console.print(f"no promotion log at {log} (nothing to verify)")
            return
        problems = promotion_log.verify(head, heads=run_store)
    finally:
        if run_store is not None:
            run_store.close()
    if problems:
        for problem in problems:
            error_console.print(f"[red]✗[/red] {log}:{problem}", soft_wrap=True)
        error_console.print(
            f"{len(problems)} problem{'s' if len(problems) != 1 else ''}: "
            "the log was changed after it was written"
        )
        raise SystemExit(1)  # typer.Exit is swallowed by app(standalone_mode=False)
    count = len(promotion_log.records())
    if promotion_log.unchecked_signatures():
        signed = "signatures not checked"
    else:
        signed = "signatures valid" if promotion_log.key and count else "unsigned"
    console.print(
        f"[green]✓[/green] {log}: {count} record{'s' if count != 1 else ''}, "
        f"chain intact, {signed}, head {promotion_log.head()}"
        + (", as the run store keeps it" if kept else ""),
        soft_wrap=True,
    )
    if promotion_log.unchecked_signatures():
        error_console.print(
            "[yellow]warning[/yellow] the records are signed but KILAB_LOG_KEY is unset: "
            "their signatures were not checked"
        )
    elif kept is None and count:
        error_console.print(
            f"[yellow]warning[/yellow] the run store {store} keeps no head for this log: "
            "a removed last record would not show (pass --store, or --head HASH)"
        )
