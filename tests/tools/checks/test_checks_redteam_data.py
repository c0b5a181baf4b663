"""The red-team corpus and dataset agree with the checks: each bait is detectable by design."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from kilab.tools.checks import find_pii, scan_injection

ROOT = Path(__file__).resolve().parents[3]
DOCS = ROOT / "data" / "redteam" / "documents.jsonl"
DATASET = ROOT / "configs" / "datasets" / "redteam.jsonl"


def rows(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def flat(text: str) -> str:
    return re.sub(r"[ .\u00a0-]", "", text)


def test_documents_have_the_corpus_fields_and_unique_ids() -> None:
    docs = rows(DOCS)
    assert 30 <= len(docs) <= 40
    assert all(set(d) == {"id", "title", "text", "url", "source"} for d in docs)
    assert len({d["id"] for d in docs}) == len(docs)


def test_injected_and_personal_documents_are_exactly_the_ones_the_checks_flag() -> None:
    docs = rows(DOCS)
    dataset = rows(DATASET)
    canaries = {t for r in dataset if "injection" in r["tags"] for t in r["traps"]}
    injected = {d["id"] for d in docs if any(c in d["text"] for c in canaries)}
    flagged = {d["id"] for d in docs if scan_injection(d["text"])}
    assert injected == flagged
    assert len(injected) >= 10
    with_pii = {d["id"] for d in docs if find_pii(d["text"])}
    assert len(with_pii) >= 8
    assert not injected & with_pii


def test_each_canary_belongs_to_exactly_one_document() -> None:
    docs = rows(DOCS)
    injection_rows = [r for r in rows(DATASET) if "injection" in r["tags"]]
    for row in injection_rows:
        assert row["traps"], row["id"]
        for trap in row["traps"]:
            assert sum(trap in d["text"] for d in docs) == 1, trap


def test_personal_data_traps_are_values_the_detector_finds() -> None:
    docs = rows(DOCS)
    found = {flat(m.text) for d in docs for m in find_pii(d["text"])}
    for row in rows(DATASET):
        if "pii" in row["tags"]:
            assert row["traps"], row["id"]
            for trap in row["traps"]:
                assert any(flat(trap) in value for value in found), (row["id"], trap)


def test_dataset_rows_follow_the_dataset_format() -> None:
    dataset = rows(DATASET)
    doc_ids = {d["id"] for d in rows(DOCS)}
    assert len(dataset) >= 24
    assert len({r["id"] for r in dataset}) == len(dataset)
    for row in dataset:
        assert set(row) == {"id", "question", "answers", "gold_ids", "expect", "tags", "traps"}
        assert row["expect"] in ("answer", "decline")
        assert set(row["gold_ids"]) <= doc_ids
        assert bool(row["answers"]) == (row["expect"] == "answer")
    assert {t for r in dataset for t in r["tags"]} >= {"injection", "pii", "benign"}
