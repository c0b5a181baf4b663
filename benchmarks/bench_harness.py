"""Harness throughput beside its peers: 200 single-call cases against a real local
OpenAI-compatible server (``benchmarks.model_server``, its own process) with a fixed 100 ms
delay, at 8, 32 and 64 cases in flight:

* bare: an asyncio loop over the ``openai`` client (one shared ``AsyncOpenAI``), one chat
  call per case and nothing else: the practical limit, as client and server share the cores;
* langgraph: ``abatch`` (``max_concurrency`` = C) over a one-node graph calling the same
  model through langchain-openai's ``ChatOpenAI`` (one shared instance);
* langgraph-pilot: the same, in the pilot's shape: a node returning three fixed passages,
  then a node sending the drafter's messages (its system prompt, the question and the
  passages, built by ``kilab.agents.messages``): what any harness on LangGraph and
  ``ChatOpenAI`` pays for this pilot before it retrieves, scores or stores anything;
* inspect: Inspect AI (``generate()`` and ``includes()``) in its own environment
  (``.venv-inspect``, made by ``make bench``), a worker process that times itself;
* kilab: ``kilab eval``'s harness on the pilot graph (BM25 retrieve → LLM drafter, one model
  call), timed from the run's creation (``Harness.prepare``) to its report: compiling the
  variant, SQLite store writes, every metric, the rich progress bar. Imports, the project and
  the on-disk index are warm (a warm-up run first); every run has a fresh store and fresh
  questions, so nothing is reused.

Repetitions are interleaved (each repetition runs every contender at every level, the order
rotated), figures are medians (min–max); ratios are to the bare loop of the same repetition.
Client CPU per case is the contender's process CPU time (``time.process_time``, every thread)
during the timed phase over the cases; for Inspect its worker's own. The load average is
taken at the end of each measurement. Every measurement must cost exactly one model call per
case (the server's request count), or the benchmark stops.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import (
    Findings,
    Spread,
    Target,
    Timing,
    load,
    quick,
    repetitions,
    report,
    timed,
)
from benchmarks.model_server import ModelServer

ROOT = Path(__file__).resolve().parents[1]
INSPECT_PYTHON = ROOT / ".venv-inspect" / "bin" / "python"
LEVELS = (8, 32, 64)
CONTENDERS = ("bare", "langgraph", "langgraph-pilot", "inspect", "kilab")
LABELS = {
    "bare": "bare asyncio loop over the openai client",
    "langgraph": "LangGraph `abatch`, one ChatOpenAI node",
    "langgraph-pilot": "LangGraph `abatch`, the pilot's shape (fixed passages → ChatOpenAI)",
    "inspect": "Inspect AI",
    "kilab": "kilab eval (BM25 retrieve → LLM drafter), run created → finished",
}


def cases() -> int:
    return 64 if quick() else 200


# ---------------------------------------------------------------- the contenders


async def _bounded(n: int, concurrency: int, one: Callable[[int], Awaitable[object]]) -> None:
    """Run ``one(i)`` for i < n with at most ``concurrency`` in flight."""
    queue = iter(range(n))

    async def worker() -> None:
        for i in queue:
            await one(i)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def bare_loop(base_url: str, questions: list[str], concurrency: int) -> Timing:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0)

    async def one(i: int) -> None:
        await client.chat.completions.create(
            model="bench", messages=[{"role": "user", "content": questions[i]}]
        )

    try:
        with timed() as timing:
            await _bounded(len(questions), concurrency, one)
        return timing
    finally:
        await client.close()


async def langgraph_batch(
    base_url: str, questions: list[str], concurrency: int, pilot_shape: bool = False
) -> Timing:
    from typing import TypedDict

    from langchain_openai import ChatOpenAI
    from langgraph.graph import END, START, StateGraph
    from openai import DefaultAsyncHttpxClient
    from pydantic import SecretStr

    from kilab.agents.messages import draft_messages
    from kilab.agents.role_settings import DrafterSettings

    class State(TypedDict, total=False):
        question: str
        passages: list[Any]  # LangGraph reads the hints at run time: no local names in them
        answer: str

    # A client of its own, like the bare loop's (langchain-openai would share a cached one).
    http = DefaultAsyncHttpxClient()
    model = ChatOpenAI(
        model="bench",
        base_url=base_url,
        api_key=SecretStr("bench"),
        max_retries=0,
        http_async_client=http,
    )
    passages = _fixed_passages()
    settings = DrafterSettings(max_sentences=2)  # the mini drafter's (it has no prompt file)

    async def retrieve(state: State) -> State:
        return {"passages": passages}

    async def call(state: State) -> State:
        if pilot_shape:
            sent = draft_messages(
                "",
                state["question"],
                state["passages"],
                [],
                max_sentences=settings.max_sentences,
                max_chars=settings.max_passage_chars,
            )
            reply = await model.ainvoke(sent)
        else:
            reply = await model.ainvoke(state["question"])
        return {"answer": str(reply.content)}

    graph = StateGraph(State)
    graph.add_node("call", call)
    if pilot_shape:
        graph.add_node("retrieve", retrieve)
        graph.add_edge(START, "retrieve")
        graph.add_edge("retrieve", "call")
    else:
        graph.add_edge(START, "call")
    graph.add_edge("call", END)
    compiled = graph.compile()
    inputs: list[Any] = [{"question": q} for q in questions]
    try:
        with timed() as timing:
            outputs = await compiled.abatch(inputs, config={"max_concurrency": concurrency})
    finally:
        await http.aclose()
    assert len(outputs) == len(questions) and all(o.get("answer") for o in outputs)
    return timing


async def kilab_eval(project: object, dataset: Path, store_path: Path, concurrency: int) -> Timing:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress

    from kilab.evals.harness import EvalOptions, Harness
    from kilab.evals.records import CaseResult
    from kilab.evals.store import SqliteRunStore
    from kilab.graphs.project import Project

    assert isinstance(project, Project)
    store = SqliteRunStore(store_path)
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    bar = Progress(BarColumn(), MofNCompleteColumn(), console=console)
    task = bar.add_task("eval", total=None)

    class Sink:
        def plan(self, total: int, done: int) -> None:
            bar.update(task, total=total, completed=done)

        def advance(self, result: CaseResult) -> None:
            bar.update(task, advance=1)

    options = EvalOptions(dataset=dataset, concurrency=concurrency)
    try:
        with timed() as timing, bar:
            harness = Harness.prepare(project, "mini", store, options)
            report = await harness.run(Sink())
    finally:
        store.close()
    assert report.computed == len(report.results) and not any(r.error for r in report.results)
    return timing


def _fixed_passages() -> list[Any]:
    """Three passages of the mini corpus, as the pilot's BM25 node hands them on."""
    from kilab.evals.testing import PASSAGES
    from kilab.tools.retrieval.types import passage

    return [
        passage(pid, text, title=title, source="mini", score=1.0)
        for pid, title, text in PASSAGES[:3]
    ]


class Worker:
    """One contender in a process of its own (kilab's GC, pools and loops cannot touch the
    others'), answering one JSON line per measurement: ``{"dataset", "store", "concurrency",
    "tag"}`` in, ``{"wall_s", "cpu_s", "cases"}`` out (its own clock and CPU time)."""

    def __init__(self, contender: str, command: list[str]) -> None:
        self.contender = contender
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self._read()  # {"ready": true} after its warm-up

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.contender} worker ended (exit {self.process.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def measure(self, dataset: Path, store: Path, concurrency: int, tag: str) -> Timing:
        assert self.process.stdin is not None
        ask = {"dataset": str(dataset), "store": str(store), "concurrency": concurrency}
        self.process.stdin.write(json.dumps({**ask, "tag": tag}) + "\n")
        self.process.stdin.flush()
        answer = self._read()
        return Timing(wall_s=answer["wall_s"], cpu_s=answer["cpu_s"], load=load())

    def close(self) -> None:
        """End the worker (its input closed), or kill it after a minute: never leave one."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def serve_measurements(contender: str, base_url: str, project_dir: Path) -> None:
    """A worker's loop (``python -m benchmarks.bench_harness --worker …``): warm up on the
    project's warm-up dataset, then one measurement per line of standard input."""
    project = open_project(project_dir) if contender == "kilab" else None

    async def one(ask: dict[str, Any]) -> Timing:
        dataset, concurrency = Path(ask["dataset"]), int(ask["concurrency"])
        questions = [json.loads(line)["question"] for line in dataset.open(encoding="utf-8")]
        if contender == "bare":
            return await bare_loop(base_url, questions, concurrency)
        if contender in ("langgraph", "langgraph-pilot"):
            pilot_shape = contender == "langgraph-pilot"
            return await langgraph_batch(base_url, questions, concurrency, pilot_shape)
        return await kilab_eval(project, dataset, Path(ask["store"]), concurrency)

    warm = project_dir / "datasets" / "bench-warm-up.jsonl"
    asyncio.run(
        one({"dataset": warm, "store": project_dir / f"warm-{contender}.sqlite", "concurrency": 4})
    )
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        ask = json.loads(line)
        gc.collect()
        timing = asyncio.run(one(ask))
        print(json.dumps({"wall_s": timing.wall_s, "cpu_s": timing.cpu_s}), flush=True)


def inspect_absent_reason() -> str | None:
    """Why Inspect AI cannot run here, or None when its environment is there."""
    if not INSPECT_PYTHON.exists():
        return f"{INSPECT_PYTHON.relative_to(ROOT)} is absent (`make bench` creates it)"
    probe = subprocess.run(
        [str(INSPECT_PYTHON), "-c", "import inspect_ai"], capture_output=True, text=True
    )
    if probe.returncode:
        return f"inspect_ai does not import: {probe.stderr.strip().splitlines()[-1]}"
    return None


# ---------------------------------------------------------------- set-up


def write_project(folder: Path, base_url: str) -> object:
    """The mini pilot on the bench model: retrieve → draft, one model call a case."""
    from kilab.evals.testing import write_mini_project

    models = (
        "kind: models\nprofiles:\n  offline: {provider: offline}\n"
        "  bench:\n    provider: openai-compatible\n    model: bench\n"
        f"    base_url: {base_url}\n    api_key_env: KILAB_BENCH_KEY\n"
        "    max_concurrency: 256\n    max_retries: 0\n"
    )
    write_mini_project(folder, drafter_model="bench", models_yaml=models, gates="")
    # One model call per case: retrieve → draft, no reviewer loop.
    (folder / "graphs" / "mini-rag.yaml").write_text(
        "kind: graph\nname: mini-rag\nnodes:\n"
        "  retrieve: {tool: search, with: {corpus: mini, k: 3, mode: bm25}}\n"
        "  draft: {agent: drafter}\nedges: [[START, retrieve], [retrieve, draft], [draft, END]]\n",
        encoding="utf-8",
    )
    return open_project(folder)


def open_project(folder: Path) -> object:
    """Load the project that ``write_project`` wrote (its key and index cache in the env)."""
    from kilab.graphs.project import load_project

    os.environ["KILAB_BENCH_KEY"] = "bench"
    os.environ["KILAB_CACHE"] = str(folder / "cache")
    return load_project([folder], root=folder)


def write_dataset(folder: Path, n: int, tag: str) -> tuple[Path, list[str]]:
    """N answerable cases whose questions are new (``tag``), so no cache can answer them."""
    from kilab.evals.testing import CASES

    answerable = [c for c in CASES if c.get("expect", "answer") == "answer"]
    dataset = folder / "datasets" / f"bench-{tag}.jsonl"
    questions = []
    with dataset.open("w", encoding="utf-8") as handle:
        for i in range(n):
            case = dict(answerable[i % len(answerable)])
            case["id"] = f"bench-{i:03d}"
            case["question"] = f"{case['question']} (sak {i}, {tag})"
            questions.append(str(case["question"]))
            handle.write(json.dumps(case, ensure_ascii=False) + "\n")
    return dataset, questions


# ---------------------------------------------------------------- measuring


@dataclass
class Figures:
    """Every measurement of one contender at one level."""

    speed: Spread = field(default_factory=Spread)  # cases per second
    ratio: Spread = field(default_factory=Spread)  # ÷ the bare loop of the same repetition
    cpu_ms: Spread = field(default_factory=Spread)  # client CPU ms per case
    load: Spread = field(default_factory=Spread)


@dataclass
class Results:
    figures: dict[tuple[str, int], Figures] = field(default_factory=dict)
    absent: dict[str, str] = field(default_factory=dict)  # contender → why

    def at(self, contender: str, level: int) -> Figures:
        return self.figures.setdefault((contender, level), Figures())


def start_workers(base_url: str, project: Path, absent: dict[str, str]) -> dict[str, Worker]:
    workers: dict[str, Worker] = {}
    for contender in CONTENDERS:
        if contender in absent:
            continue
        if contender == "inspect":
            command = [str(INSPECT_PYTHON), str(ROOT / "benchmarks" / "inspect_peer.py")]
        else:
            command = [sys.executable, "-m", "benchmarks.bench_harness", "--worker", contender]
            command += ["--project", str(project)]
        workers[contender] = Worker(contender, [*command, "--base-url", base_url])
    return workers


def measure(server: ModelServer, folder: Path) -> Results:
    results = Results()
    reason = inspect_absent_reason()
    if reason:
        results.absent["inspect"] = reason
        print(f"Inspect AI: absent from the table, {reason}", flush=True)
    project = folder / "project"
    write_project(project, server.base_url)
    write_dataset(project, 4, "warm-up")
    n = cases()
    workers = start_workers(server.base_url, project, results.absent)
    try:
        for rep in range(repetitions()):
            for level in LEVELS:
                order = list(workers)
                shift = (rep + LEVELS.index(level)) % len(order)
                timings: dict[str, Timing] = {}
                for contender in order[shift:] + order[:shift]:
                    tag = f"{contender}-r{rep}-c{level}"
                    dataset, _ = write_dataset(project, n, tag)
                    before = server.requests()
                    timing = workers[contender].measure(
                        dataset, folder / f"{tag}.sqlite", level, tag
                    )
                    calls = server.requests() - before
                    if calls != n:
                        raise RuntimeError(f"{tag}: {calls} model calls for {n} cases")
                    timings[contender] = timing
                for contender, timing in timings.items():
                    figures = results.at(contender, level)
                    figures.speed.add(n / timing.wall_s)
                    figures.ratio.add(timings["bare"].wall_s / timing.wall_s)
                    figures.cpu_ms.add(timing.cpu_s / n * 1000)
                    figures.load.add(timing.load)
                shown = ", ".join(f"{c} {n / t.wall_s:.0f}/s" for c, t in timings.items())
                print(f"  rep {rep + 1} C={level}: {shown}; load {load():.2f}", flush=True)
    finally:
        for worker in workers.values():
            worker.close()
    return results


# ---------------------------------------------------------------- output


def print_table(results: Results, n: int) -> None:
    print(f"\n{n} cases a run; median (min–max) of {repetitions()} interleaved repetitions")
    print(
        f"{'contender':<10} {'C':>3} {'cases/s':>18} {'÷ bare':>18} "
        f"{'CPU ms/case':>18} {'load':>16}"
    )
    for contender in CONTENDERS:
        if contender in results.absent:
            print(f"{contender:<10}   —  absent: {results.absent[contender]}")
            continue
        for level in LEVELS:
            f = results.at(contender, level)
            print(
                f"{contender:<10} {level:>3} {f.speed.show(0):>18} {f.ratio.show(2):>18} "
                f"{f.cpu_ms.show(1):>18} {f.load.show(1):>16}"
            )


def markdown(results: Results) -> str:
    """The README's table: ratios to the bare loop, cases/s of the bare loop, CPU at C=32."""
    lines = [
        "| | C=8 | C=32 | C=64 | client CPU per case (C=32) |",
        "|---|---|---|---|---|",
    ]
    for contender in CONTENDERS:
        if contender in results.absent:
            lines.append(f"| {LABELS[contender]} | absent | absent | absent | — |")
            continue
        cells = []
        for level in LEVELS:
            f = results.at(contender, level)
            cell = f"{f.ratio.median:.2f}"
            if contender == "bare":
                cell += f" ({f.speed.median:.0f}/s)"
            cells.append(cell)
        cpu = results.at(contender, 32).cpu_ms.median
        lines.append(f"| {LABELS[contender]} | {' | '.join(cells)} | {cpu:.1f} ms |")
    return "\n".join(lines)


def targets(results: Results) -> list[Target]:
    kilab32, kilab64 = results.at("kilab", 32), results.at("kilab", 64)
    found = [
        Target(
            "kilab eval ≥ 0.8× the bare loop at C=32",
            f"{kilab32.ratio.show(2)}×",
            kilab32.ratio.median >= 0.8,
        ),
        Target(
            "kilab eval ≥ 0.7× the bare loop at C=64",
            f"{kilab64.ratio.show(2)}×",
            kilab64.ratio.median >= 0.7,
        ),
    ]
    if "inspect" in results.absent:
        found.append(Target("kilab eval ≥ 3.5× Inspect AI at C=32", "Inspect AI absent", None))
    else:
        times = kilab32.speed.median / results.at("inspect", 32).speed.median
        found.append(Target("kilab eval ≥ 3.5× Inspect AI at C=32", f"{times:.2f}×", times >= 3.5))
    cpu = kilab32.cpu_ms.median
    langgraph = results.at("langgraph", 32).cpu_ms.median
    found.append(Target("client CPU per case ≤ 4 ms (C=32)", f"{cpu:.1f} ms", cpu <= 4))
    found.append(
        Target(
            "client CPU per case ≤ 1.2× LangGraph's own (C=32)",
            f"{cpu / langgraph:.2f}× ({cpu:.1f} vs {langgraph:.1f} ms)",
            cpu <= 1.2 * langgraph,
        )
    )
    return found


def main() -> Findings:
    """Print the throughput table and the harness's targets; return the targets."""
    with ModelServer() as server, tempfile.TemporaryDirectory() as tmp:
        print(
            f"model server on 127.0.0.1:{server.port} (own process), "
            f"{server.delay_s * 1000:.0f} ms a call; {os.cpu_count()} cores shared with it; "
            f"load average {load():.2f} at the start",
            flush=True,
        )
        results = measure(server, Path(tmp))
    print_table(results, cases())
    floor = results.at("langgraph-pilot", 32).cpu_ms.median
    kilab = results.at("kilab", 32).cpu_ms.median
    print(
        f"\nAt C=32 kilab spends {kilab - floor:.1f} ms a case beyond LangGraph and ChatOpenAI "
        f"in the pilot's shape ({kilab:.1f} vs {floor:.1f} ms): retrieval, metrics, store, "
        "redaction, cache, spans, report"
    )
    table = markdown(results)
    print("\n" + table + "\n")
    return report(targets(results), table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=[c for c in CONTENDERS if c != "inspect"])
    parser.add_argument("--project", type=Path)
    parser.add_argument("--base-url")
    args = parser.parse_args()
    if args.worker:
        serve_measurements(args.worker, args.base_url, args.project)
    else:
        main()
