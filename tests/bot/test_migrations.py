"""The migrations and the models cannot drift apart: after `upgrade head` Alembic finds nothing
to autogenerate (issue 13 part 4), on SQLite and on PostgreSQL; and the history has one head."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.settings import Settings
from bot.storage.db import alembic_config, make_engine, upgrade
from bot.storage.models import Base


def test_the_migration_history_has_one_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite:///:memory:"))
    assert len(script.get_heads()) == 1, script.get_heads()


async def test_the_migrated_schema_is_the_models_schema(settings: Settings) -> None:
    await upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata))
    finally:
        await engine.dispose()
    assert diff == [], diff
