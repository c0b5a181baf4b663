"""Fixtures for the model roles: a profile aimed at a respx-mocked endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import respx

from kilab.agents.client import ModelClient
from kilab.agents.profiles import ModelProfile
from kilab.agents.resilience import reset_limits
from kilab.agents.testing import BASE, FAKE_KEY


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    reset_limits()


@pytest.fixture
def profile(monkeypatch: pytest.MonkeyPatch) -> ModelProfile:
    monkeypatch.setenv("KILAB_TEST_KEY", FAKE_KEY)
    return ModelProfile(
        provider="openai-compatible",
        model="test-model",
        base_url=BASE,
        api_key_env="KILAB_TEST_KEY",
        price_input_per_mtok=2.0,
        price_output_per_mtok=8.0,
        max_retries=3,
    )


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


class Sleeps(list[float]):
    """Records the waits a client asks for instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)

    async def asleep(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_client(profile: ModelProfile, tmp_path: Path, sleeps: Sleeps):  # type: ignore[no-untyped-def]
    def make(p: ModelProfile | None = None, *, use_cache: bool = False) -> ModelClient:
        return ModelClient(
            p or profile,
            use_cache=use_cache,
            cache_dir=tmp_path / "cache",
            sleep=sleeps,
            asleep=sleeps.asleep,
            seed=1,
        )

    return make
