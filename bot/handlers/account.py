"""The small commands about the cadre's own account: the menu, spoken replies on or off, and
linking to the roster by sharing their own phone number."""

from __future__ import annotations

import knowledge
from bot import tickets
from bot.handlers import Ctx, Outcome, menu_reply
from bot.storage import repo


async def menu(ctx: Ctx) -> Outcome:
    return Outcome([menu_reply(ctx.msg.chat_id, knowledge.load().string("ui.menu"))], "help")


async def voice_toggle(ctx: Ctx) -> Outcome:
    cadre = ctx.cadre
    cadre.voice_replies = not cadre.voice_replies
    cadre.updated_at = ctx.now
    key = "ui.voice.on" if cadre.voice_replies else "ui.voice.off"
    if cadre.voice_replies and not ctx.speech:
        key = "ui.voice.unavailable"
    return Outcome([ctx.reply(knowledge.load().string(key))], "voice.toggle")


async def link_by_phone(ctx: Ctx) -> Outcome:
    kb, msg, cadre = knowledge.load(), ctx.msg, ctx.cadre
    # Telegram sets contact.user_id to the sender only for their own number; an address-book
    # card (no user_id) or someone else's would let anyone claim a roster cadre's record.
    if msg.contact_user_id != msg.user_id:
        return Outcome([ctx.reply(kb.string("ui.contact_not_own"))], "contact")
    phone = tickets.normal_phone(msg.contact_phone or "")
    roster = await repo.cadre_by_phone(ctx.s, phone) if phone else None
    if roster is None:
        return Outcome([ctx.reply(kb.string("ui.phone_unknown"))], "contact")
    if roster.id != cadre.id:
        await tickets.link_account(ctx.s, msg.transport, msg.user_id, cadre, roster, msg.at)
    return Outcome([ctx.reply(kb.string("ui.linked", name=roster.name or ""))], "contact")


async def unsupported(ctx: Ctx) -> Outcome:
    return Outcome([ctx.reply(knowledge.load().string("ui.unsupported"))], "unsupported")
