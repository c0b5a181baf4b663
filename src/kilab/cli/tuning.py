"""``kilab tune`` (sweep one declared parameter of a pilot over its dev data) and
``kilab split-dataset`` (write the dev and test files once, before tuning): parse, call, print."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kilab.cli.evals import open_pilot
from kilab.cli.options import DEFAULT_STORE, StoreOption
from kilab.cli.output import console


def register(app: typer.Typer) -> None:
    app.command()(tune)
    app.command("split-dataset")(split_dataset)


def split_dataset(
    sources: Annotated[list[Path], typer.Argument(help="Dataset files to split.", exists=True)],
    dev: Annotated[Path, typer.Option(help="Where the dev cases go.")],
    test: Annotated[Path, typer.Option(help="Where the test cases go.")],
    test_fraction: Annotated[float, typer.Option(help="Share of each stratum for test.")] = 0.4,
    seed: Annotated[int, typer.Option(help="Seed of the draw.")] = 0,
    held_out: Annotated[
        list[Path] | None,
        typer.Option(help="A dataset file whose cases all go to test (repeatable).", exists=True),
    ] = None,
) -> None:
    """Split datasets into dev and test, stratified by law chapter (and declines), seeded."""
    from collections import Counter

    from kilab.evals.splitting import chapter_stratum, split_files

    split = split_files(
        sources, dev=dev, test=test, test_fraction=test_fraction, seed=seed,
        held_out=held_out or [],
    )  # fmt: skip
    for name, part, path in (("dev", split.dev, dev), ("test", split.test, test)):
        strata = Counter(chapter_stratum(c) for c in part)
        shown = ", ".join(f"{k}: {v}" for k, v in sorted(strata.items()))
        console.print(f"{name}: {len(part)} cases → {path} ({shown})")


def tune(
    pilot: Annotated[str, typer.Argument(help="Pilot name or path to its YAML.")],
    param: Annotated[
        str,
        typer.Option(
            "--param", help="NAME=LOW..HIGH:STEP or NAME=A,B,C, NAME declared under 'tune:'."
        ),
    ],
    metric: Annotated[str, typer.Option(help="The metric whose mean picks the best value.")],
    variant: Annotated[str, typer.Option(help="The variant the values are applied to.")] = (
        "baseline"
    ),
    repeats: Annotated[int, typer.Option(min=1, help="Runs of each case and value.")] = 1,
    concurrency: Annotated[int, typer.Option(min=1, help="Cases in flight at once.")] = 8,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap and the case order.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the table as JSON.")] = False,
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Run the pilot once per value on its dev data (never test); print each value's metrics
    and the best value."""
    import asyncio

    from rich import box
    from rich.table import Table

    from kilab.cli.eval_report import Progress
    from kilab.evals.harness import EvalOptions
    from kilab.evals.metrics.display import format_value
    from kilab.evals.store import open_store
    from kilab.evals.tuning import Sweep, atune, metric_names

    project, name = open_pilot(pilot)
    sweep = Sweep.parse(param)
    options = EvalOptions(repeats=repeats, concurrency=concurrency, seed=seed)
    run_store = open_store(store)
    progress = Progress()
    try:
        with progress.bar:
            result = asyncio.run(
                atune(
                    project, name, run_store, sweep, metric, base=variant, options=options,
                    progress=progress,
                )
            )  # fmt: skip
    finally:
        run_store.close()
    metrics = [m for m in metric_names(result) if not m.startswith(("latency", "tokens", "cost"))]
    if as_json:
        rows: list[dict[str, object]] = [
            {
                "value": row.value,
                "variant": row.variant,
                **{m: result.mean(row, m) for m in metrics},
            }
            for row in result.rows
        ]
        body = {
            "run": result.report.run.id,
            "dataset": result.report.run.dataset,
            "split": result.report.run.split,
            "param": sweep.name,
            "target": result.target,
            "metric": metric,
            "best": None if result.best is None else result.best.value,
            "rows": rows,
        }
        print(json.dumps(body, ensure_ascii=False, indent=2))
        return
    run = result.report.run
    n_cases = max((s.cases for s in result.report.summaries.values()), default=0)
    console.print(
        f"[bold]{run.pilot}[/bold] · tune {sweep.name} ({result.target}) on the dev split "
        f"({n_cases} cases, {run.dataset}) · run [cyan]{run.id}[/cyan]"
    )
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column(sweep.name)
    for m in metrics:
        table.add_column(f"[bold]{m}[/bold]" if m == metric else m, justify="right")
    for row in result.rows:
        mark = " ◀" if row == result.best else ""
        table.add_row(
            f"{row.value}{mark}", *(format_value(m, result.mean(row, m)) for m in metrics)
        )
    console.print(table)
    if result.best is None:
        console.print(f"no value gave {metric} a value")
    else:
        console.print(
            f"best {metric}: {sweep.name} = {result.best.value} "
            f"({format_value(metric, result.mean(result.best, metric))}); the test split was "
            "not read"
        )
