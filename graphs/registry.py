"""Registry of node kinds: tools and agent roles, registered by name.

Built-in kinds live in ``kilab.graphs.nodes``; other packages add kinds through the entry-point
group ``kilab.nodes`` (each entry names a module that registers on import). Both are loaded
on the first lookup, never at import time, and YAML can only name what is registered.

A kind may be *declared* with its builder named as ``"module:function"`` (``declare``): its
parameters validate configs at once, while the builder, which may import LangGraph or
LangChain, is imported only when a graph is compiled. The built-ins are declared so.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Literal

from pydantic import BaseModel

# "agent-tool": a tool an agent may call in its loop (built into a LangChain tool).
Category = Literal["tool", "role", "agent-tool"]
ENTRY_POINT_GROUP = "kilab.nodes"


@dataclass(frozen=True, slots=True)
class RefTo:
    """Marks a parameter whose value names another config (a corpus, an agent …)."""

    kind: str


@dataclass(frozen=True, slots=True)
class NodeKind:
    """A registered tool or role: its parameters, its outcomes and how to build it."""

    category: Category
    name: str
    params: type[BaseModel]
    build: Callable[..., Any]
    outcomes: tuple[str, ...] = ()
    description: str = ""


_kinds: dict[tuple[Category, str], NodeKind] = {}
_loaded = False


@dataclass(frozen=True, slots=True)
class _Deferred:
    """A builder named ``module:function``, imported on its first call."""

    target: str

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        module, _, function = self.target.partition(":")
        return getattr(importlib.import_module(module), function)(*args, **kwargs)


def _register(
    category: Category,
    name: str,
    params: type[BaseModel],
    outcomes: tuple[str, ...],
    description: str,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(build: Callable[..., Any]) -> Callable[..., Any]:
        key = (category, name)
        # Equal, not identical: declaring the same "module:function" again is no clash.
        if key in _kinds and _kinds[key].build != build:
            raise ValueError(f"{category} {name!r} is registered twice")
        doc = "" if isinstance(build, _Deferred) else build.__doc__ or ""
        summary = description or doc.strip().split("\n")[0]
        _kinds[key] = NodeKind(category, name, params, build, outcomes, summary)
        return build

    return decorator


def tool(
    name: str, params: type[BaseModel], *, outcomes: tuple[str, ...] = (), description: str = ""
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a tool node builder: ``build(context, params) -> node callable``."""
    return _register("tool", name, params, outcomes, description)


def role(
    name: str, params: type[BaseModel], *, outcomes: tuple[str, ...] = (), description: str = ""
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register an agent role builder: ``build(context, agent, params) -> node callable``."""
    return _register("role", name, params, outcomes, description)


class NoParams(BaseModel):
    """Agent tools take their arguments per call (their own schema), not from YAML."""


def agent_tool(
    name: str, *, description: str = ""
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a tool an agent may list in ``tools``: ``build(env) -> langchain BaseTool``."""
    return _register("agent-tool", name, NoParams, (), description)


def declare(
    category: Category,
    name: str,
    params: type[BaseModel],
    builder: str,
    *,
    outcomes: tuple[str, ...] = (),
    description: str = "",
) -> None:
    """Register a kind whose builder (``"module:function"``, the signature of ``tool``,
    ``role`` or ``agent_tool``) is imported on its first call, not now."""
    if ":" not in builder:
        raise ValueError(f"{category} {name!r}: builder must be 'module:function', not {builder!r}")
    _register(category, name, params, outcomes, description)(_Deferred(builder))


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    importlib.import_module("kilab.graphs.nodes")
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        entry.load()


def lookup(category: Category, name: str) -> NodeKind | None:
    """The registered kind, or None."""
    _load()
    return _kinds.get((category, name))


def names(category: Category) -> list[str]:
    """Every registered name of a category, sorted."""
    _load()
    return sorted(n for c, n in _kinds if c == category)


def references(params: type[BaseModel]) -> dict[str, str]:
    """Parameter name → config kind it names, from ``RefTo`` markers."""
    return {
        name: marker.kind
        for name, info in params.model_fields.items()
        for marker in info.metadata
        if isinstance(marker, RefTo)
    }
