"""Rich rendering of a graph result for the terminal."""

from __future__ import annotations

from rich.panel import Panel
from rich.table import Table

from kilab.cli.output import console
from kilab.graphs.runner import GraphResult


def print_result(result: GraphResult) -> None:
    style = "yellow" if result.declined else "green"
    console.print(Panel(result.answer, title=f"[b]{result.question}[/b]", border_style=style))
    by_id = {p["id"]: p for p in result.passages}
    if result.citations:
        sources = Table(title="Kilder", show_header=True, header_style="bold", expand=False)
        sources.add_column("id")
        sources.add_column("tittel")
        sources.add_column("url", overflow="fold")
        for cited in result.citations:
            passage = by_id.get(cited)
            sources.add_row(
                cited,
                passage["title"] if passage else "(ikke hentet)",
                passage["url"] if passage else "",
            )
        console.print(sources)
    console.print(
        f"[b]verdict:[/b] {result.verdict or '-'}   [b]path:[/b] "
        f"{' → '.join(result.path)}   [b]thread:[/b] {result.thread_id}   "
        f"[b]time:[/b] {result.latency_s * 1000:.0f} ms"
    )
    for finding in result.findings:
        console.print(f"  [yellow]{finding['check']}[/yellow]: {finding['message']}")
    for error in result.errors:
        console.print(f"  [red]{error}[/red]")
