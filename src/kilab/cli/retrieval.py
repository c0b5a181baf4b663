"""Retrieval commands: build a corpus's index, search it."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Literal

import typer

from kilab.cli.output import console

Mode = Literal["auto", "bm25", "dense", "hybrid"]

CorpusArg = Annotated[
    str,
    typer.Argument(help="A corpus config's name, a corpus YAML, or a JSONL(.gz) file or folder."),
]
ModeOption = Annotated[
    str, typer.Option("--mode", help="bm25, dense, hybrid or auto (hybrid if the extra is in).")
]
CacheOption = Annotated[
    Path | None,
    typer.Option("--cache-dir", help="Index cache folder (default $KILAB_CACHE or .kilab/cache)."),
]


def register(app: typer.Typer) -> None:
    app.command("index")(index)
    app.command("search")(search)


def _check_mode(mode: str) -> Mode:
    from kilab.core.errors import UserError

    if mode not in ("auto", "bm25", "dense", "hybrid"):
        raise UserError(f"--mode must be bm25, dense, hybrid or auto, not {mode!r}")
    return mode  # type: ignore[return-value]


SeedsOption = Annotated[
    bool,
    typer.Option(
        "--write-seeds",
        help="Also write the corpus's vectors beside its first data file (hybrid mode), "
        "so that a shipped corpus is never embedded again.",
    ),
]


def index(
    corpus: CorpusArg,
    mode: ModeOption = "auto",
    cache_dir: CacheOption = None,
    write_seeds: SeedsOption = False,
) -> None:
    """Build (or check) the persistent index of CORPUS; dense vectors too in hybrid mode."""
    from rich.progress import Progress

    from kilab.graphs.corpora import resolve_corpus
    from kilab.tools.retrieval import open_retriever

    source = resolve_corpus(corpus)
    started = time.perf_counter()
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("embedding passages", total=None, visible=False)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, visible=True)

        retriever = open_retriever(source, _check_mode(mode), cache_dir, progress=progress)
    seconds = time.perf_counter() - started
    console.print(
        f"[green]✓[/green] {source.name}: {len(retriever)} chunks, mode "
        f"{retriever.mode}, ready in {seconds:.1f} s → {retriever.folder}"
    )
    if write_seeds:
        path, count = retriever.write_seeds()
        console.print(f"wrote {count} vectors to {path}")


def _filters(pairs: list[str]) -> dict[str, list[str]]:
    """``FIELD=VALUE`` options as filters; a field given twice accepts either value."""
    from kilab.core.errors import UserError

    filters: dict[str, list[str]] = {}
    for pair in pairs:
        field, sep, value = pair.partition("=")
        if not sep or not field or not value:
            raise UserError(f"--filter {pair!r}: write FIELD=VALUE, e.g. ministry=Justis*")
        filters.setdefault(field.strip(), []).append(value.strip())
    return filters


def search(
    corpus: CorpusArg,
    question: Annotated[str, typer.Argument(help="The question.")],
    k: Annotated[int, typer.Option("--k", "-k", min=1, help="How many hits.")] = 5,
    mode: ModeOption = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print hits as a JSON list.")] = False,
    cache_dir: CacheOption = None,
    filter_options: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            help="FIELD=VALUE (repeatable): exact, list item, prefix* or a FROM..TO date range.",
        ),
    ] = None,
) -> None:
    """Search CORPUS for QUESTION; print ranked hits with scores and sources."""
    from rich.table import Table

    from kilab.graphs.corpora import resolve_corpus
    from kilab.tools.retrieval import open_retriever

    retriever = open_retriever(resolve_corpus(corpus), _check_mode(mode), cache_dir)
    hits = retriever.search(question, k=k, filters=_filters(filter_options or []))
    if as_json:
        records = [
            {
                "id": h.chunk.id,
                "score": round(h.score, 6),
                "title": h.chunk.title,
                "url": h.chunk.url,
                "source": h.chunk.source,
                "text": h.chunk.text,
                "metadata": dict(h.chunk.metadata),
            }
            for h in hits
        ]
        print(json.dumps(records, ensure_ascii=False, indent=2))
        return
    if not hits:
        console.print(f"No hits in {retriever.source.name} ({retriever.mode}).")
        return
    table = Table(title=f"{retriever.source.name} · {retriever.mode} · {question}", show_lines=True)
    for column in ("#", "score", "id", "title / source"):
        table.add_column(column, overflow="fold")
    for rank, hit in enumerate(hits, 1):
        snippet = " ".join(hit.chunk.text.split())[:200]
        where = hit.chunk.url or hit.chunk.source
        table.add_row(
            str(rank),
            f"{hit.score:.3f}",
            hit.chunk.id,
            f"[bold]{hit.chunk.title}[/bold]\n{snippet}…\n[dim]{where}[/dim]",
        )
    console.print(table)
