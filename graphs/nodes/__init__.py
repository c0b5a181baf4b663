"""Built-in node kinds; importing this package registers them (done on first lookup)."""

from kilab.graphs.nodes import agentic, human, notes, roles, search

__all__ = ["agentic", "human", "notes", "roles", "search"]
