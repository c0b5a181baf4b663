"""Retrieval quality: recall@1/5/10 and MRR of each search method on two question sets."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kilab.evals.ranking import mean_recall_at_k, mean_reciprocal_rank
from kilab.tools.retrieval import CorpusSource, document_id, open_retriever
from kilab.tools.retrieval.types import SearchMode
from kilab.tools.settings import ChunkingSettings, IndexSettings

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
DEPTH = 10


@dataclass(frozen=True)
class QuestionSet:
    """Questions with gold document ids, over one corpus file."""

    name: str
    corpus: Path
    questions: dict[str, str]
    gold: dict[str, set[str]]
    chunking: ChunkingSettings


@dataclass(frozen=True)
class Method:
    name: str
    mode: SearchMode
    index: IndexSettings


WORDS = IndexSettings(terms="words")
METHODS = [
    Method("BM25, words, no stemming", "bm25", IndexSettings(terms="words", stemmer=None)),
    Method("BM25, stemmed words", "bm25", WORDS),
    Method("BM25, character 4-grams (default)", "bm25", IndexSettings()),
    Method("dense, one vector per passage", "dense", IndexSettings(dense_units=False)),
    Method("dense, + paragraph vectors (default)", "dense", IndexSettings()),
    Method("dense, not centred", "dense", IndexSettings(dense_center=False)),
    Method(
        "hybrid, old default (RRF k=10, words, 1 vector)",
        "hybrid",
        IndexSettings(terms="words", dense_units=False, fusion="rrf"),
    ),
    Method(
        "hybrid RRF (plain: k=60, equal weights)",
        "hybrid",
        IndexSettings(fusion="rrf", rrf_k=60, dense_weight=0.5),
    ),
    Method("hybrid RRF (k=10, dense 0.7)", "hybrid", IndexSettings(fusion="rrf")),
    Method("hybrid z-score (default, dense 0.7)", "hybrid", IndexSettings()),
    Method(
        "hybrid z-score, one vector per passage",
        "hybrid",
        IndexSettings(dense_units=False),
    ),
    Method("hybrid min-max (dense 0.7)", "hybrid", IndexSettings(fusion="minmax")),
]


def husleie_set(dataset_name: str = "husleie") -> QuestionSet | None:
    """A husleie dataset's questions (those with gold sections) over the real-estate laws.

    Args:
        dataset_name: file stem under configs/datasets: ``husleie`` (the set the retrieval
            defaults were tuned on) or ``husleie-holdout`` (written afterwards, never tuned on).
    """
    dataset = ROOT / "configs" / "datasets" / f"{dataset_name}.jsonl"
    corpus = ROOT / "data" / "lovdata" / "realestate-sections.jsonl"
    if not dataset.exists() or not corpus.exists():
        print(f"skipping {dataset_name}: {dataset} or {corpus} is missing")
        return None
    records = [json.loads(line) for line in dataset.open(encoding="utf-8") if line.strip()]
    records = [r for r in records if r.get("gold_ids")]
    return QuestionSet(
        f"{dataset_name} → realestate-sections",
        corpus,
        {r["id"]: r["question"] for r in records},
        {r["id"]: set(r["gold_ids"]) for r in records},
        ChunkingSettings(strategy="none"),
    )


def norquad_set(workdir: Path) -> QuestionSet | None:
    """NorQuAD validation: each question against the pool of all its unique passages."""
    path = SHARED / "norquad" / "validation.jsonl"
    if not path.exists():
        print(f"skipping NorQuAD: {path} is missing (reads ../shared/data)")
        return None
    passages: dict[str, dict[str, str]] = {}
    questions: dict[str, str] = {}
    gold: dict[str, set[str]] = {}
    for line in path.open(encoding="utf-8"):
        record = json.loads(line)
        passage_id = "ctx-" + hashlib.sha256(record["context"].encode()).hexdigest()[:12]
        passages[passage_id] = {
            "id": passage_id,
            "title": record.get("title", ""),
            "text": record["context"],
            "source": "NorQuAD",
        }
        questions[record["id"]] = record["question"]
        gold[record["id"]] = {passage_id}
    corpus = workdir / "norquad-validation-passages.jsonl"
    corpus.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in passages.values())
    if not corpus.exists() or corpus.read_text(encoding="utf-8") != text:
        corpus.write_text(text, encoding="utf-8")
    # Passages run to ~3,600 characters: one chunk each, as the question set defines them.
    return QuestionSet(
        f"NorQuAD validation ({len(passages)} passages)",
        corpus,
        questions,
        gold,
        ChunkingSettings(strategy="none"),
    )


def evaluate(
    questions: QuestionSet, method: Method, progress: Callable[[int, int], None] | None = None
) -> dict[str, float]:
    """recall@1/5/10 and MRR of one method on one question set."""
    source = CorpusSource(
        questions.name.split()[0],
        (questions.corpus,),
        chunking=questions.chunking,
        index=method.index,
    )
    retriever = open_retriever(source, method.mode, progress=progress)
    run: dict[str, list[str]] = {}
    for qid, question in questions.questions.items():
        ranked = [document_id(hit.chunk) for hit in retriever.search(question, k=DEPTH * 2)]
        run[qid] = list(dict.fromkeys(ranked))[:DEPTH]
    table = {f"recall@{k}": mean_recall_at_k(run, questions.gold, k) for k in (1, 5, 10)}
    table["mrr"] = mean_reciprocal_rank(run, questions.gold)
    return table
