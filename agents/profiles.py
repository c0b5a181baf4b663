"""Model profiles: how to reach a chat model, named once in ``configs/models.yaml``.

A profile holds the *names* of environment variables, never secret values.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Provider = Literal["offline", "openai", "azure", "openai-compatible", "local"]

_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
# Shapes of real credentials: OpenAI/Azure style prefixes, JWTs, long opaque tokens.
_SECRET_SHAPES = re.compile(r"^(sk-|sk_|eyJ|Bearer\s)|^[A-Za-z0-9_\-+/=]{32,}$")


class ModelProfile(BaseModel):
    """One way of reaching a chat model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: Provider
    model: str = Field("", description="Model name (or Azure deployment) sent to the endpoint.")
    base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible endpoint.")
    api_key_env: str | None = Field(
        None, description="Name of the environment variable with the key."
    )
    azure_endpoint_env: str | None = Field(None, description="Variable holding the Azure endpoint.")
    api_version: str | None = Field(None, description="Azure OpenAI API version.")
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    max_tokens: int | None = Field(None, gt=0)
    timeout_s: float = Field(60.0, gt=0)
    max_retries: int = Field(4, ge=0, le=10)
    retry_base_delay_s: float = Field(
        0.5, gt=0, description="First backoff delay; doubles per retry, with jitter."
    )
    max_concurrency: int = Field(8, ge=1)
    requests_per_minute: int | None = Field(None, gt=0)
    price_input_per_mtok: float = Field(0.0, ge=0, description="Price per million input tokens.")
    price_output_per_mtok: float = Field(0.0, ge=0, description="Price per million output tokens.")
    gguf: str | None = Field(None, description="Local model name, for provider 'local'.")
    stream: bool = Field(False, description="Stream replies (text calls only).")
    structured_method: Literal["json_schema", "function_calling", "json_mode"] | None = Field(
        None, description="Force one structured-output method instead of trying them in turn."
    )
    context_size: int = Field(4096, gt=0, description="Local: the llama.cpp context window.")
    threads: int | None = Field(
        None, gt=0, description="Local: CPU threads (default: half the cores)."
    )

    @field_validator("api_key_env", "azure_endpoint_env")
    @classmethod
    def _names_not_secrets(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if _SECRET_SHAPES.search(value) or not _ENV_NAME.match(value):
            raise ValueError(
                "must be the NAME of an environment variable (like AZURE_OPENAI_API_KEY), "
                "never the secret itself"
            )
        return value
