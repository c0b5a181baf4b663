"""The local web viewer (``kilab serve``): runs, cases, traces, comparisons and history.

Needs the ``viewer`` extra (FastAPI, uvicorn, Jinja2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kilab.evals.viewer.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from kilab.evals.viewer.app import create_app

        return create_app
    raise AttributeError(f"module 'kilab.evals.viewer' has no attribute {name!r}")
