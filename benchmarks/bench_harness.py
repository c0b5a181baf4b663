"""Harness throughput against a real local OpenAI-compatible server with a fixed 100 ms delay.

One run, side by side, at concurrency 1, 8, 32 and 64:

* ideal: concurrency ÷ delay;
* bare: an asyncio loop over the ``openai`` client, one chat call per case, nothing else;
  the practical limit here, as client and server share the machine's cores;
* graph: the compiled pilot graph (BM25 retrieve → LLM drafter) invoked directly;
* harness: ``kilab``'s harness on the same pilot with everything on: SQLite store writes,
  every metric, the rich progress bar; results are recomputed (``use_cache=False``).

The pilot's graph also retrieves (BM25 and passage scoring), which the bare loop does not.
So a second table runs graph and harness on a graph of just the LLM drafter node, with the
passages given: exactly one model call and nothing else, like the bare loop; there the
distance to the bare loop is the cost of LangGraph, the model client and the harness alone.

Also: the harness's overhead per case over invoking the compiled graph directly.
Every case makes exactly one model call (checked against the server's request count).
"""

from __future__ import annotations

import asyncio
import gc
import io
import json
import multiprocessing
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path

DELAY_S = 0.1
LEVELS = (1, 8, 32, 64)
CASES_AT = {1: 40, 8: 200, 32: 200, 64: 200}
ANSWER = "Utleieren kan kreve depositum på opptil seks måneders leie. [mini#1]"
_BODY = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 0,
        "model": "bench",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": ANSWER},
            }
        ],
        "usage": {"prompt_tokens": 60, "completion_tokens": 20, "total_tokens": 80},
    }
).encode()
_RESPONSE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
    b"content-length: " + str(len(_BODY)).encode() + b"\r\n\r\n" + _BODY
)


# ---------------------------------------------------------------- the server (own process)


def _serve(port_out: Connection, requests: Synchronized) -> None:  # type: ignore[type-arg]
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length:
                    await reader.readexactly(length)
                await asyncio.sleep(DELAY_S)
                with requests.get_lock():
                    requests.value += 1
                writer.write(_RESPONSE)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        # A deep listen queue, or connections are refused at high concurrency.
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)
        port_out.send(server.sockets[0].getsockname()[1])
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# ---------------------------------------------------------------- the three contenders


async def _bounded(n: int, concurrency: int, one: Callable[[int], Awaitable[object]]) -> float:
    """Run ``one(i)`` for i < n with at most ``concurrency`` in flight; cases per second."""
    queue = iter(range(n))

    async def worker() -> None:
        for i in queue:
            await one(i)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return n / (time.perf_counter() - started)


async def bare_loop(base_url: str, questions: list[str], concurrency: int) -> float:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0)

    async def one(i: int) -> None:
        await client.chat.completions.create(
            model="bench", messages=[{"role": "user", "content": questions[i]}]
        )

    try:
        return await _bounded(len(questions), concurrency, one)
    finally:
        await client.close()


async def graph_direct(project: object, questions: list[str], concurrency: int) -> float:
    from kilab.graphs.compiler import compile_pilot
    from kilab.graphs.project import Project
    from kilab.graphs.runner import arun_question

    assert isinstance(project, Project)
    compiled = await asyncio.to_thread(compile_pilot, project, "mini", "baseline", use_cache=False)
    await arun_question(compiled, questions[0])  # warm: index and client

    async def one(i: int) -> None:
        await arun_question(compiled, questions[i])

    return await _bounded(len(questions), concurrency, one)


async def full_harness(project: object, dataset: Path, store_path: Path, concurrency: int) -> float:
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

    options = EvalOptions(dataset=dataset, concurrency=concurrency, use_cache=False)
    harness = Harness.prepare(project, "mini", store, options)
    await harness.compile()
    started = time.perf_counter()
    with bar:
        report = await harness.run(Sink())
    elapsed = time.perf_counter() - started
    store.close()
    assert report.computed == len(report.results) and not any(r.error for r in report.results)
    return len(report.results) / elapsed


# ---------------------------------------------------------------- set-up and table

_DRAFTER_ONLY_GRAPH = (
    "kind: graph\nname: mini-rag\nnodes:\n  draft: {agent: given-drafter}\n"
    "edges: [[START, draft], [draft, END]]\n"
)
_registered = False


def _register_given_drafter() -> None:
    """Register ``given-drafter``: the pilot's drafter node, handed fixed passages."""
    global _registered
    if _registered:
        return
    _registered = True
    from typing import Any

    from kilab.agents.drafter import DrafterSettings
    from kilab.evals.testing import PASSAGES
    from kilab.graphs import registry
    from kilab.graphs.context import AgentBinding, BuildContext
    from kilab.graphs.nodes.convert import passage
    from kilab.graphs.nodes.roles import build_drafter
    from kilab.graphs.state import GraphState

    given = [passage(id, title, text, "", "bench", 1.0, 1.0) for id, title, text in PASSAGES[:3]]

    class GivenPassages:
        def __init__(self, node: Any) -> None:
            self.node = node

        def invoke(self, state: GraphState) -> dict[str, Any]:
            update: dict[str, Any] = self.node.invoke({**state, "passages": given})
            return {**update, "passages": given}

        async def ainvoke(self, state: GraphState) -> dict[str, Any]:
            update: dict[str, Any] = await self.node.ainvoke({**state, "passages": given})
            return {**update, "passages": given}

    @registry.role("given-drafter", DrafterSettings)
    def build(context: BuildContext, agent: AgentBinding, settings: DrafterSettings) -> Any:
        """The drafter, with three fixed passages instead of a retrieval step (benchmark)."""
        return GivenPassages(build_drafter(context, agent, settings))


def _project(
    folder: Path, port: int, cases: int, *, drafter_only: bool = False
) -> tuple[object, Path, list[str]]:
    from kilab.evals.testing import CASES, write_mini_project
    from kilab.graphs.project import load_project

    models = (
        "kind: models\nprofiles:\n  offline: {provider: offline}\n"
        "  bench:\n    provider: openai-compatible\n    model: bench\n"
        f"    base_url: http://127.0.0.1:{port}/v1\n    api_key_env: KILAB_BENCH_KEY\n"
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
    if drafter_only:
        _register_given_drafter()
        drafter = (folder / "agents" / "drafter.yaml").read_text(encoding="utf-8")
        (folder / "agents" / "given-drafter.yaml").write_text(
            drafter.replace(
                "name: drafter\nrole: drafter", "name: given-drafter\nrole: given-drafter"
            ),
            encoding="utf-8",
        )
        (folder / "graphs" / "mini-rag.yaml").write_text(_DRAFTER_ONLY_GRAPH, encoding="utf-8")
        pilot = folder / "pilots" / "mini.yaml"  # its k1 variant tunes the retrieve node
        text = pilot.read_text(encoding="utf-8")
        pilot.write_text(text.replace("  k1: {nodes: {retrieve: {k: 1}}}\n", ""), encoding="utf-8")
    answerable = [c for c in CASES if c.get("expect", "answer") == "answer"]
    dataset = folder / "datasets" / f"bench-{cases}.jsonl"
    questions = []
    with dataset.open("w", encoding="utf-8") as handle:
        for i in range(cases):
            case = dict(answerable[i % len(answerable)])
            case["id"] = f"bench-{i:03d}"
            case["question"] = f"{case['question']} (sak {i})"
            questions.append(str(case["question"]))
            handle.write(json.dumps(case, ensure_ascii=False) + "\n")
    os.environ["KILAB_BENCH_KEY"] = "bench"
    os.environ["KILAB_CACHE"] = str(folder / "cache")
    return load_project([folder], root=folder), dataset, questions


def main() -> None:
    """Print the throughput table (cases per second) and the harness's overhead per case."""
    ctx = multiprocessing.get_context("spawn")
    requests = ctx.Value("i", 0)
    receive, send = ctx.Pipe(duplex=False)
    server = ctx.Process(target=_serve, args=(send, requests), daemon=True)
    server.start()
    port = receive.recv()
    base_url = f"http://127.0.0.1:{port}/v1"
    print(
        f"OpenAI-compatible server on 127.0.0.1:{port}, {DELAY_S * 1000:.0f} ms per call; "
        "client and server share this machine's cores",
        flush=True,
    )
    rows: list[tuple[int, int, float, float, float, float]] = []
    drafter_rows: list[tuple[int, int, float, float, float, float]] = []
    overhead_ms = float("nan")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for level in LEVELS:
                n = CASES_AT[level]
                bare = 0.0
                for drafter_only, table in ((False, rows), (True, drafter_rows)):
                    folder = Path(tmp) / f"c{level}{'-drafter' if drafter_only else ''}"
                    project, dataset, questions = _project(
                        folder, port, n, drafter_only=drafter_only
                    )
                    if not drafter_only:
                        bare = asyncio.run(bare_loop(base_url, questions, level))
                    gc.collect()
                    before = requests.value
                    graph = asyncio.run(graph_direct(project, questions, level))
                    gc.collect()
                    graph_calls = requests.value - before - 1  # minus the warm-up call
                    before = requests.value
                    harness = asyncio.run(
                        full_harness(project, dataset, folder / "runs.sqlite", level)
                    )
                    harness_calls = requests.value - before
                    # Collect the contenders' clients now, with no loop running: collected
                    # during a later run, they would try to close on the wrong loop.
                    gc.collect()
                    assert graph_calls == n == harness_calls, (graph_calls, harness_calls, n)
                    table.append((level, n, level / DELAY_S, bare, graph, harness))
                    if level == 1 and not drafter_only:
                        overhead_ms = (1 / harness - 1 / graph) * 1000
                print(f"  concurrency {level:>2}: done ({n} cases each)", flush=True)
    finally:
        server.terminate()
        server.join()
    for title, table in (
        ("pilot graph: BM25 retrieve → LLM drafter", rows),
        ("one LLM drafter node, passages given (one model call, no retrieval)", drafter_rows),
    ):
        _print_table(title, table)
    print(
        f"\nharness overhead per case over the compiled graph at concurrency 1: "
        f"{overhead_ms:+.1f} ms (store write, metrics, progress)"
    )
    for title, table in (("pilot", rows), ("drafter only", drafter_rows)):
        at32 = next(r for r in table if r[0] == 32)
        ratio = at32[5] / at32[3]
        print(
            f"target: harness ≥ 0.8 × bare at 32 ({title}) → {ratio:.2f} × "
            f"({'met' if ratio >= 0.8 else 'NOT met'})"
        )


def _print_table(title: str, rows: list[tuple[int, int, float, float, float, float]]) -> None:
    print(f"\n{title}")
    print(
        f"{'conc':>4} {'cases':>5} {'ideal/s':>8} {'bare/s':>7} {'graph/s':>8} "
        f"{'harness/s':>9} {'harness÷bare':>12} {'harness÷graph':>13}"
    )
    for level, n, ideal, bare, graph, harness in rows:
        print(
            f"{level:>4} {n:>5} {ideal:>8.0f} {bare:>7.1f} {graph:>8.1f} {harness:>9.1f} "
            f"{harness / bare:>12.2f} {harness / graph:>13.2f}"
        )


if __name__ == "__main__":
    main()
