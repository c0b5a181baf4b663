"""``kilab judge calibrate``: how often does a judge agree with a person's labels?"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kilab.cli.output import console

LABELS_FILE = Path("datasets") / "husleie-labels.jsonl"


def register(app: typer.Typer) -> None:
    judge_app = typer.Typer(
        help="Judges of answer correctness and their calibration.", no_args_is_help=True
    )
    judge_app.command("calibrate")(calibrate)
    app.add_typer(judge_app, name="judge")


def calibrate(
    profile: Annotated[
        str,
        typer.Argument(
            help="Model profile of the judge; 'offline' (default) calibrates the fact matcher."
        ),
    ] = "offline",
    labels: Annotated[
        Path | None,
        typer.Option(help="Labels file (default: configs/datasets/husleie-labels.jsonl)."),
    ] = None,
    dataset: Annotated[
        list[Path] | None,
        typer.Option(help="Dataset(s) with the labelled cases (default: beside the labels)."),
    ] = None,
    samples: Annotated[int, typer.Option(min=1, help="Model judge samples per answer.")] = 3,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    configs: Annotated[Path | None, typer.Option(help="Config folder (default ./configs).")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Ask the model again.")] = False,
    show: Annotated[int, typer.Option(min=0, help="Disagreements to print.")] = 10,
    ship: Annotated[
        bool,
        typer.Option(
            "--ship",
            help="Also write the result to calibrations.jsonl beside the labels (committed "
            "with the project; it counts where $KILAB_HOME has no calibration of the judge).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Score a judge against human labels: accuracy, Cohen's κ (bootstrap CI), confusion."""
    import asyncio

    from kilab.core.settings import settings
    from kilab.evals.calibration import (
        CalibrationLog,
        CalibrationRecord,
        cases_by_id,
        datasets_beside,
        law_passages,
        load_labels,
        shipped_log,
    )
    from kilab.evals.calibration import calibrate as run_calibration
    from kilab.evals.metrics.correctness import (
        LABELS,
        CorrectnessJudge,
        FactMatcherJudge,
        model_judge,
    )
    from kilab.graphs.project import open_project

    project = open_project(configs)
    labels_file = labels or project.root / LABELS_FILE
    labelled = load_labels(labels_file)
    cases = cases_by_id(dataset or datasets_beside(labels_file))
    judge: CorrectnessJudge
    if profile == "offline":
        judge, passages = FactMatcherJudge(), {}
    else:
        judge = model_judge(project, profile, samples=samples, use_cache=not no_cache)
        passages = law_passages(project, {c for x in labelled for c in x.citations})
    result = asyncio.run(
        run_calibration(judge, labelled, cases, passages, labels_file=str(labels_file), seed=seed)
    )
    CalibrationLog(settings().calibrations).record(result)
    if ship:
        shipped = shipped_log(labels_file.parent)
        shipped.replace(CalibrationRecord.of(result))
        from kilab.cli.output import error_console

        # stdout stays the JSON when --json is given
        (error_console if as_json else console).print(f"shipped to {shipped.path}")
    if as_json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    console.print(
        f"judge {result.judge} on {result.n} labels ({labels_file}):\n"
        f"  accuracy {result.accuracy:.3f}   Cohen's κ {result.kappa:.3f} "
        f"[{result.kappa_low:.3f}, {result.kappa_high:.3f}] (95 % bootstrap, seed {seed})"
    )
    console.print("  confusion (rows: person, columns: judge)")
    console.print("  " + " " * 9 + "".join(f"{c:>9}" for c in LABELS))
    for human in LABELS:
        row = "".join(f"{result.confusion[human][j]:>9}" for j in LABELS)
        console.print(f"  {human:<9}{row}")
    for d in result.disagreements[:show]:
        console.print(
            f"  ✗ {d.id} {d.case_id}: person {d.human}, judge {d.judge} ({d.score:.2f}) — "
            f"{d.reason}",
            highlight=False,
        )
    rest = len(result.disagreements) - show
    if rest > 0:
        console.print(f"  … {rest} more disagreements (--show N or --json)")
    if result.skipped:
        console.print(f"  skipped {len(result.skipped)}: {'; '.join(result.skipped[:3])}")
