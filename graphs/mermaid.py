"""Draw a graph spec as a Mermaid flowchart, optionally with visit counts."""

from __future__ import annotations

from collections.abc import Mapping

from kilab.graphs.specs import END, START, GraphSpec


def _id(name: str) -> str:
    return {START: "__start__", END: "__end__"}.get(name, name.replace("-", "_"))


def to_mermaid(
    spec: GraphSpec,
    visits: Mapping[str, int] | None = None,
    transitions: Mapping[tuple[str, str], int] | None = None,
) -> str:
    """Mermaid ``flowchart TD`` text; counts are added to nodes and edges when given."""
    lines = ["flowchart TD", f"    {_id(START)}([START])", f"    {_id(END)}([END])"]
    for name, node in spec.nodes.items():
        what = f"tool: {node.tool}" if node.tool else f"agent: {node.agent}"
        label = f"{name}<br/><small>{what}</small>"
        if name in spec.limits:
            label += f"<br/><small>max {spec.limits[name]}×</small>"
        if visits is not None:
            label += f"<br/><b>{visits.get(name, 0)} visits</b>"
        lines.append(f'    {_id(name)}["{label}"]')

    def count(source: str, target: str) -> str:
        if transitions is None:
            return ""
        return f" ({transitions.get((source, target), 0)})"

    for source, target in spec.edges:
        suffix = count(source, target)
        arrow = f"-->|{suffix.strip()}|" if suffix else "-->"
        lines.append(f"    {_id(source)} {arrow} {_id(target)}")
    for source, cases in spec.routes.items():
        for outcome, target in cases.items():
            lines.append(f"    {_id(source)} -.->|{outcome}{count(source, target)}| {_id(target)}")
    return "\n".join(lines)
