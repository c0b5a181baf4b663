"""Settings from the environment, read once where they are needed."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Settings:
    """Where kilab keeps its files, from ``KILAB_*`` environment variables."""

    home: Path
    configs: Path

    @property
    def cache_dir(self) -> Path:
        return Path(os.environ.get("KILAB_CACHE", self.home / "cache"))

    @property
    def checkpoints(self) -> Path:
        return self.home / "checkpoints.sqlite"

    @property
    def runs(self) -> Path:
        return Path(os.environ.get("KILAB_RUNS", self.home / "runs.sqlite"))

    @property
    def promotions(self) -> Path:
        return self.home / "promotions.jsonl"

    @property
    def service(self) -> Path:
        """The shared service's keys, audit log and feedback when no database URL is set."""
        return self.home / "service.sqlite"

    @property
    def database_url(self) -> str:
        """``KILAB_DATABASE_URL`` (``postgresql://…``): the service's stores live there."""
        return os.environ.get("KILAB_DATABASE_URL", "")


def settings() -> Settings:
    return Settings(
        home=Path(os.environ.get("KILAB_HOME", ".kilab")),
        configs=Path(os.environ.get("KILAB_CONFIGS", "configs")),
    )
