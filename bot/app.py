"""Building the service once, in the entry point, and passing it down."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.service import Clock, ConversationService
from bot.settings import Settings
from bot.storage.db import make_engine, make_sessions, upgrade


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    service: ConversationService

    async def close(self) -> None:
        await self.engine.dispose()


async def build_app(settings: Settings, clock: Clock = utc_now, *, migrate: bool = True) -> App:
    """Migrate the database (always safe: Alembic is idempotent) and build the service."""
    if migrate:
        await upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    service = ConversationService(make_sessions(engine), settings, clock)
    return App(settings, engine, service)
