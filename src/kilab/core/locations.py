"""Where state lives: a file path or a PostgreSQL connection URL."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def is_postgres_url(url: object) -> bool:
    """Whether a store location is a PostgreSQL connection URL."""
    return isinstance(url, str) and url.startswith(("postgresql://", "postgres://"))


def safe_url(url: str) -> str:
    """A database URL without its password, fit for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
