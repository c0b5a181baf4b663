"""The shared service as a user runs it, for tests and benchmarks ("fakes ship with the package").

``write_service_project`` writes the mini project with three pilots (offline, with a person's
approval, and with a drafter behind an OpenAI-compatible server); ``promote_all`` evaluates
and promotes them with the CLI; ``start_replica`` runs ``kilab api serve`` as a subprocess on
a free port of 127.0.0.1 and waits for ``/readyz``; ``create_key`` calls ``kilab api keys
create --json``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from kilab.evals.testing import write_mini_project

APPROVAL_GRAPH = """kind: graph
name: mini-godkjenn
nodes:
  retrieve: {tool: search, with: {corpus: mini, k: 3, mode: bm25}}
  draft: {agent: drafter}
  approve: {tool: human-approval, with: {prompt: "Godkjenn svaret.", eval_policy: approve}}
edges: [[START, retrieve], [retrieve, draft], [draft, approve]]
routes:
  approve: {approved: END, revise: draft, reject: END}
limits: {draft: 2}
"""
GATES = "gates:\n  pilot:\n    min_cases: 5\n    min: {recall@3: 0.3}\n    zero: [pii_leaks]\n"
METRICS = "metrics: [recall@3, citation_precision, grounding, decline_accuracy, pii_leaks]\n"
FAKE_KEY_ENV = "KILAB_FAKE_MODEL_KEY"


def models_yaml(fake_base_url: str) -> str:
    return (
        "kind: models\nprofiles:\n  offline: {provider: offline}\n"
        "  fake:\n    provider: openai-compatible\n    model: fake\n"
        f"    base_url: {fake_base_url}\n    api_key_env: {FAKE_KEY_ENV}\n    max_retries: 0\n"
        "    max_concurrency: 64\n"
        "    price_input_per_mtok: 1.0\n    price_output_per_mtok: 2.0\n"
    )


@dataclass(frozen=True)
class Promoted:
    """A project whose pilots were evaluated and promoted to ``pilot`` by the CLI."""

    home: Path
    configs: Path
    log: Path

    def records(self) -> dict[str, dict[str, Any]]:
        lines = self.log.read_text(encoding="utf-8").splitlines()
        return {r["pilot"]: r for r in map(json.loads, lines)}


def write_service_project(folder: Path, fake_base_url: str) -> Path:
    """The mini pilot (offline), ``mini-godkjenn`` (a person approves each answer) and
    ``mini-modell`` (the drafter is a model behind the fake OpenAI-compatible server)."""
    configs = folder / "configs"
    write_mini_project(configs, models_yaml=models_yaml(fake_base_url))
    (configs / "graphs" / "mini-godkjenn.yaml").write_text(APPROVAL_GRAPH, encoding="utf-8")
    pilots = configs / "pilots"
    (pilots / "mini-godkjenn.yaml").write_text(
        "kind: pilot\nname: mini-godkjenn\ngraph: mini-godkjenn\ndataset: ../datasets/mini.jsonl\n"
        "variants:\n  baseline: {}\n" + METRICS + GATES,
        encoding="utf-8",
    )
    (pilots / "mini-modell.yaml").write_text(
        "kind: pilot\nname: mini-modell\ngraph: mini-rag\ndataset: ../datasets/mini.jsonl\n"
        "variants:\n  baseline: {agents: {drafter: {model: fake}}}\n" + METRICS + GATES,
        encoding="utf-8",
    )
    return configs


def run_kilab(
    *args: str, home: Path, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``python -m kilab ARGS`` with its state under ``home``, as a user runs it."""
    home.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "kilab", *args],
        cwd=home,
        env=service_env(home, env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def promote_all(home: Path, configs: Path) -> Promoted:
    """``kilab eval`` then ``kilab promote --to pilot`` for every pilot, as a user does."""
    env: dict[str, str] = {}
    for pilot in ("mini", "mini-godkjenn", "mini-modell"):
        path = str(configs / "pilots" / f"{pilot}.yaml")
        for args in (("eval", path, "--variants", "baseline"), ("promote", path, "--to", "pilot")):
            done = run_kilab(*args, home=home, env=env)
            if done.returncode != 0:
                raise RuntimeError(f"kilab {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return Promoted(home=home, configs=configs, log=home / "promotions.jsonl")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Replica:
    """One ``kilab api serve`` process."""

    process: subprocess.Popen[str]
    url: str
    log_file: Path
    name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def v1(self) -> str:
        return f"{self.url}/v1"

    def output(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """SIGKILL: the replica dies at once, mid-request, without cleaning up."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


def service_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {
        **os.environ,
        "KILAB_HOME": str(home),
        "KILAB_CACHE": str(home / "cache"),
        "NO_COLOR": "1",
        "COLUMNS": "200",
        FAKE_KEY_ENV: "fake",
        **(extra or {}),
    }


def start_replica(
    promoted: Promoted,
    home: Path,
    env: Mapping[str, str] | None = None,
    *args: str,
    name: str = "",
) -> Replica:
    """Start ``kilab api serve`` on a free port and wait until ``/readyz`` answers ready.

    Raises:
        RuntimeError: The process ended before it was ready (its output is in the message).
    """
    port = free_port()
    home.mkdir(parents=True, exist_ok=True)
    log_file = home / f"serve-{port}.log"
    command = [
        sys.executable,
        "-m",
        "kilab",
        "api",
        "serve",
        "--port",
        str(port),
        "--configs",
        str(promoted.configs),
        "--log",
        str(promoted.log),
        *(["--replica", name] if name else []),
        *args,
    ]
    with log_file.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            command,
            cwd=home,
            env=service_env(home, env),
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    replica = Replica(process, f"http://127.0.0.1:{port}", log_file, name)
    deadline = time.monotonic() + 120  # a start-up bound on a loaded machine, not a measurement
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"kilab api serve ended ({process.returncode}):\n{replica.output()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{replica.url}/readyz", timeout=5).status_code == 200:
                return replica
        time.sleep(0.2)
    replica.stop()
    raise RuntimeError(f"kilab api serve was not ready in time:\n{replica.output()}")


@contextlib.contextmanager
def serving(
    promoted: Promoted, home: Path, env: Mapping[str, str] | None = None, *args: str, name: str = ""
) -> Iterator[Replica]:
    replica = start_replica(promoted, home, env, *args, name=name)
    try:
        yield replica
    finally:
        replica.stop()


def create_key(
    home: Path, env: Mapping[str, str] | None, tenant: str, *args: str
) -> dict[str, Any]:
    """``kilab api keys create --tenant TENANT --json``: the stored key with its secret."""
    done = run_kilab(
        "api", "keys", "create", "--tenant", tenant, "--json", *args, home=home, env=env
    )
    if done.returncode != 0:
        raise RuntimeError(f"kilab api keys create failed:\n{done.stdout}{done.stderr}")
    created: dict[str, Any] = json.loads(done.stdout)
    return created


def sse_events(response: httpx.Response) -> list[Any]:
    """The ``data:`` payloads of a server-sent event stream, as the wire carries them."""
    events: list[Any] = []
    for line in response.iter_lines():
        if not line.startswith("data: "):
            if line:
                raise ValueError(f"not an SSE data line: {line!r}")
            continue
        data = line.removeprefix("data: ")
        events.append(data if data == "[DONE]" else json.loads(data))
    return events
