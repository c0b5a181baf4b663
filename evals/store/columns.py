"""The columns of a stored case result, shared by the SQL stores.

``result_columns`` turns a result into one plain value per column (JSON-ready lists and
dicts for the structured ones); ``result_from_columns`` reads such values back. Each store
only encodes what its database cannot hold as it is (SQLite: JSON text, 0/1, ISO dates;
PostgreSQL: JSONB).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kilab.evals.datasets import Case
from kilab.evals.records import CaseOutput, CaseResult

RESULT_COLUMNS = (
    "run_id",
    "key",
    "case_id",
    "variant",
    "repeat",
    "case_json",
    "question",
    "answer",
    "declined",
    "citations",
    "passages",
    "verdict",
    "findings",
    "path",
    "usage",
    "latency_s",
    "errors",
    "thread_id",
    "metrics",
    "samples",
    "passed",
    "failed_rules",
    "error",
    "spans",
    "tool_calls",
    "reused_from",
    "finished_at",
)
JSON_COLUMNS = frozenset(
    {
        "case_json",
        "citations",
        "passages",
        "findings",
        "path",
        "usage",
        "errors",
        "metrics",
        "samples",
        "failed_rules",
        "spans",
        "tool_calls",
    }
)


def result_columns(result: CaseResult) -> dict[str, Any]:
    """Every column's value of a result, in ``RESULT_COLUMNS`` order."""
    out = result.output
    return {
        "run_id": result.run_id,
        "key": result.key,
        "case_id": result.case.id,
        "variant": result.variant,
        "repeat": result.repeat,
        "case_json": result.case.model_dump(mode="json"),
        "question": result.case.question,
        "answer": out.answer,
        "declined": out.declined,
        "citations": out.citations,
        "passages": out.passages,
        "verdict": out.verdict or "",
        "findings": [f.model_dump(mode="json") for f in out.findings],
        "path": out.path,
        "usage": {node: u.model_dump(mode="json") for node, u in out.usage.items()},
        "latency_s": out.latency_s,
        "errors": out.errors,
        "thread_id": out.thread_id,
        "metrics": result.metrics,
        "samples": result.samples,
        "passed": result.passed,
        "failed_rules": result.failed_rules,
        "error": result.error,
        "spans": result.spans,
        "tool_calls": [call.model_dump(mode="json") for call in out.tool_calls],
        "reused_from": result.reused_from,
        "finished_at": result.finished_at,
    }


def result_from_columns(row: Mapping[str, Any]) -> CaseResult:
    """The result whose decoded column values these are."""
    output = CaseOutput(
        answer=row["answer"],
        declined=bool(row["declined"]),
        citations=row["citations"],
        passages=row["passages"],
        verdict=row["verdict"],
        findings=row["findings"],
        path=row["path"],
        usage=row["usage"],
        errors=row["errors"],
        latency_s=row["latency_s"],
        thread_id=row["thread_id"],
        tool_calls=row["tool_calls"],
    )
    return CaseResult(
        run_id=row["run_id"],
        key=row["key"],
        case=Case.model_validate(row["case_json"]),
        variant=row["variant"],
        repeat=row["repeat"],
        output=output,
        metrics=row["metrics"],
        samples=row["samples"],
        passed=bool(row["passed"]),
        failed_rules=row.get("failed_rules") or [],
        error=row["error"],
        spans=row["spans"],
        reused_from=row["reused_from"],
        finished_at=row["finished_at"],
    )
