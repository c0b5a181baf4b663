"""A small store of real runs for tests, screenshots and trying the viewer.

``write_demo(folder)`` writes the mini pilot (``kilab.evals.testing``) with one hostile passage and
one hostile question (HTML and ``<script>`` in them, as a scraped document or a user could
send), runs it twice (baseline and the k1 variant; the second run on all but the last case),
and returns where everything is. Offline and fast.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from kilab.evals.testing import CASES, write_mini_project

HOSTILE_TEXT = (
    'Leieren kan si opp leien med <script>alert("doc")</script> tre måneders frist '
    '<img src=x onerror="alert(2)"> etter avtale om oppsigelse.'
)
HOSTILE_QUESTION = 'Hva er fristen <script>alert("q")</script> for oppsigelse <b>nå</b>?'
HOSTILE_CASE: dict[str, object] = {
    "id": "mini-xss",
    "question": HOSTILE_QUESTION,
    "answers": ["tre måneder"],
    "gold_ids": ["mini#xss"],
    "tags": ["<i>tag</i>"],
}


@dataclass(frozen=True, slots=True)
class Demo:
    """Where the demo lives and what it holds."""

    configs: Path
    pilot: Path
    store: Path
    log: Path
    first: str
    second: str


def write_demo(folder: str | Path) -> Demo:
    """Write the hostile mini project under ``folder`` and evaluate it twice.

    Returns:
        The paths and the two run ids (``first``: baseline and k1 over every case;
        ``second``: k1 over all but the last case).
    """
    from kilab.evals import EvalOptions, open_store, run_eval
    from kilab.graphs.project import open_project

    root = Path(folder)
    cases = [HOSTILE_CASE, *CASES]
    pilot = write_mini_project(root / "configs", cases=cases)
    data = root / "configs" / "data" / "mini.jsonl"
    with data.open("a", encoding="utf-8") as handle:
        passage = {"id": "mini#xss", "title": "<b>Oppsigelse</b>", "text": HOSTILE_TEXT}
        handle.write(json.dumps(passage | {"url": "", "source": "mini"}, ensure_ascii=False))
        handle.write("\n")
    store_path = root / ".kilab" / "runs.sqlite"
    store = open_store(store_path)
    try:
        project = open_project(pilot)
        cache = root / "cache"
        first = run_eval(
            project, "mini", store, EvalOptions(variants=["baseline", "k1"], cache_dir=cache)
        )
        subset = root / "configs" / "datasets" / "subset.jsonl"
        subset.write_text(
            "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases[:-1]),
            encoding="utf-8",
        )
        second = run_eval(
            project,
            "mini",
            store,
            EvalOptions(variants=["k1"], dataset=subset, cache_dir=cache, use_cache=False),
        )
    finally:
        store.close()
    return Demo(
        configs=root / "configs",
        pilot=pilot,
        store=store_path,
        log=root / ".kilab" / "promotions.jsonl",
        first=first.run.id,
        second=second.run.id,
    )
