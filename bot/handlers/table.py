"""The handler for each kind of message, and the one dispatch every path uses (a transcript of a
voice note is dispatched again, as typed text)."""

from __future__ import annotations

from bot.handlers import (
    Ctx,
    Handler,
    Kind,
    Outcome,
    account,
    answers,
    conversation,
    kind_of,
    start,
    voice,
)

HANDLERS: dict[Kind, Handler] = {
    Kind.START: start.handle,
    Kind.MENU: account.menu,
    Kind.VOICE_TOGGLE: account.voice_toggle,
    Kind.CONTACT: account.link_by_phone,
    Kind.VOICE: voice.handle,
    Kind.CHECKIN_ANSWER: answers.checkin,
    Kind.RATING: answers.rating,
    Kind.CONVERSATION: conversation.handle,
    Kind.UNSUPPORTED: account.unsupported,
}


async def dispatch(ctx: Ctx) -> Outcome:
    kind = kind_of(ctx.msg, ctx.staff_chat)
    if kind == Kind.STAFF:  # a cadre typing a staff command: nothing staff-only for them
        kind = Kind.CONVERSATION
    return await HANDLERS[kind](ctx)
