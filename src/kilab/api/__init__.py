"""The shared service: promoted pilots behind OpenAI-compatible endpoints, for many tenants.

``create_app(ServiceConfig(...))`` builds one replica; ``served_pilots`` decides what it may
serve (exactly what was promoted); ``ServiceStore`` holds keys, limits, audit and feedback in
SQLite or PostgreSQL. The CLI is ``kilab api serve``, ``kilab api keys create``, ``kilab
feedback export`` and ``kilab db upgrade``.
"""

from kilab.api.app import ServiceConfig, create_app
from kilab.api.serving import ServedPilot, served_pilots
from kilab.api.store import ApiKey, AuditEntry, ServiceStore

__all__ = [
    "ApiKey",
    "AuditEntry",
    "ServedPilot",
    "ServiceConfig",
    "ServiceStore",
    "create_app",
    "served_pilots",
]
