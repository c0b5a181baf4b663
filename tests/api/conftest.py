"""Fixtures of the shared-service tests: a promoted project, the fake model, the backends."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kilab.agents.testing import FakeOpenAIServer
from kilab.api.testing import Promoted, promote_all, write_service_project

ANSWER = "Utleieren kan kreve depositum på opptil seks måneders leie. [mini#1]"


@pytest.fixture(scope="session")
def fake_model() -> Iterator[FakeOpenAIServer]:
    """The model behind ``mini-modell``: one cited sentence about the deposit, 120 tokens in
    and 20 out (the tests' prices are per token); it can hold calls midway."""
    with FakeOpenAIServer(ANSWER, prompt_tokens=120, completion_tokens=20) as server:
        yield server


@pytest.fixture(scope="session")
def promoted(tmp_path_factory: pytest.TempPathFactory, fake_model: FakeOpenAIServer) -> Promoted:
    """The three mini pilots, evaluated and promoted to ``pilot`` once a session."""
    home = tmp_path_factory.mktemp("promoted")
    return promote_all(home, write_service_project(home, fake_model.base_url))


@dataclass(frozen=True)
class Backend:
    """Where the service keeps its state: SQLite under the home folder, or PostgreSQL."""

    name: str
    home: Path
    url: str = ""  # postgresql://… ("" for SQLite)

    @property
    def env(self) -> dict[str, str]:
        return {"KILAB_DATABASE_URL": self.url} if self.url else {}

    @property
    def store(self) -> str:
        return self.url or str(self.home / "service.sqlite")


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Each test once on the embedded default and once on the real PostgreSQL server."""
    if request.param == "postgres":
        return Backend("postgres", tmp_path / "home", request.getfixturevalue("postgres_url"))
    return Backend("sqlite", tmp_path / "home")
