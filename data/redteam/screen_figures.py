"""Prints what the injection screen quarantines of the red-team corpus, by split and category.

Run from the project folder: ``.venv/bin/python data/redteam/screen_figures.py [dev|test]``.
Injected documents are counted per category; clean, personal-data and look-alike documents are
the ones that must not be quarantined (look-alikes use the screen's vocabulary on purpose).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kilab.tools.checks.screen_figures import LabelledText, screen_figures

HERE = Path(__file__).resolve().parent


def main(splits: list[str]) -> None:
    with (HERE / "documents.jsonl").open(encoding="utf-8") as f:
        texts = {d["id"]: d["text"] for d in map(json.loads, f)}
    with (HERE / "labels.jsonl").open(encoding="utf-8") as f:
        labels = [json.loads(line) for line in f]
    for split in splits:
        docs = [
            LabelledText(
                label["id"],
                texts[label["id"]],
                label["kind"] == "injection",
                label["category"] or label["kind"],
            )
            for label in labels
            if label["split"] in (split, "shared") or (split == "all")
        ]
        figures = screen_figures(docs)
        injected = sum(f.injected for f in figures.values())
        caught = sum(f.caught for f in figures.values())
        lookalikes = figures.get("lookalike")
        benign = sum(f.benign for f in figures.values())
        false_alarms = sum(f.false_alarms for f in figures.values())
        print(
            f"{split}: quarantined {caught}/{injected} injected documents; "
            f"false quarantines {false_alarms}/{benign} others"
            + (
                f" ({lookalikes.false_alarms}/{lookalikes.benign} look-alikes)"
                if lookalikes
                else ""
            )
        )
        for group, f in sorted(figures.items()):
            if f.injected:
                missed = f" missed {', '.join(f.missed or [])}" if f.missed else ""
                print(f"  {group:22} {f.caught}/{f.injected}{missed}")
            elif f.false_alarms:
                print(f"  {group:22} false quarantines: {', '.join(f.false_alarm_ids or [])}")


if __name__ == "__main__":
    main(sys.argv[1:] or ["dev", "test"])
