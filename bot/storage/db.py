"""Engine, sessions and migrations. The schema is built by Alembic (`junxiu db upgrade`), which
runs on every start, so tests exercise the migrations too."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def make_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    # Reconnect after a database restart. Not for SQLite: a file does not restart, and the
    # ping is one more round trip through aiosqlite's thread for every session.
    # hide_parameters: a failing statement's error shows no values (phones, names).
    kwargs: dict[str, Any] = {"pool_pre_ping": parsed.get_backend_name() != "sqlite",
                              "hide_parameters": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Wait for a lock instead of failing at once when the CLI and the bot write together.
        kwargs["connect_args"] = {"timeout": 30}
        if parsed.get_driver_name() == "aiosqlite":
            from bot.storage import sqlite

            kwargs["module"] = sqlite.dbapi()  # one trip to aiosqlite's thread a statement
    engine = create_async_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_sync(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to `revision`; Alembic runs its own event loop, so use a thread."""
    await asyncio.to_thread(upgrade_sync, url, revision)
