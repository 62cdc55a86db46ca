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


async def build_app(settings: Settings, clock: Clock = utc_now, *, migrate: bool = True,
                    speech: bool = False) -> App:
    """Migrate the database (always safe: Alembic is idempotent) and build the service.
    `speech`: spoken replies (espeak-ng) and, if configured, speech recognition."""
    if migrate:
        await upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    synthesizer = recognizer = None
    if speech:
        from bot.voice.asr import recognizer_from_settings
        from bot.voice.tts import default_synthesizer

        synthesizer = default_synthesizer()  # None, logged once, without espeak-ng
        recognizer = recognizer_from_settings(settings.asr_backend, settings.asr_model_path)
    service = ConversationService(make_sessions(engine), settings, clock,
                                  synthesizer=synthesizer, recognizer=recognizer)
    return App(settings, engine, service)
