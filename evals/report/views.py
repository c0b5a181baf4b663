"""What the report and the viewer show, assembled from the store, the configs and the log.

Typed views over the harness's public functions: a run's summary with gate decisions, the
pilot graph with visit counts, per-case rows, and the charts. The report renders one of
these into a single file; the viewer renders the same into pages.
"""

from __future__ import annotations

import itertools
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from kilab.core.errors import UserError
from kilab.evals.compare import Comparison, Side, compare, load_side
from kilab.evals.gates import GateDecision
from kilab.evals.harness import EvalReport, build_report
from kilab.evals.metrics.display import describe
from kilab.evals.records import CaseResult
from kilab.evals.report.svg import (
    Bar,
    difference_plot,
    graph_diagram,
    latency_histogram,
    metric_bars,
)
from kilab.evals.store import RunStore, resolve_run

START, END = "START", "END"


@dataclass(frozen=True, slots=True)
class GraphView:
    """The pilot graph: Mermaid text and an inline SVG, both with visit counts."""

    name: str
    mermaid: str
    svg: Markup
    visits: dict[str, int]
    transitions: dict[tuple[str, str], int]


@dataclass(slots=True)
class RunView:
    """Everything shown about one run (some or all of its variants)."""

    report: EvalReport
    variants: list[str]
    results: list[CaseResult]
    decisions: list[GateDecision] = field(default_factory=list)
    gate_note: str = ""
    graph: GraphView | None = None
    bars: Markup = field(default_factory=Markup)
    latency: Markup = field(default_factory=Markup)
    judges: dict[str, str] = field(default_factory=dict)  # judged metric → calibration note

    @property
    def run_id(self) -> str:
        return self.report.run.id


@dataclass(slots=True)
class CompareView:
    """A paired comparison with its charts."""

    comparison: Comparison
    bars: Markup
    diffs: list[Markup]
    latency: Markup
    a_results: dict[str, list[CaseResult]]


def path_counts(results: Sequence[CaseResult]) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Node visits and transitions (START → first node … last node → END) over results."""
    visits: Counter[str] = Counter()
    transitions: Counter[tuple[str, str]] = Counter()
    for result in results:
        path = result.output.path
        visits.update(path)
        steps = [START, *path, END] if path else []
        transitions.update(itertools.pairwise(steps))
    return dict(visits), dict(transitions)


def _order(starts: str, edges: Sequence[tuple[str, str, str]], nodes: Sequence[str]) -> list[str]:
    seen, queue = [starts], deque([starts])
    while queue:
        current = queue.popleft()
        for source, target, _ in edges:
            if source == current and target not in seen and target != END:
                seen.append(target)
                queue.append(target)
    return [*seen, *(n for n in nodes if n not in seen), END]


def graph_view(configs: Path | None, pilot: str, results: Sequence[CaseResult]) -> GraphView | None:
    """The pilot's graph with visit counts over results, or None when configs lack it."""
    from kilab.graphs.mermaid import to_mermaid
    from kilab.graphs.project import open_project

    try:
        project = open_project(configs)
        spec = project.graph(project.pilot(pilot).graph)
    except UserError:
        return None
    visits, transitions = path_counts(results)
    labels: dict[tuple[str, str], list[str]] = {(s, t): [] for s, t in spec.edges}
    for source, cases in spec.routes.items():
        for outcome, target in cases.items():
            labels.setdefault((source, target), []).append(outcome)
    # Routes to the same target share one arrow: the path records nodes, not outcomes.
    edges = [(s, t, " | ".join(outcomes)) for (s, t), outcomes in labels.items()]
    order = _order(START, edges, list(spec.nodes))
    return GraphView(
        name=spec.name,
        mermaid=to_mermaid(spec, visits, transitions),
        svg=graph_diagram(order, edges, visits, transitions),
        visits=visits,
        transitions=transitions,
    )


def _decisions(
    report: EvalReport, variants: list[str], store: RunStore, configs: Path | None, log: Path | None
) -> tuple[list[GateDecision], str]:
    from kilab.evals.decisions import decide
    from kilab.evals.promotion import PromotionLog
    from kilab.graphs.project import open_project

    try:
        project = open_project(configs)
        return decide(project, store, PromotionLog(log), report, variants=variants), ""
    except UserError as exc:
        return [], f"gate not evaluated: {exc}"


def _judge_notes(report: EvalReport) -> dict[str, str]:
    """ "uncalibrated judge", or the judge's κ, for each judged metric of the run."""
    from kilab.evals.decisions import judge_calibrations

    return {
        metric: "uncalibrated judge" if found is None else f"judge κ {found.kappa:.2f}, n={found.n}"
        for metric, found in judge_calibrations(report.run).items()
    }


def _bounded(name: str) -> bool:
    return describe(name).high is not None


def run_view(
    store: RunStore,
    ref: str,
    *,
    configs: Path | None = None,
    log: Path | None = None,
    gates: bool = True,
) -> RunView:
    """A run (``RUN`` for every variant, ``RUN:VARIANT`` for one) with gates and charts."""
    from kilab.evals.compare import parse_ref

    run_ref, variant = parse_ref(ref)
    info = resolve_run(store, run_ref)
    report = build_report(store, info.id)
    variants = [variant] if variant else list(info.variants)
    if variant and variant not in info.variants:
        load_side(store, ref)  # raises the NotFoundError with the known variants
    results = [r for r in report.results if r.variant in variants]
    view = RunView(report=report, variants=variants, results=results)
    if gates:
        view.decisions, view.gate_note = _decisions(report, variants, store, configs, log)
    view.graph = graph_view(configs, info.pilot, results)
    view.judges = _judge_notes(report)
    groups = {
        metric.name: [
            Bar(v, est.value, est.low, est.high)
            for v in variants
            if (est := report.summaries[v].estimates.get(metric.name)) is not None
        ]
        for metric in report.metrics
        if _bounded(metric.name)
    }
    view.bars = metric_bars(groups, variants)
    view.latency = latency_histogram(
        {v: [r.output.latency_s for r in results if r.variant == v] for v in variants}
    )
    return view


def compare_view(a: Side, b: Side) -> CompareView:
    """The paired comparison of B against A with bars, per-case differences and latency."""
    comparison = compare(a, b)
    labels = ["A " + comparison.a.label, "B " + comparison.b.label]
    groups = {
        m.metric: [
            Bar(labels[0], m.a.value, m.a.low, m.a.high),
            Bar(labels[1], m.b.value, m.b.low, m.b.high),
        ]
        for m in comparison.metrics
        if _bounded(m.metric)
    }
    from kilab.evals.stats import per_case_values

    diffs = []
    for m in comparison.metrics:
        if not _bounded(m.metric) or not m.n:
            continue
        values_a = per_case_values(a.results, m.metric)
        values_b = per_case_values(b.results, m.metric)
        pairs = [(c, values_b[c] - values_a[c]) for c in values_b if c in values_a]
        if any(d for _, d in pairs):
            diffs.append(difference_plot(pairs, m.metric))
    by_case: dict[str, list[CaseResult]] = {}
    for result in a.results:
        by_case.setdefault(result.case.id, []).append(result)
    latency = latency_histogram(
        {
            labels[0]: [r.output.latency_s for r in a.results],
            labels[1]: [r.output.latency_s for r in b.results],
        }
    )
    return CompareView(comparison, metric_bars(groups, labels), diffs, latency, by_case)


def compare_refs_view(store: RunStore, ref_a: str, ref_b: str) -> CompareView:
    """``compare_view`` of two sides named ``RUN[:VARIANT]``."""
    return compare_view(load_side(store, ref_a), load_side(store, ref_b))
