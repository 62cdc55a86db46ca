"""The reviewed examples staff made on the desk's gaps page, read from the database as rows of
the training-data format (intents/data/examples/*.jsonl): `junxiu train` adds them to the
written examples (never held out), `junxiu gaps export FILE` writes them out
(bot/cli/training.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.settings import Settings
from bot.storage.db import make_engine, make_sessions, upgrade
from bot.storage.models import ReviewedExample


async def reviewed(settings: Settings) -> list[dict[str, Any]]:
    """Every reviewed example, oldest first, as a training-data row."""
    await upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        async with make_sessions(engine)() as s:
            rows = (await s.scalars(select(ReviewedExample)
                                    .order_by(ReviewedExample.id))).all()
            return [{"text": r.text, "intent": r.intent, "topic": None, "kind": None}
                    for r in rows]
    finally:
        await engine.dispose()
