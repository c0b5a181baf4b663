"""Where a synchronous node runs under ``ainvoke``: inline on the event loop or in a thread.

A thread hop costs more than a small pure-CPU node (a BM25 search over a pilot corpus takes
well under a millisecond), and under the GIL the thread buys no parallelism for such work.
A node marked ``cpu_only`` (no blocking I/O) therefore runs inline while it has been fast,
and moves to a worker thread once it turns slow, so the loop is never blocked for long.
Unmarked synchronous nodes always run in a thread: they may wait on the network.
"""

from __future__ import annotations

from typing import TypeVar

N = TypeVar("N")

_MARK = "__kilab_cpu_only__"
# Inline while a visit takes under this on average; a blocked loop delays every case.
INLINE_BELOW_S = 0.002
_WEIGHT = 0.2  # of the newest visit in the running average


def cpu_only(node: N) -> N:
    """Mark a node that only computes (no network, no waiting): a function, or a node object
    whose ``invoke`` is then used under the inline policy even if it has an ``ainvoke``."""
    setattr(node, _MARK, True)
    return node


def is_cpu_only(node: object) -> bool:
    """Whether ``node`` was marked with ``cpu_only``."""
    return bool(getattr(node, _MARK, False))


class InlinePolicy:
    """A running average of a node's visit time, and the choice it implies.

    The first visit runs in a thread (it may warm caches or load an index); later visits run
    inline while the average stays under ``INLINE_BELOW_S``.
    """

    __slots__ = ("average_s",)

    def __init__(self) -> None:
        self.average_s: float | None = None

    @property
    def inline(self) -> bool:
        return self.average_s is not None and self.average_s < INLINE_BELOW_S

    def record(self, seconds: float) -> None:
        """Book one visit's time."""
        if self.average_s is None:
            self.average_s = seconds
        else:
            self.average_s += _WEIGHT * (seconds - self.average_s)
