"""The minimal bm25s script that ``kilab search`` is measured against (bench_commands):
``python benchmarks/bm25s_search.py CORPUS.jsonl INDEX_DIR QUESTION``.

Like ``kilab search --mode bm25 -k 5`` with a warm cache: load the index saved in INDEX_DIR
(built and saved there on the first call), tokenize the question with Norwegian stop words
and the Snowball stemmer, print the 5 best sections' scores and titles.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import bm25s
import Stemmer


def main(corpus: Path, folder: Path, question: str) -> None:
    stemmer = Stemmer.Stemmer("norwegian")
    if not (folder / "params.index.json").exists():
        with corpus.open(encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle]
        texts = [f"{r.get('title', '')}\n{r.get('text', '')}" for r in rows]
        tokens = bm25s.tokenize(
            texts, stopwords="no", stemmer=stemmer.stemWords, show_progress=False
        )
        model = bm25s.BM25()
        model.index(tokens, show_progress=False)
        model.save(str(folder), corpus=[{"title": r.get("title", "")} for r in rows])
    model = bm25s.BM25.load(str(folder), load_corpus=True)
    query = bm25s.tokenize(
        [question], stopwords="no", stemmer=stemmer.stemWords, show_progress=False
    )
    docs, scores = model.retrieve(query, k=5, show_progress=False)
    for doc, score in zip(docs[0], scores[0], strict=True):
        print(f"{score:6.2f}  {doc['title']}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
