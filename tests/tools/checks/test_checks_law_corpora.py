"""The injection check must stay silent on the shipped law corpora (2,348 documents)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from kilab.tools.checks import scan_injection

DATA = Path(__file__).resolve().parents[3] / "data" / "lovdata"


def law_texts() -> list[tuple[str, str]]:
    texts: list[tuple[str, str]] = []
    with (DATA / "realestate-sections.jsonl").open(encoding="utf-8") as sections:
        texts += [(r["id"], r["text"]) for r in map(json.loads, sections)]
    with gzip.open(DATA / "lovtidend-2025.jsonl.gz", "rt", encoding="utf-8") as lovtidend:
        texts += [(r["id"], r["text"]) for r in map(json.loads, lovtidend)]
    return texts


def test_no_injection_pattern_fires_on_law_text() -> None:
    texts = law_texts()
    assert len(texts) == 1076 + 1272
    false_positives = {doc_id: scan_injection(text) for doc_id, text in texts}
    assert {k: v for k, v in false_positives.items() if v} == {}
