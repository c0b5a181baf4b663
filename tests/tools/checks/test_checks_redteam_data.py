"""The red-team corpus, its labels and the dev/test datasets agree with the checks."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from kilab.tools.checks import MASKED_KINDS, find_pii, scan_injection

ROOT = Path(__file__).resolve().parents[3]
DOCS = ROOT / "data" / "redteam" / "documents.jsonl"
LABELS = ROOT / "data" / "redteam" / "labels.jsonl"
DATASETS = {
    split: ROOT / "configs" / "datasets" / f"redteam-{split}.jsonl" for split in ("dev", "test")
}
CATEGORIES = {
    "polite-nb",
    "nynorsk",
    "english",
    "homoglyph",
    "base64",
    "zero-width",
    "html-comment",
    "markdown-link",
    "add-url",
    "reveal-instructions",
    "role-play",
    "fake-system",
    "multi-step",
}


def rows(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def flat(text: str) -> str:
    return re.sub(r"[ .\u00a0-]", "", text)


def labels() -> dict[str, dict[str, str]]:
    return {label["id"]: label for label in rows(LABELS)}


def test_documents_have_the_corpus_fields_unique_ids_and_a_label_each() -> None:
    docs = rows(DOCS)
    assert all(set(d) == {"id", "title", "text", "url", "source"} for d in docs)
    assert len({d["id"] for d in docs}) == len(docs)
    assert [d["id"] for d in docs] == list(labels())


def test_at_least_80_injected_documents_across_the_categories_in_both_splits() -> None:
    injected = [label for label in labels().values() if label["kind"] == "injection"]
    assert len(injected) >= 80
    for split in ("dev", "test"):
        categories = {label["category"] for label in injected if label["split"] == split}
        assert categories >= CATEGORIES, CATEGORIES - categories
    lookalikes = [label for label in labels().values() if label["kind"] == "lookalike"]
    assert {label["split"] for label in lookalikes} == {"dev", "test"}


def test_personal_numbers_are_only_in_the_personal_data_documents() -> None:
    kinds = labels()
    # Look-alikes may give an office's e-mail address; numbers that point at a person, never.
    personal = {i for i, label in kinds.items() if label["kind"] == "personal-data"}
    with_numbers = {
        d["id"] for d in rows(DOCS) if any(m.kind in MASKED_KINDS for m in find_pii(d["text"]))
    }
    assert with_numbers <= personal
    assert all(find_pii(d["text"]) for d in rows(DOCS) if d["id"] in personal)
    assert len(personal) >= 8


def test_the_screen_quarantines_every_injected_dev_document_and_no_clean_one() -> None:
    """Dev is what the patterns are tuned on; test is only measured (see the pilot)."""
    kinds = labels()
    docs = {d["id"]: d["text"] for d in rows(DOCS)}
    flagged = {i for i, text in docs.items() if scan_injection(text)}
    dev_injected = {
        i for i, label in kinds.items() if label["kind"] == "injection" and label["split"] == "dev"
    }
    assert dev_injected - flagged == set()
    not_injected = {i for i, label in kinds.items() if label["kind"] != "injection"}
    assert flagged & not_injected == set()


def test_the_held_out_figure_does_not_get_worse() -> None:
    """Test was measured once, after tuning on dev: 32 of 41 caught, no false quarantine.

    A floor against regressions, not a target: patterns are never tuned to raise it.
    """
    kinds = labels()
    docs = {d["id"]: d["text"] for d in rows(DOCS)}
    test_injected = [
        i for i, label in kinds.items() if label["kind"] == "injection" and label["split"] == "test"
    ]
    assert sum(bool(scan_injection(docs[i])) for i in test_injected) >= 32


@pytest.mark.parametrize("split", ["dev", "test"])
def test_dataset_rows_follow_the_dataset_format(split: str) -> None:
    dataset = rows(DATASETS[split])
    kinds = labels()
    assert len(dataset) >= 60
    assert len({r["id"] for r in dataset}) == len(dataset)
    for row in dataset:
        assert set(row) == {"id", "question", "answers", "gold_ids", "expect", "tags", "traps"}
        assert row["expect"] in ("answer", "decline")
        assert set(row["gold_ids"]) <= set(kinds)
        # Gold sources are never injected: quarantining one is a false quarantine.
        assert all(kinds[i]["kind"] != "injection" for i in row["gold_ids"]), row["id"]
        assert bool(row["answers"]) == (row["expect"] == "answer")
        if "injection" in row["tags"] or "pii" in row["tags"]:
            assert row["traps"], row["id"]
    assert {t for r in dataset for t in r["tags"]} >= {"injection", "benign"}


def test_the_splits_share_no_case_and_no_injected_document() -> None:
    dev, test = (rows(DATASETS[s]) for s in ("dev", "test"))
    assert not {r["id"] for r in dev} & {r["id"] for r in test}
    kinds = labels()
    docs = {d["id"]: d["text"] for d in rows(DOCS)}
    for split, dataset in (("dev", dev), ("test", test)):
        for row in dataset:
            if "injection" not in row["tags"]:
                continue
            holders = {i for i, text in docs.items() for trap in row["traps"] if trap in text}
            # Encoded payloads show their canary only once decoded: they match no text.
            assert all(kinds[i]["split"] == split for i in holders), (row["id"], holders)


def test_personal_data_traps_are_values_the_detector_finds() -> None:
    docs = rows(DOCS)
    found = {flat(m.text) for d in docs for m in find_pii(d["text"])}
    for split in ("dev", "test"):
        for row in rows(DATASETS[split]):
            if "pii" in row["tags"]:
                for trap in row["traps"]:
                    assert any(flat(trap) in value for value in found), (row["id"], trap)
