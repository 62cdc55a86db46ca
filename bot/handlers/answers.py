"""Answers to the bot's own buttons outside a conversation: a check-in ping, a rating."""

from __future__ import annotations

from bot import checkins, tickets
from bot.handlers import Ctx, Outcome
from junxiu_core import Priority


async def checkin(ctx: Ctx) -> Outcome:
    text, call = await checkins.answer(ctx.s, ctx.cadre, ctx.msg.callback_data or "", ctx.now)
    replies = [ctx.reply(text)]
    if call:
        ticket, created = await tickets.open_or_touch(
            ctx.s, ctx.cadre, "checkin.call", Priority.NORMAL, question=text, bot_answer=text,
            now=ctx.now, settings=ctx.settings)
        chat = (await ctx.route()).staff_chat
        if created and chat:
            replies.append(tickets.staff_post(ticket, ctx.cadre, chat))
    return Outcome(replies, "checkin.reply")


async def rating(ctx: Ctx) -> Outcome:
    text = await tickets.rate(ctx.s, ctx.cadre, ctx.msg.callback_data or "", ctx.now)
    return Outcome([ctx.reply(text)], "rating")
