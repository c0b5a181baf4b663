"""Shared fixtures: the project's own configs, copied so that tests may break them."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Refuse connections to anything but this machine."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else str(address)
        if (
            isinstance(host, str)
            and host not in ("127.0.0.1", "::1", "localhost")
            and not host.startswith("127.")
            and self.family != socket.AF_UNIX
        ):
            raise OSError(f"test tried to reach {host}: tests never leave this machine")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield


@pytest.fixture
def configs(tmp_path: Path) -> Path:
    """A writable copy of configs/ whose relative paths still reach data/."""
    (tmp_path / "data").symlink_to(ROOT / "data")
    target = tmp_path / "configs"
    shutil.copytree(CONFIGS, target)
    return target


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One real PostgreSQL server for the session (see tests/postgres_helpers.py)."""
    from postgres_helpers import start_server

    server = start_server(tmp_path_factory.mktemp("postgres"))
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def _postgres_database(postgres_server: object) -> str:
    from postgres_helpers import make_database

    return make_database(postgres_server)


@pytest.fixture
def postgres_url(_postgres_database: str) -> str:
    """The session's migrated database, emptied for this test."""
    from postgres_helpers import empty_database

    empty_database(_postgres_database)
    return _postgres_database
