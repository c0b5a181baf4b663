"""The one factory that turns a model profile into a langchain-openai chat model.

Keys come only from the environment variables a profile names; they are wrapped in
``SecretStr`` at once and never logged, cached or put in an error message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from kilab.agents.httpclients import shared_clients
from kilab.agents.profiles import ModelProfile
from kilab.core.errors import UserError
from kilab.core.settings import environment_value, settings

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel


# Local and most self-hosted servers want no key, but the OpenAI client insists on one.
_NO_KEY = "not-needed"


def _env(name: str, what: str) -> str:
    value = environment_value(name)
    if not value:
        raise UserError(f"environment variable {name} is not set ({what})")
    return value


def _key(profile: ModelProfile, required: bool) -> SecretStr:
    if profile.api_key_env:
        if required or environment_value(profile.api_key_env):
            return SecretStr(_env(profile.api_key_env, f"the API key of {profile.provider!r}"))
    elif required:
        raise UserError(f"profile with provider {profile.provider!r} names no api_key_env")
    return SecretStr(_NO_KEY)


OPENAI_DEFAULT_URL = "https://api.openai.com/v1"


def endpoint_of(profile: ModelProfile) -> str:
    """Where the profile's requests go: part of the cache key, never a secret.

    It is the URL the chat model is built with (``chat_model`` passes it on), so that a reply
    cached from one server is never served for another: for provider ``openai`` without a
    ``base_url`` that is ``OPENAI_BASE_URL`` when set, which the SDK would otherwise read
    behind kilab's back. A local server that kilab starts changes port from run to run, so
    its identity is the model file; a server named by ``KILAB_LOCAL_BASE_URL`` is its URL.
    """
    if profile.provider == "local":
        external = settings().local_base_url
        return external.rstrip("/") if external else f"local:{profile.gguf or profile.model}"
    if profile.provider == "azure":
        if profile.azure_endpoint_env:
            return _env(profile.azure_endpoint_env, "the Azure OpenAI endpoint").rstrip("/")
        return (profile.base_url or "").rstrip("/")
    if profile.base_url:
        return profile.base_url.rstrip("/")
    if profile.provider == "openai":
        return (settings().openai_base_url or OPENAI_DEFAULT_URL).rstrip("/")
    return ""


def chat_model(profile: ModelProfile) -> BaseChatModel:
    """A chat model for any profile but ``offline``.

    Args:
        profile: The profile to reach.

    Raises:
        UserError: For the offline profile, a missing variable or a missing base URL.
    """
    if profile.provider == "offline":
        raise UserError("the offline profile has no chat model; its roles run without one")
    # Here, not at the top: endpoint_of (cache keys) needs none of it.
    from langchain_openai import AzureChatOpenAI, ChatOpenAI

    http_client, http_async_client = shared_clients(profile)
    common: dict[str, Any] = {
        # Classic httpx clients (the SDK accepts them): the project pins httpx, and respx
        # tests the wire format through them. One pool per profile, shared by its chat models.
        "http_client": http_client,
        "http_async_client": http_async_client,
        "temperature": profile.temperature,
        "max_tokens": profile.max_tokens,
        "timeout": profile.timeout_s,
        "max_retries": 0,  # retries are ours: kilab.agents.resilience
        "stream_usage": True,
    }
    if profile.provider == "azure":
        return AzureChatOpenAI(
            azure_deployment=profile.model,
            azure_endpoint=endpoint_of(profile),
            api_version=profile.api_version,
            api_key=_key(profile, required=True),
            **common,
        )
    # The URL the cache key names (endpoint_of), so a key and its request never disagree.
    url = profile.base_url if profile.provider == "local" else endpoint_of(profile)
    if profile.provider == "local" and url is None:
        from kilab.agents.local.server import ensure_server

        url = ensure_server(profile)
    if profile.provider in ("openai-compatible", "local") and not url:
        raise UserError(f"profile with provider {profile.provider!r} needs a base_url")
    return ChatOpenAI(
        model=profile.model or "default",
        base_url=url,
        api_key=_key(profile, required=profile.provider == "openai"),
        **common,
    )
