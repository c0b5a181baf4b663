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
    # The host as written (an IPv6 address keeps its brackets), the user as written or none.
    host = parts.netloc.rpartition("@")[2]
    user = parts.netloc.rpartition("@")[0].partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
