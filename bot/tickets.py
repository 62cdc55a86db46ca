"""Escalation tickets (DB31/T 1044 5.11.2, 7.2) and linking Telegram users to roster cadres."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

import knowledge
from bot import agencies
from bot.messages import Button, Reply
from bot.settings import Settings
from bot.storage import repo
from bot.storage.models import Account, Cadre, Conversation, Message, Ticket
from junxiu_core import Priority
from junxiu_core.numbers import spoken_date
from junxiu_core.workdays import working_days_after

PRIORITY_NAMES = {Priority.URGENT: "紧急", Priority.HIGH: "高", Priority.NORMAL: "普通",
                  Priority.LOW: "低"}
# How long staff have for a first answer, by priority.
SLA = {Priority.URGENT: timedelta(minutes=10), Priority.HIGH: timedelta(hours=4)}


def sla_due(priority: Priority, now: datetime, settings: Settings) -> datetime:
    """Urgent and high tickets by the clock; the others in working days on the official
    calendar, counted in the agency's time zone (a ticket on 1 October is not due mid-国庆)."""
    if priority in SLA:
        return now + SLA[priority]
    days = sla_working_days(priority, settings)
    local = now.astimezone(ZoneInfo(settings.timezone))
    due = working_days_after(local.date(), days)
    return datetime.combine(due, local.timetz()).astimezone(now.tzinfo)


def sla_working_days(priority: Priority, settings: Settings) -> int:
    return settings.sla_working_days * (2 if priority == Priority.LOW else 1)


def _promise(ticket: Ticket, settings: Settings) -> dict[str, int]:
    """What the cadre is promised, as the ticket's own deadline counts it: hours for a high
    priority (a complaint, news of a death), working days otherwise."""
    priority = Priority(ticket.priority)
    if priority in SLA:
        return {"hours": max(1, int(SLA[priority].total_seconds() // 3600))}
    return {"days": sla_working_days(priority, settings)}


async def open_or_touch(s: AsyncSession, cadre: Cadre, reason: str, priority: Priority, *,
                        question: str, bot_answer: str, now: datetime, settings: Settings,
                        audio_path: str | None = None) -> tuple[Ticket, bool]:
    """A new ticket, or the cadre's open one for the same reason (one thread, not a flood). An
    emergency joins the open one only while it is the same incident (`incident_hours`): "救护车
    还没到" is the fall reported ten minutes ago, a fall next week is a new emergency."""
    existing = await repo.open_ticket(s, cadre.id, reason)
    if existing is not None and (priority != Priority.URGENT or _same_incident(
            existing, now, settings)):
        existing.transcript = await repo.recent_transcript(s, cadre.id)
        return existing, False
    if audio_path is None:  # a conversation that began with a voice note: staff hear it too
        audio_path = await recent_recording(s, cadre.id, now - timedelta(
            hours=settings.pending_hours))
    route = await agencies.route_for(s, settings, cadre)
    ticket = Ticket(cadre_id=cadre.id, reason=reason, priority=int(priority), status="open",
                    agency_key=route.agency_key, question=question, bot_answer=bot_answer,
                    audio_path=audio_path,
                    transcript=await repo.recent_transcript(s, cadre.id), created_at=now,
                    sla_due_at=sla_due(priority, now, settings))
    s.add(ticket)
    await s.flush()
    await repo.audit(s, "system", "ticket.open", now, ticket_id=ticket.id, cadre_id=cadre.id,
                     detail=reason)
    return ticket, True


def _same_incident(ticket: Ticket, now: datetime, settings: Settings) -> bool:
    opened = ticket.created_at
    if opened.tzinfo is None:  # SQLite: naive UTC
        opened = opened.replace(tzinfo=now.tzinfo)
    return now - opened <= timedelta(hours=settings.incident_hours)


async def recent_recording(s: AsyncSession, cadre_id: int, since: datetime, *,
                           within: int = 6) -> str | None:
    """The recording of the cadre's latest voice note among their last `within` messages
    (the ticket's transcript window) and not older than `since`."""
    stmt = (select(Message).where(Message.cadre_id == cadre_id)
            .order_by(Message.id.desc()).limit(within))
    for message in (await s.scalars(stmt)).all():
        if message.direction == "in" and message.kind == "voice" and message.audio_path:
            at = message.created_at
            if at.tzinfo is None and since.tzinfo is not None:  # SQLite: naive UTC
                at = at.replace(tzinfo=since.tzinfo)
            return message.audio_path if at >= since else None
    return None


def cadre_notice(ticket: Ticket, settings: Settings, route: agencies.Route | None = None) -> str:
    """What the cadre is told: the ticket number, and in an emergency their own agency's duty
    phone (`route`; None: the settings' single agency)."""
    kb = knowledge.load()
    if ticket.priority >= Priority.URGENT:
        phone = (route or agencies.default_route(settings)).duty_phone
        return kb.string("ui.ticket.urgent", n=ticket.id) + (
            kb.string("ui.duty_phone", phone=phone) if phone else "")
    promise = _promise(ticket, settings)
    key = "ui.ticket.opened.hours" if "hours" in promise else "ui.ticket.opened"
    return kb.string(key, n=ticket.id, **promise)


def asks_after_a_ticket(text: str) -> bool:
    """"你们啥时候给我答复", "处理得怎么样了": the cadre asks how their ticket stands."""
    words = knowledge.load().string("ui.words.ticket_status").split()
    return any(w in text for w in words)


def status_notice(ticket: Ticket, now: datetime, settings: Settings) -> str:
    """Where the ticket stands and by when staff answer, in words."""
    kb = knowledge.load()
    state = kb.string(f"ui.ticket.state.{ticket.status}")
    if ticket.priority >= Priority.URGENT:
        return kb.string("ui.ticket.status.soon", n=ticket.id, state=state)
    # by the ticket's own deadline (sla_due_at): what it was told when it opened, counted on
    due_at = ticket.sla_due_at
    if due_at is not None and due_at.tzinfo is None:  # SQLite: naive UTC
        due_at = due_at.replace(tzinfo=now.tzinfo)
    if due_at is not None and now >= due_at:  # staff are reminded by tick_escalations
        return kb.string("ui.ticket.status.overdue", n=ticket.id, state=state)
    if "hours" in _promise(ticket, settings) and due_at is not None:
        left = max(1, math.ceil((due_at - now).total_seconds() / 3600))
        return kb.string("ui.ticket.status.hours", n=ticket.id, state=state, hours=left)
    zone = ZoneInfo(settings.timezone)
    opened = ticket.created_at
    if opened.tzinfo is None:
        opened = opened.replace(tzinfo=now.tzinfo)
    days = sla_working_days(Priority(ticket.priority), settings)
    due = working_days_after(opened.astimezone(zone).date(), days)
    return kb.string("ui.ticket.status", n=ticket.id, state=state, days=days,
                     due=spoken_date(due, now.astimezone(zone).date()))


def staff_post(ticket: Ticket, cadre: Cadre, staff_chat: str, *, audio_path: str | None = None,
               reopened: bool = False, reminder: bool = False, update: str | None = None
               ) -> Reply:
    """The ticket as staff see it in their group: #N, reason, who, question, what the bot said.
    `update`: a new message about the same incident, shown first."""
    kb = knowledge.load()
    prefix = kb.string("ui.staff.reopened") if reopened else (
        kb.string("ui.staff.reminder") if reminder else "")
    if update is not None:
        prefix = kb.string("ui.staff.update", text=_clip(update) or "-") + "\n"
    text = prefix + kb.string(
        "ui.staff.ticket", n=ticket.id,
        priority=PRIORITY_NAMES.get(Priority(ticket.priority), ""),
        reason=kb.strings.get(f"reason.{ticket.reason}", ticket.reason),
        name=cadre.name or kb.string("ui.staff.unnamed"),
        region=kb.strings.get(f"region.{cadre.region or agencies.default_region(cadre)}", "-"),
        phone=" / ".join(p for p in (cadre.phone, cadre.other_phone) if p) or "-",
        question=_clip(ticket.question) or "-",
        answer=_clip(ticket.bot_answer) or "-")
    files = [line for entry in ticket.transcript or () if (line := file_line(entry))]
    if files:  # the cadre's photos and documents: staff open them by file id
        text += "\n" + "\n".join(dict.fromkeys(files))
    buttons = ((Button(kb.string("ui.staff.claim"), f"claim:{ticket.id}"),
                Button(kb.string("ui.staff.close"), f"close:{ticket.id}")),)
    if audio_path is None and not (reopened or reminder or update is not None):
        audio_path = ticket.audio_path  # a new ticket's voice note goes with its first post
    return Reply(staff_chat, text, buttons=buttons, ticket_id=ticket.id, to_staff=True,
                 voice_path=audio_path or None)


def file_line(entry: dict[str, Any]) -> str | None:
    """"附件：照片，文件ID …" for a transcript entry with a file (repo.file_entry)."""
    file = entry.get("file")
    if not file:
        return None
    kb = knowledge.load()
    return kb.string("ui.staff.attachment",
                     kind=kb.strings.get(f"ui.file.{file['kind']}", file["kind"]),
                     file_id=file["id"])


def _clip(text: str | None, limit: int = 1000) -> str | None:
    """A long question shortened in the staff post (the whole one stays in the ticket), so
    the post, with its reply instructions, stays within one Telegram message."""
    return text if text is None or len(text) <= limit else text[:limit] + "…"


async def rate(s: AsyncSession, cadre: Cadre, data: str, now: datetime) -> str:
    """A cadre's 1-5 rating of a staff answer (their own ticket only), stored once."""
    kb = knowledge.load()
    try:
        _, number, value = data.split(":")
        ticket_id, rating = repo.as_id(number), int(value)
    except ValueError:
        return kb.string("ui.rate.thanks")
    ticket = await s.get(Ticket, ticket_id) if ticket_id else None
    if ticket is None or ticket.cadre_id != cadre.id or not 1 <= rating <= 5:
        return kb.string("ui.rate.thanks")
    if ticket.rating is None:
        ticket.rating = rating
        await repo.audit(s, "system", "ticket.rated", now, ticket_id=ticket.id,
                         cadre_id=cadre.id, detail=str(rating))
    return kb.string("ui.rate.thanks")


async def answered_recently(s: AsyncSession, cadre_id: int, now: datetime, window: timedelta
                            ) -> Ticket | None:
    stmt = (select(Ticket).where(Ticket.cadre_id == cadre_id,
                                 Ticket.status.in_(("answered", "closed")),
                                 Ticket.first_response_at >= now - window)
            .order_by(Ticket.id.desc()).limit(1))
    return (await s.scalars(stmt)).first()


async def needing_alert(s: AsyncSession, now: datetime, realert: timedelta
                        ) -> list[tuple[Ticket, Cadre]]:
    """Unclaimed emergencies every `realert`; other tickets once past their SLA, then daily."""
    stmt = select(Ticket, Cadre).join(Cadre, Cadre.id == Ticket.cadre_id).where(
        Ticket.status.in_(("open", "reopened", "claimed")))
    due: list[tuple[Ticket, Cadre]] = []
    for ticket, cadre in (await s.execute(stmt)).all():
        last = ticket.last_alert_at or ticket.created_at
        if ticket.priority >= Priority.URGENT:
            if ticket.status != "claimed" and now - last >= realert:
                due.append((ticket, cadre))
        elif ticket.priority > Priority.LOW and ticket.sla_due_at and ticket.sla_due_at <= now \
                and ticket.first_response_at is None and (
                    ticket.last_alert_at is None or now - last >= timedelta(days=1)):
            due.append((ticket, cadre))
    return due


async def remember_staff_message(s: AsyncSession, ticket_id: int, message_id: int,
                                 chat: str | None) -> None:
    """Staff answer by replying to the ticket's post: remember which message that is, and in
    which group (`chat`: the post's chat)."""
    ticket = await s.get(Ticket, ticket_id)
    # The first post, or the first in another group (the cadre moved to another agency).
    if ticket is not None and (ticket.staff_message_id is None
                               or (chat is not None and chat != ticket.staff_chat)):
        ticket.staff_message_id = message_id
        ticket.staff_chat = chat


def normal_phone(raw: str) -> str:
    """Phone numbers as the roster keeps them: digits only, without +86."""
    digits = re.sub(r"\D", "", raw)
    return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits


async def link_account(s: AsyncSession, transport: str, external_id: str, provisional: Cadre,
                       roster: Cadre, now: datetime) -> None:
    """Attach an account to the roster cadre. What they said so far, and their tickets, move
    along, so staff answers still reach them."""
    await s.execute(update(Account).where(Account.transport == transport,
                                          Account.external_id == external_id)
                    .values(cadre_id=roster.id))
    for model in (Message, Ticket):
        await s.execute(update(model).where(model.cadre_id == provisional.id)
                        .values(cadre_id=roster.id))
    conversation = await s.get(Conversation, provisional.id)
    if conversation is not None:
        await s.delete(conversation)
    if roster.region is None and provisional.region:
        roster.region = provisional.region
    await repo.audit(s, "system", "account.link", now, cadre_id=roster.id, detail=transport)
