"""/start (with an invite code or not): welcome, the big menu, and the region asked once."""

from __future__ import annotations

from datetime import datetime, timedelta

import knowledge
from bot import agencies, tickets
from bot.dialogue import ONBOARDING, Memory, State
from bot.handlers import Ctx, Outcome, menu_reply
from bot.messages import Button, Reply
from bot.settings import Settings
from bot.storage import repo


async def handle(ctx: Ctx) -> Outcome:
    kb, msg, cadre = knowledge.load(), ctx.msg, ctx.cadre
    replies: list[Reply] = []
    code = msg.command_args.strip()
    if code:
        roster = await repo.cadre_by_invite(ctx.s, code)
        if roster is not None and roster.id != cadre.id:
            await tickets.link_account(ctx.s, msg.transport, msg.user_id, cadre, roster, msg.at)
            replies.append(ctx.reply(kb.string("ui.linked", name=roster.name or "")))
            cadre = roster
        elif roster is None:
            replies.append(ctx.reply(kb.string("ui.invite_unknown")))
    replies.append(menu_reply(msg.chat_id, kb.string("ui.welcome"),
                              ask_contact=not cadre.on_roster))
    if cadre.region is None and agencies.default_region(cadre) is None:
        memory = region_memory(ctx.now, ctx.settings)
        replies.append(ctx.reply(memory.prompt or "", buttons=tuple(
            (Button(label, f"pick:{value}"),)
            for label, value in zip(memory.options, memory.values, strict=True))))
        await repo.save_memory(ctx.s, cadre.id, memory, ctx.now, None)
    return Outcome(replies, "start")


def region_memory(now: datetime, settings: Settings) -> Memory:
    kb = knowledge.load()
    return Memory(State.AWAITING_SLOT, pending_intent=ONBOARDING, pending_slot="region",
                  options=tuple(kb.string("ask.region.options").split()),
                  values=tuple(kb.string("ask.region.values").split()),
                  prompt=kb.string("ask.region"),
                  expires_at=now + timedelta(hours=settings.pending_hours))
