"""A voice note: kept, recognised, then understood like typed text (bot/voice/inbound.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers import Ctx, Outcome
from bot.messages import Incoming
from bot.storage.models import Cadre


async def handle(ctx: Ctx) -> Outcome:
    assert ctx.voice_inbox is not None

    async def as_typed(s: AsyncSession, cadre: Cadre, msg: Incoming, now: datetime) -> Outcome:
        from bot.handlers.table import dispatch  # the table holds this handler too

        # the transcript goes the way typed text goes ("语音回复", "转人工", a question)
        return await dispatch(Ctx(s, cadre, msg, now, ctx.today, ctx.settings,
                                  ctx.staff_chat, ctx.speech, ctx.voice_inbox))

    return await ctx.voice_inbox.handle(ctx.s, ctx.cadre, ctx.msg, ctx.now, as_typed)
