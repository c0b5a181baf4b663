"""Inspect AI's side of bench_harness, run by ``.venv-inspect/bin/python`` (Inspect's pins
conflict with kilab's, so it has its own environment; this file imports nothing of kilab).

A worker of bench_harness's protocol: after a 2-sample warm-up eval (imports, provider
set-up) it prints ``{"ready": true}``, then reads one JSON line per measurement, ``{"dataset":
JSONL, "concurrency": C, …}``, runs one task of the dataset's questions as single-turn samples
(solver ``generate()``, scorer ``includes()``) against the model server at --base-url with
max_connections = max_samples = C, and prints one JSON line: wall and CPU seconds of that eval
(this process's own) and the samples. EOF ends it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from typing import Any

WARMUP = 2


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    args = parser.parse_args()

    from inspect_ai import Task, eval
    from inspect_ai.dataset import Sample
    from inspect_ai.model import GenerateConfig, get_model
    from inspect_ai.scorer import includes
    from inspect_ai.solver import generate

    def run(questions: list[str], concurrency: int, logs: str) -> dict[str, Any]:
        model = get_model(
            "openai/bench",
            base_url=args.base_url,
            api_key="bench",
            responses_api=False,
            config=GenerateConfig(max_connections=concurrency, max_retries=0),
            memoize=False,
        )
        samples = [Sample(input=question, target="seks") for question in questions]
        task = Task(dataset=samples, solver=generate(), scorer=includes())
        started, cpu = time.perf_counter(), time.process_time()
        [log] = eval(task, model=model, display="none", log_dir=logs, max_samples=concurrency)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        done = log.samples or []  # read lazily from the log file: before it is deleted
        errors = sum(1 for s in done if s.error) + (0 if log.status == "success" else 1)
        if errors or len(done) != len(questions):
            raise RuntimeError(f"Inspect AI: {errors} errors, {len(done)} samples")
        return {"wall_s": wall, "cpu_s": cpu, "cases": len(done)}

    with tempfile.TemporaryDirectory() as logs:
        run([f"Oppvarming {i}" for i in range(WARMUP)], 2, logs)
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            ask = json.loads(line)
            with open(ask["dataset"], encoding="utf-8") as handle:
                questions = [json.loads(row)["question"] for row in handle]
            print(json.dumps(run(questions, ask["concurrency"], logs)), flush=True)


if __name__ == "__main__":
    main()
