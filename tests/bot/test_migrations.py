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


async def test_tickets_from_before_the_report_columns_have_their_minutes(
        settings: Settings) -> None:
    """006_report_indexes derives response and resolution minutes for the rows already there."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert, select

    from bot.storage.models import Cadre, Ticket

    await upgrade(settings.database_url, "005_merge")
    opened = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    engine = make_engine(settings.database_url)
    try:
        async with engine.begin() as conn:
            cadre = (await conn.execute(insert(Cadre.__table__).values(
                name="张建国", merits=[], on_roster=False, lives_alone=False,
                voice_replies=False, unreachable=False, created_at=opened,
                updated_at=opened))).inserted_primary_key[0]
            await conn.execute(insert(Ticket.__table__).values(
                cadre_id=cadre, reason="complaint", priority=3, status="closed",
                transcript=[], created_at=opened,
                first_response_at=opened + timedelta(minutes=42, seconds=30),
                closed_at=opened + timedelta(hours=26, seconds=59)))
        await upgrade(settings.database_url)
        async with engine.connect() as conn:
            row = (await conn.execute(select(Ticket.response_minutes,
                                             Ticket.resolution_minutes))).one()
    finally:
        await engine.dispose()
    assert tuple(row) == (42, 26 * 60)
