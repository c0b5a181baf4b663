"""Fixtures for telemetry tests: an in-memory span exporter, small husleie datasets, and a
husleie project whose roles talk to a respx-mocked OpenAI-compatible endpoint."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import structlog
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from kilab.agents.resilience import reset_limits
from kilab.agents.testing import completion
from kilab.core.telemetry import TelemetrySettings
from kilab.core.telemetry.logs import reset_logging
from kilab.core.telemetry.traces import configure_tracing, shutdown_tracing

ROOT = Path(__file__).resolve().parents[2]
HUSLEIE = ROOT / "configs" / "datasets" / "husleie.jsonl"
MOCK_BASE = "http://llm.test/v1"
MOCK_KEY_ENV = "KILAB_MOCK_LLM_ACCESS"  # a name that does not say KEY: found via the profile


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    reset_limits()
    yield
    shutdown_tracing()
    structlog.reset_defaults()
    reset_logging()


@pytest.fixture
def spans() -> InMemorySpanExporter:
    """Tracing on, every finished span kept in memory."""
    exporter = InMemorySpanExporter()
    configure_tracing(TelemetrySettings(traces=("store",)), [exporter])
    return exporter


def write_dataset(path: Path, n: int, extra: list[dict[str, object]] | None = None) -> Path:
    """The first ``n`` husleie cases (and ``extra`` ones) as a dataset file."""
    lines = HUSLEIE.read_text(encoding="utf-8").splitlines()[:n]
    lines += [json.dumps(case, ensure_ascii=False) for case in extra or []]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def mocked_configs(configs: Path) -> Path:
    """The project's configs with drafter and reviewer on an OpenAI-compatible profile that
    respx answers (see ``tests/agents`` for the wire format)."""
    for agent in ("drafter", "reviewer"):
        path = configs / "agents" / f"{agent}.yaml"
        text = path.read_text(encoding="utf-8")
        assert "model: offline" in text
        path.write_text(text.replace("model: offline", "model: mocked"), encoding="utf-8")
    models = configs / "models.yaml"
    models.write_text(
        models.read_text(encoding="utf-8").rstrip("\n")
        + "\n  mocked:\n"
        + "    provider: openai-compatible\n"
        + "    model: test-model\n"
        + f"    base_url: {MOCK_BASE}\n"
        + f"    api_key_env: {MOCK_KEY_ENV}\n"
        + "    retry_base_delay_s: 0.001\n"
        + "    price_input_per_mtok: 1.0\n"
        + "    price_output_per_mtok: 2.0\n",
        encoding="utf-8",
    )
    return configs


def husleie_reply(body: dict[str, object]) -> dict[str, object]:
    """The chat completion an OpenAI-compatible model gives the husleie roles: the reviewer
    (structured output) approves, the drafter answers citing the first source it was shown."""
    if "response_format" in body or "tools" in body:
        verdict = {"verdict": "approved", "findings": []}
        return completion(
            json.dumps(verdict),
            tool_args=verdict if "tools" in body else None,
            prompt_tokens=400,
            completion_tokens=12,
        )
    messages = body["messages"]
    assert isinstance(messages, list)
    found = re.search(r'<kilde id="([^"]+)"', str(messages[-1]["content"]))
    cited = f" [{found.group(1)}]" if found else ""
    return completion(f"Seks måneders leie.{cited}", prompt_tokens=900, completion_tokens=60)


def eval_exporting_to(
    endpoint: str,
    pilot: Path,
    dataset: Path,
    home: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path = ROOT,
) -> subprocess.CompletedProcess[str]:
    """``kilab eval PILOT --variants bm25 --dataset DATASET ARGS`` in a subprocess that exports its
    spans to ``endpoint`` by the standard ``OTEL_EXPORTER_OTLP_ENDPOINT`` alone: no other
    ``OTEL_*`` or ``KILAB_*`` setting of this process reaches it; state under ``home``."""
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "KILAB_"))},
        "KILAB_HOME": str(home),
        "KILAB_CACHE": str(home / "cache"),
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "NO_COLOR": "1",
        **(env or {}),
    }
    command = [sys.executable, "-m", "kilab", "eval", str(pilot), "--variants", "bm25"]
    command += ["--dataset", str(dataset), "--store", str(home / "runs.sqlite"), *args]
    return subprocess.run(
        command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=300, check=False
    )
