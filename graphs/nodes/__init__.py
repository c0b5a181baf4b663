"""Built-in node kinds; importing this package registers them (done on first lookup)."""

from graphs.nodes import roles, search

__all__ = ["roles", "search"]
