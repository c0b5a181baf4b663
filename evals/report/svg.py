"""Inline SVG charts for the report and the viewer: no script, no external asset.

Every function returns ``markupsafe.Markup``; every text that reaches the SVG goes through
``escape`` first, so a metric, case id or node name cannot inject markup.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b83280", "#2c7a7b")
FONT = 'font-family="system-ui, sans-serif" font-size="11"'


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: a side's value of a metric and its CI."""

    series: str
    value: float | None
    low: float | None
    high: float | None


LEGEND_ROW = 16  # one legend entry per line, so a long run and variant name is never cut


def _num(value: float) -> str:
    return f"{value:.1f}"


def _legend(series: Sequence[str], colour: Mapping[str, str], *, x: float, y: float) -> str:
    """A legend below a chart: one line per series with its whole name."""
    return "".join(
        f'<g class="legend"><rect x="{_num(x)}" y="{_num(y + i * LEGEND_ROW + 3)}" width="10" '
        f'height="10" fill="{colour[name]}"/><text x="{_num(x + 14)}" '
        f'y="{_num(y + i * LEGEND_ROW + 12)}">{escape(name)}</text></g>'
        for i, name in enumerate(series)
    )


def metric_bars(
    groups: Mapping[str, Sequence[Bar]], series: Sequence[str], *, width: int = 640
) -> Markup:
    """Horizontal bars on a 0..1 scale with 95 % CI whiskers, one group per metric.

    Args:
        groups: Metric name → one bar per series (missing values are drawn as "–").
        series: The series (sides or variants) in legend order.
        width: Total width in pixels.
    """
    label_w, bar_h, gap = 150, 12, 10
    plot_w = width - label_w - 60
    rows = sum(len(bars) for bars in groups.values())
    plot_bottom = 30 + rows * (bar_h + 3) + len(groups) * gap
    height = plot_bottom + LEGEND_ROW * len(series) + 4
    colour = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(series)}
    parts = [
        f'<svg class="chart metric-bars" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="metric means with 95 % confidence intervals" {FONT}>'
    ]
    x0 = label_w
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = x0 + tick * plot_w
        parts.append(
            f'<line x1="{_num(x)}" y1="20" x2="{_num(x)}" y2="{plot_bottom}" stroke="#ddd"/>'
            f'<text x="{_num(x)}" y="14" text-anchor="middle" fill="#555">{tick:g}</text>'
        )
    parts.append(_legend(series, colour, x=x0, y=plot_bottom))
    y = 26
    for metric, bars in groups.items():
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar_h}" text-anchor="end" fill="#222">'
            f"{escape(metric)}</text>"
        )
        for bar in bars:
            fill = colour.get(bar.series, "#888")
            if bar.value is None or math.isnan(bar.value):
                parts.append(f'<text x="{x0 + 4}" y="{y + bar_h - 2}" fill="#888">–</text>')
            else:
                value = min(max(bar.value, 0.0), 1.0)
                parts.append(
                    f'<rect class="bar" x="{x0}" y="{y}" width="{_num(value * plot_w)}" '
                    f'height="{bar_h}" fill="{fill}" opacity="0.8"><title>'
                    f"{escape(bar.series)} {escape(metric)}: {bar.value:.3f}"
                    f"</title></rect>"
                )
                if bar.low is not None and bar.high is not None:
                    lo = x0 + min(max(bar.low, 0.0), 1.0) * plot_w
                    hi = x0 + min(max(bar.high, 0.0), 1.0) * plot_w
                    mid = y + bar_h / 2
                    parts.append(
                        f'<path class="whisker" d="M{_num(lo)} {_num(mid)}H{_num(hi)}'
                        f"M{_num(lo)} {_num(y + 2)}V{_num(y + bar_h - 2)}"
                        f'M{_num(hi)} {_num(y + 2)}V{_num(y + bar_h - 2)}" stroke="#111" '
                        f'stroke-width="1.2" fill="none"/>'
                    )
                parts.append(
                    f'<text x="{_num(x0 + plot_w + 6)}" y="{y + bar_h - 2}" fill="#333">'
                    f"{bar.value:.2f}</text>"
                )
            y += bar_h + 3
        y += gap
    parts.append("</svg>")
    return Markup("".join(parts))


def difference_plot(
    diffs: Sequence[tuple[str, float]], metric: str, *, width: int = 640, height: int = 150
) -> Markup:
    """Per-case differences (B − A) of one metric as bars sorted from worst to best.

    Args:
        diffs: (case id, difference) pairs.
        metric: The metric's name, for the title.
        width: Width in pixels.
        height: Height in pixels.
    """
    ordered = sorted(diffs, key=lambda item: item[1])
    limit = max((abs(d) for _, d in ordered), default=0.0) or 1.0
    left, top, bottom = 40, 18, 12
    plot_h = height - top - bottom
    zero = top + plot_h / 2
    step = (width - left - 10) / max(len(ordered), 1)
    parts = [
        f'<svg class="chart diff-plot" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="per-case difference of {escape(metric)}" {FONT}>',
        f'<text x="{left}" y="12" fill="#222">{escape(metric)}: B − A per case '
        f"(±{limit:.3g})</text>",
        f'<line x1="{left}" y1="{_num(zero)}" x2="{width - 10}" y2="{_num(zero)}" stroke="#999"/>',
    ]
    for i, (case_id, diff) in enumerate(ordered):
        h = abs(diff) / limit * (plot_h / 2)
        y = zero - h if diff > 0 else zero
        fill = "#2f855a" if diff > 0 else "#c53030" if diff < 0 else "#999"
        parts.append(
            f'<rect class="diff" x="{_num(left + i * step + 0.5)}" y="{_num(y)}" '
            f'width="{_num(max(step - 1, 1))}" height="{_num(max(h, 0.8))}" fill="{fill}">'
            f"<title>{escape(case_id)}: {diff:+.3f}</title></rect>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def latency_histogram(
    series: Mapping[str, Sequence[float]], *, width: int = 640, height: int = 160, bins: int = 20
) -> Markup:
    """Latency distributions as overlaid step histograms (seconds).

    Args:
        series: Series name → latencies in seconds.
        width: Width in pixels.
        height: Height in pixels.
        bins: Number of bins.
    """
    values = [v for vs in series.values() for v in vs]
    top_value = max(values, default=0.0) or 1.0
    left, top, bottom = 40, 10, 28
    plot_w, plot_h = width - left - 10, height - top - bottom
    legend_y = height
    height += LEGEND_ROW * len(series) + 4
    counts = {}
    for name, vs in series.items():
        row = [0] * bins
        for v in vs:
            row[min(int(v / top_value * bins), bins - 1)] += 1
        counts[name] = row
    peak = max((max(row) for row in counts.values() if row), default=1) or 1
    parts = [
        f'<svg class="chart latency" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="latency distribution" {FONT}>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        f'stroke="#999"/>',
        f'<text x="{left}" y="{legend_y - 12}" fill="#555">0 s</text>',
        f'<text x="{left + plot_w}" y="{legend_y - 12}" text-anchor="end" fill="#555">'
        f"{top_value:.2f} s</text>",
    ]
    for i, (name, row) in enumerate(counts.items()):
        colour = PALETTE[i % len(PALETTE)]
        points = []
        for b, count in enumerate(row):
            x1, x2 = left + b * plot_w / bins, left + (b + 1) * plot_w / bins
            y = top + plot_h - count / peak * plot_h
            points += [f"{_num(x1)},{_num(y)}", f"{_num(x2)},{_num(y)}"]
        parts.append(
            f'<polyline class="hist" points="{" ".join(points)}" fill="none" '
            f'stroke="{colour}" stroke-width="2" opacity="0.85"><title>{escape(name)}</title>'
            f"</polyline>"
        )
    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(counts)}
    parts.append(_legend(list(counts), colours, x=left, y=legend_y))
    parts.append("</svg>")
    return Markup("".join(parts))


def graph_diagram(
    nodes: Sequence[str],
    edges: Sequence[tuple[str, str, str]],
    visits: Mapping[str, int],
    transitions: Mapping[tuple[str, str], int],
    *,
    width: int = 420,
) -> Markup:
    """A pilot graph as boxes top to bottom with visit counts on nodes and routes.

    Args:
        nodes: Node names in drawing order (START first, END last).
        edges: (source, target, label) triples; routes carry their outcome as label.
        visits: Node → visits over the shown results.
        transitions: (source, target) → times taken.
        width: Width in pixels.
    """
    box_w, box_h, step = 170, 38, 70
    cx = 130
    ys = {name: 16 + i * step for i, name in enumerate(nodes)}
    height = 16 + len(nodes) * step
    parts = [
        f'<svg class="chart graph" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="graph with visit counts" {FONT}>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="#555"/>'
        "</marker></defs>",
    ]
    loop = 0
    for source, target, label in edges:
        if source not in ys or target not in ys:
            continue
        count = transitions.get((source, target), 0)
        y1, y2 = ys[source] + box_h, ys[target]
        stroke = "#2b6cb0" if count else "#bbb"
        text = f"{label} ({count})" if label else f"{count}"
        if ys[target] == ys[source] + step:
            parts.append(
                f'<line x1="{cx}" y1="{y1}" x2="{cx}" y2="{y2 - 2}" stroke="{stroke}" '
                f'stroke-width="{1.2 + min(count, 50) / 25:.1f}" marker-end="url(#arrow)"/>'
                f'<text x="{cx + 6}" y="{(y1 + y2) / 2 + 4:.0f}" fill="#333">{escape(text)}</text>'
            )
        else:
            loop += 1
            sx, sy = cx + box_w / 2, ys[source] + box_h / 2
            tx, ty = cx + box_w / 2, ys[target] + box_h / 2
            bend = sx + 30 + loop * 28
            parts.append(
                f'<path d="M{sx:.0f} {sy:.0f}C{bend:.0f} {sy:.0f} {bend:.0f} {ty:.0f} '
                f'{tx + 2:.0f} {ty:.0f}" fill="none" stroke="{stroke}" stroke-dasharray="4 3" '
                f'marker-end="url(#arrow)"/>'
                f'<text x="{bend - 6:.0f}" y="{(sy + ty) / 2:.0f}" fill="#333">'
                f"{escape(text)}</text>"
            )
    for name, y in ys.items():
        terminal = name in ("START", "END")
        rx = box_h / 2 if terminal else 4
        visited = "" if terminal else f" · {visits.get(name, 0)}×"
        parts.append(
            f'<g class="node"><rect x="{cx - box_w / 2}" y="{y}" width="{box_w}" '
            f'height="{box_h}" rx="{rx}" fill="{"#edf2f7" if terminal else "#ebf4ff"}" '
            f'stroke="#2b6cb0"/><text x="{cx}" y="{y + box_h / 2 + 4}" text-anchor="middle" '
            f'fill="#1a202c">{escape(name)}{visited}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
