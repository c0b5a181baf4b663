"""Database URLs shown without their passwords."""

from __future__ import annotations

import pytest

from kilab.core.locations import is_postgres_url, safe_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://kilab:hemmelig@db:5432/kilab", "postgresql://kilab:***@db:5432/kilab"),
        ("postgresql://:hemmelig@db/kilab", "postgresql://:***@db/kilab"),
        ("postgresql://u:hemmelig@[::1]:5432/k", "postgresql://u:***@[::1]:5432/k"),
        ("postgresql://u:hem%40melig@db/k", "postgresql://u:***@db/k"),
        ("postgresql://u@db/k", "postgresql://u@db/k"),
        ("postgresql://db/k?sslmode=require", "postgresql://db/k?sslmode=require"),
    ],
)
def test_the_password_is_masked_and_nothing_else_changes(url: str, shown: str) -> None:
    assert safe_url(url) == shown
    assert "hem" not in safe_url(url)


def test_postgres_urls_are_told_from_paths() -> None:
    assert is_postgres_url("postgres://db/k") and is_postgres_url("postgresql://db/k")
    assert not is_postgres_url(".kilab/runs.sqlite") and not is_postgres_url(None)
