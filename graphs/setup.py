"""Set-up a node does once, before the first question: load an index or a model, start a client.

A node that would otherwise do such work on its first visit offers it as ``set_up()`` (a
method, or attached to a function node with ``with_set_up``). The harness calls every node's
set-up before the first case and books the time as the run's set-up time, so that no case's
latency carries it and no variant pays for the one compiled before it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

N = TypeVar("N")
SetUp = Callable[[], None]

_ATTRIBUTE = "set_up"


def with_set_up(node: N, set_up: SetUp) -> N:
    """Attach ``set_up`` to a function node (an object node defines a ``set_up`` method)."""
    setattr(node, _ATTRIBUTE, set_up)
    return node


def set_up_of(node: object) -> SetUp | None:
    """A node's set-up, or None when it needs none."""
    found = getattr(node, _ATTRIBUTE, None)
    return found if callable(found) else None
