"""A ``kilab`` whose search sleeps 0.25 s a case (``$SLOW_SECONDS``) and writes each question
it searches to the file ``$CALLS``: runs long enough to be killed or contended, and counts
what was computed.

Run ``SCRIPT`` (written to a file) with the usual ``kilab`` arguments; the mini project's
``search_tool`` must be ``test-slow-search``.
"""

from __future__ import annotations

from kilab.evals.testing import PASSAGES

CASES = [
    {
        "id": f"slow-{i:02d}",
        "question": f"Hva sier loven om {title.lower()}? ({i})",
        "gold_ids": [pid],
    }
    for i, (pid, title, _) in enumerate(PASSAGES * 2)
]
SCRIPT = """
import os, sys, time
from pydantic import BaseModel, ConfigDict
from kilab.graphs import registry
from kilab.graphs.nodes.search import SearchParams, build_search

class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    corpus: str
    k: int = 3

@registry.tool("test-slow-search", Params)
def build(context, params):
    search = build_search(context, SearchParams(corpus=params.corpus, k=params.k, mode="bm25"))
    def run(state):
        time.sleep(float(os.environ.get("SLOW_SECONDS", "0.25")))
        with open(os.environ["CALLS"], "a", encoding="utf-8") as handle:
            handle.write(state["question"] + "\\n")
        return search(state)
    return run

from kilab.cli import main
sys.argv = ["kilab", *sys.argv[1:]]
main()
"""
