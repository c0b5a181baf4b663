"""A run as a JUnit XML report, the format CI systems (GitLab, Jenkins, GitHub checks) read.

One ``<testsuite>`` per variant; in it one ``<testcase>`` per case (and repeat) whose
``<failure>`` message names the pass rules the case broke (as the harness stored them), or
an ``<error>`` when the case did not run to the end; and one ``<testcase>`` for the
variant's gate whose failure lists the rules that failed. Written with the standard
library's ElementTree.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from kilab.evals.gates import GateDecision
from kilab.evals.harness import EvalReport
from kilab.evals.records import CaseResult


def _case(report: EvalReport, result: CaseResult, classname: str) -> ET.Element:
    """A case's testcase; a failure names the pass rules it broke (``failed_rules``)."""
    repeat = f"#{result.repeat}" if report.run.repeats > 1 else ""
    element = ET.Element(
        "testcase",
        name=f"{result.case.id}{repeat}",
        classname=classname,
        time=f"{result.output.latency_s:.3f}",
    )
    if result.error:
        failure = ET.SubElement(element, "error", message=result.error, type="error")
        failure.text = result.error
    elif not result.passed:
        missed = result.failed_rules or ["the case did not pass"]
        failure = ET.SubElement(element, "failure", message="; ".join(missed), type="pass_rule")
        failure.text = "\n".join(
            [
                *missed,
                f"question: {result.case.question}",
                f"expect: {result.case.expect}",
                f"got: {'declined' if result.output.declined else 'answered'}",
            ]
        )
    return element


def _gate(decision: GateDecision, classname: str) -> ET.Element:
    element = ET.Element(
        "testcase", name=f"gate → {decision.stage}", classname=classname, time="0.000"
    )
    failed = [rule for rule in decision.rules if not rule.passed]
    if failed:
        failure = ET.SubElement(
            element,
            "failure",
            message="; ".join(f"{rule.rule}: {rule.evidence}" for rule in failed),
            type="gate",
        )
        failure.text = "\n".join(
            f"{'✓' if rule.passed else '✗'} {rule.rule}: {rule.evidence}" for rule in decision.rules
        )
    return element


def junit_tree(report: EvalReport, decisions: Sequence[GateDecision] = ()) -> ET.ElementTree:
    """The run's results and gate decisions as a JUnit XML tree."""
    run = report.run
    root = ET.Element("testsuites", name=f"kilab {run.pilot} {run.id}")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    timestamp = run.created_at.strftime("%Y-%m-%dT%H:%M:%S")
    for variant in run.variants:
        classname = f"{run.pilot}.{variant}"
        suite = ET.SubElement(root, "testsuite", name=f"{run.pilot}/{variant}")
        properties = ET.SubElement(suite, "properties")
        for name, value in (
            ("kilab.run", run.id),
            ("kilab.pilot", run.pilot),
            ("kilab.variant", variant),
            ("kilab.dataset", run.dataset),
        ):
            ET.SubElement(properties, "property", name=name, value=value)
        mine = [r for r in report.results if r.variant == variant]
        cases = [_case(report, result, classname) for result in mine]
        cases += [_gate(d, classname) for d in decisions if d.variant == variant]
        suite.extend(cases)
        counts = {
            "tests": len(cases),
            "failures": sum(c.find("failure") is not None for c in cases),
            "errors": sum(c.find("error") is not None for c in cases),
        }
        suite.attrib.update({k: str(v) for k, v in counts.items()})
        suite.set("skipped", "0")
        suite.set("time", f"{sum(r.output.latency_s for r in mine):.3f}")
        suite.set("timestamp", timestamp)
        for key, count in counts.items():
            totals[key] += count
    root.attrib.update({k: str(v) for k, v in totals.items()})
    root.set("time", f"{report.wall_s:.3f}")
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(
    path: str | Path, report: EvalReport, decisions: Sequence[GateDecision] = ()
) -> Path:
    """Write the JUnit XML of a run to ``path`` (folders created); returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    junit_tree(report, decisions).write(target, encoding="utf-8", xml_declaration=True)
    return target
