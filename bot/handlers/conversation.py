"""A typed message (or a button in the conversation, or a transcript): understood, one dialogue
step (bot/dialogue.py), facts learned, and a ticket when the step hands over to staff."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import knowledge
from bot import tickets
from bot.dialogue import (
    CONSENT,
    INTERRUPTS,
    ONBOARDING,
    REMEMBERED,
    Context,
    Turn,
    beside_the_place,
    step,
)
from bot.handlers import Ctx, Outcome
from bot.messages import Button, Reply
from bot.storage import repo
from intents import understand
from junxiu_core import REGIONS, Priority


async def handle(ctx: Ctx) -> Outcome:
    s, cadre, msg, now = ctx.s, ctx.cadre, ctx.msg, ctx.now
    memory = await repo.load_memory(s, cadre.id)
    choice = _choice(msg.callback_data)
    text = msg.text or ""
    if choice is not None and memory.options:
        text = memory.options[memory.values.index(choice)] if choice in memory.values \
            else text
    alive = memory.facts_until is not None and now < memory.facts_until
    u = understand(text, ctx.today, prior=memory.last_intent if alive else None)
    if choice is None and memory.pending(now) and memory.pending_intent == ONBOARDING:
        u = beside_the_place(u, ctx.today)
    if choice is None and u.intent not in INTERRUPTS and tickets.asks_after_a_ticket(u.text):
        ticket = await repo.latest_active_ticket(s, cadre.id)
        if ticket is not None:  # "你们啥时候给我答复": answered from the ticket, no new one
            notice = tickets.status_notice(ticket, now, ctx.settings)
            return Outcome([Reply(msg.chat_id, notice)], "ticket.status", notice,
                           understanding=u)
    dialogue = Context(ctx.profile, ctx.today, now,
                       timedelta(hours=ctx.settings.pending_hours),
                       on_roster=bool(cadre.on_roster),
                       offer_for=timedelta(minutes=ctx.settings.health_concern_minutes))
    turn = step(memory, u, dialogue, choice=choice)
    await repo.save_memory(s, cadre.id, turn.memory, now, turn.text)
    confirmed = learn(ctx, turn)
    reply = turn_reply(msg.chat_id, turn)
    if confirmed:
        reply = replace(reply, text=confirmed + reply.text)
    replies = [reply]
    if turn.escalation is not None:
        # What the cadre actually asked: "转人工" or a button says little to staff.
        question = msg.text or memory.question or ""
        if memory.question and msg.text and u.intent == "human_agent":
            question = knowledge.load().string("ui.staff.asked_before", text=msg.text,
                                               before=memory.question)
        notice, extra = await escalate(ctx, turn, question)
        if notice:  # one message to the cadre, not two
            replies[0] = replace(replies[0], text=f"{replies[0].text}\n{notice}")
        replies += extra
    elif msg.reply_to_message_id is not None:
        replies += await reopen(ctx)
    return Outcome(replies, turn.intent, turn.text, understanding=u)


def learn(ctx: Ctx, turn: Turn) -> str:
    """Facts the cadre gave about themselves (answering our question, or agreeing to
    "要我记下吗？") are kept for next time; a region learned from an answer is confirmed back in
    words ("好的，记下了，您在吉林。"); agreed facts may replace what the record held."""
    cadre, confirmation = ctx.cadre, ""
    agreed = turn.intent == CONSENT
    for name, value in turn.learned.items():
        if name in REMEMBERED and value and (agreed or getattr(cadre, name) is None):
            setattr(cadre, name, value)
            cadre.updated_at = ctx.now
            if name == "region" and value in REGIONS and not agreed:
                kb = knowledge.load()
                confirmation = kb.string("ui.region_saved",
                                         region=kb.string(f"region.{value}")) + "\n"
    return confirmation


def turn_reply(chat_id: str, turn: Turn) -> Reply:
    buttons = tuple((Button(label, f"pick:{value}"),)
                    for label, value in zip(turn.options, turn.values, strict=False))
    return Reply(chat_id, turn.text, buttons=buttons)


async def escalate(ctx: Ctx, turn: Turn, question: str) -> tuple[str, list[Reply]]:
    """Open (or touch) the ticket; returns the notice for the cadre and the staff post."""
    escalation = turn.escalation
    assert escalation is not None
    ticket, created = await tickets.open_or_touch(
        ctx.s, ctx.cadre, escalation.reason, Priority(escalation.priority),
        question=question, bot_answer=turn.text, now=ctx.now, settings=ctx.settings)
    route = await ctx.route()  # the cadre's own agency
    notice = tickets.cadre_notice(ticket, ctx.settings, route) if escalation.hands_over else ""
    posts = []
    if route.staff_chat and created:
        posts.append(tickets.staff_post(ticket, ctx.cadre, route.staff_chat))
    elif route.staff_chat and escalation.priority >= Priority.URGENT:
        # more about an incident staff already have: each new message reaches them at once
        posts.append(tickets.staff_post(ticket, ctx.cadre, route.staff_chat, update=question))
    return notice, posts


async def reopen(ctx: Ctx) -> list[Reply]:
    """A cadre answering a staff reply within the window reopens that ticket."""
    s, cadre, now = ctx.s, ctx.cadre, ctx.now
    ticket = await tickets.answered_recently(s, cadre.id, now,
                                             timedelta(days=ctx.settings.reopen_days))
    if ticket is None:
        return []
    ticket.status = "reopened"
    ticket.transcript = await repo.recent_transcript(s, cadre.id)
    await repo.audit(s, "system", "ticket.reopen", now, ticket_id=ticket.id, cadre_id=cadre.id)
    chat = (await ctx.route()).staff_chat
    return [tickets.staff_post(ticket, cadre, chat, reopened=True)] if chat else []


def _choice(callback_data: str | None) -> str | None:
    if callback_data and callback_data.startswith("pick:"):
        return callback_data.removeprefix("pick:")
    return None
