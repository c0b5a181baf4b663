"""The checkpointer the service's threads pause in: SQLite by default, PostgreSQL with a URL.

The SQLite file is the one ``kilab run``, ``kilab review`` and the viewer use, so a thread the
API paused can be decided from any of them. With ``KILAB_DATABASE_URL`` the checkpoints live
in PostgreSQL (langgraph-checkpoint-postgres on an async psycopg pool), so a thread paused
through one replica is resumed through another. Both mask what they write, with the
serializer of ``kilab run``'s checkpoints: no personal data at rest.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from kilab.core.errors import UserError
from kilab.evals.store import is_postgres_url
from kilab.graphs.checkpoints import MaskingSerializer, masking_postgres


@asynccontextmanager
async def open_checkpointer(location: str | Path, *, pool_size: int = 8) -> AsyncIterator[Any]:
    """An async LangGraph checkpointer at a SQLite path or a ``postgresql://`` URL."""
    if is_postgres_url(location):
        try:
            from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
            from psycopg.rows import dict_row
            from psycopg_pool import AsyncConnectionPool
        except ImportError:  # pragma: no cover - depends on the installed extras
            raise UserError('PostgreSQL checkpoints need: pip install "kilab[postgres]"') from None
        # The saver's own requirements: autocommit, no server-side prepared statements (so
        # a pooler in transaction mode works), rows as dictionaries.
        async with AsyncConnectionPool(
            str(location),
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True, "prepare_threshold": None, "row_factory": dict_row},
            open=False,
        ) as pool:
            yield masking_postgres(AsyncPostgresSaver)(pool, serde=MaskingSerializer())
        return
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    path = Path(location)
    path.parent.mkdir(parents=True, exist_ok=True)
    async with aiosqlite.connect(str(path)) as conn:
        yield AsyncSqliteSaver(conn, serde=MaskingSerializer())


async def upgrade_checkpoints(url: str) -> None:
    """Create or migrate the checkpointer's tables (LangGraph versions its own migrations)."""
    async with open_checkpointer(url, pool_size=1) as saver:
        await saver.setup()
