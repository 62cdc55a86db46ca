"""The staff desk: what staff do with tickets, from the Telegram staff group or the CLI.

Every action is checked against the staff roster by the caller, recorded in the audit log,
and produces Replies (to the cadre, to the staff group) that go through the outbox.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

import knowledge
from bot import agencies, checkins, scope, tickets
from bot.messages import Button, Incoming, Reply
from bot.scope import EVERYTHING, Scope
from bot.settings import Settings
from bot.storage import repo
from bot.storage.models import ACTIVE_TICKET, Account, Cadre, Message, Staff, Ticket
from junxiu_core import Priority

COMMANDS = {"reply", "queue", "ticket", "claim", "close", "canned", "staffhelp", "checkins",
            "contacted"}
CONTACT_KINDS = {"电话": "call", "上门": "visit", "call": "call", "visit": "visit"}
OPEN = ACTIVE_TICKET
RATING_SCALE = (1, 2, 3, 4, 5)
# Incidents: nobody is asked to rate the service after an emergency or a death in the family,
# and answering such a ticket does not take it out of the queue.
NO_RATING = {"emergency", "bereavement.news"}


class DeskError(Exception):
    """A staff request that cannot be done; the message is shown to the staff member."""


@dataclass(frozen=True)
class Target:
    """Where a message to a cadre goes: their newest account."""

    transport: str
    chat_id: str


def _s(string_key: str, /, **params: object) -> str:  # "key" is a parameter of some strings
    return knowledge.load().string(string_key, **params)


async def target_of(s: AsyncSession, cadre_id: int) -> Target | None:
    stmt = (select(Account).where(Account.cadre_id == cadre_id)
            .order_by(Account.id.desc()).limit(1))
    account = (await s.scalars(stmt)).first()
    return Target(account.transport, account.chat_id) if account else None


async def ticket_or_fail(s: AsyncSession, number: int, within: Scope = EVERYTHING) -> Ticket:
    """The ticket #number, if `within` may see it: another agency's is "no such ticket"."""
    ticket = await s.get(Ticket, number) if repo.as_id(number) else None
    if ticket is None or not within.sees_ticket(ticket):
        raise DeskError(_s("ui.staff.no_ticket", n=number))
    return ticket


def canned_replies() -> dict[str, str]:
    kb = knowledge.load()
    return {key.removeprefix("canned."): text for key, text in kb.strings.items()
            if key.startswith("canned.")}


async def reply(s: AsyncSession, number: int, text: str, actor: Staff | None, now: datetime,
                settings: Settings, within: Scope | None = None
                ) -> tuple[list[tuple[Target, Reply]], str]:
    """Relay a staff answer to the cadre, ask once for a rating, mark the ticket answered."""
    ticket = await ticket_or_fail(s, number, scope.of(actor) if within is None else within)
    if text.startswith(":"):
        key = text[1:].strip()
        text = canned_replies().get(key) or ""
        if not text:
            raise DeskError(_s("ui.staff.no_canned", key=key))
    if not text.strip():
        raise DeskError(_s("ui.staff.empty_reply"))
    target = await target_of(s, ticket.cadre_id)
    if target is None:
        raise DeskError(_s("ui.staff.no_account", n=number))
    # The ticket goes along, so a delivery that fails (403) shows on the desk's ticket page.
    out = [(target, Reply(target.chat_id, _s("ui.staff_reply", text=text.strip()),
                          cadre_id=ticket.cadre_id, ticket_id=ticket.id,
                          author=_actor(actor)))]
    if (ticket.rating is None and ticket.rating_asked_at is None
            and ticket.reason not in NO_RATING):
        buttons = (tuple(Button(str(k), f"rate:{ticket.id}:{k}") for k in RATING_SCALE),)
        out.append((target, Reply(target.chat_id, _s("ui.rate"), buttons=buttons,
                                  cadre_id=ticket.cadre_id, ticket_id=ticket.id,
                                  author=_actor(actor))))
        ticket.rating_asked_at = now  # asked once, however many replies follow
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    if ticket.assignee_id is None and actor is not None:
        ticket.assignee_id = actor.user_id
    # An emergency or a death is not over when staff have answered: it stays in the queue,
    # claimed, until someone closes it.
    ticket.status = "claimed" if ticket.reason in NO_RATING else "answered"
    await repo.audit(s, _actor(actor), "ticket.reply", now, ticket_id=ticket.id,
                     cadre_id=ticket.cadre_id, detail=text.strip()[:500])
    return out, _s("ui.staff.replied", n=ticket.id)


async def claim(s: AsyncSession, number: int, actor: Staff | None, now: datetime,
                within: Scope | None = None) -> str:
    ticket = await ticket_or_fail(s, number, scope.of(actor) if within is None else within)
    if ticket.status == "closed":
        raise DeskError(_s("ui.staff.already_closed", n=number))
    if actor is not None:
        ticket.assignee_id = actor.user_id
    ticket.status = "claimed" if ticket.status in ("open", "reopened") else ticket.status
    if ticket.first_response_at is None:
        ticket.first_response_at = now  # someone is on it: the emergency re-alerts stop
    await repo.audit(s, _actor(actor), "ticket.claim", now, ticket_id=ticket.id)
    return _s("ui.staff.claimed", n=ticket.id, name=actor.name if actor else "")


async def close(s: AsyncSession, number: int, note: str, actor: Staff | None, now: datetime,
                within: Scope | None = None) -> str:
    ticket = await ticket_or_fail(s, number, scope.of(actor) if within is None else within)
    ticket.status = "closed"
    ticket.closed_at = now
    await repo.audit(s, _actor(actor), "ticket.close", now, ticket_id=ticket.id,
                     detail=note or None)
    return _s("ui.staff.closed", n=ticket.id)


async def reopen(s: AsyncSession, number: int, actor: Staff | None, now: datetime,
                 within: Scope | None = None) -> str:
    """Back into the queue: the cadre's matter was not settled after all."""
    ticket = await ticket_or_fail(s, number, scope.of(actor) if within is None else within)
    ticket.status = "reopened"
    ticket.closed_at = None
    await repo.audit(s, _actor(actor), "ticket.reopen", now, ticket_id=ticket.id,
                     cadre_id=ticket.cadre_id)
    return _s("ui.staff.reopened_by", n=ticket.id)


async def open_tickets(s: AsyncSession, within: Scope = EVERYTHING,
                       statuses: Sequence[str] | None = OPEN) -> Sequence[Ticket]:
    """Tickets in these statuses (None: every ticket), the most urgent and oldest first."""
    stmt = select(Ticket).order_by(Ticket.priority.desc(), Ticket.created_at)
    if statuses is not None:
        stmt = stmt.where(Ticket.status.in_(statuses))
    return (await s.scalars(scope.tickets(stmt, within))).all()


async def queue_text(s: AsyncSession, now: datetime, within: Scope = EVERYTHING,
                     statuses: Sequence[str] | None = OPEN) -> str:
    rows = await open_tickets(s, within, statuses)
    queue = statuses is not None and set(statuses) == set(OPEN)
    if not rows:
        return _s("ui.staff.queue_empty" if queue else "ui.staff.list_empty")
    lines = [_s("ui.staff.queue_head" if queue else "ui.staff.list_head", count=len(rows))]
    for t in rows:
        overdue = t.sla_due_at is not None and t.sla_due_at < now
        hours = (now - t.created_at).total_seconds() / 3600
        lines.append(_s("ui.staff.queue_line", n=t.id,
                        priority=tickets.PRIORITY_NAMES[Priority(t.priority)],
                        reason=_reason(t.reason), status=_s(f"ui.status.{t.status}"),
                        age=f"{hours:.1f}", overdue=_s("ui.staff.overdue") if overdue else ""))
    return "\n".join(lines)


async def ticket_text(s: AsyncSession, number: int, within: Scope = EVERYTHING,
                      zone: str = "Asia/Shanghai") -> str:
    """The ticket with its whole conversation: what the cadre, the assistant and staff said,
    with times, from the first message the ticket shows until it was closed."""
    t = await ticket_or_fail(s, number, within)
    cadre = await s.get(Cadre, t.cadre_id)
    lines = [_s("ui.staff.ticket_head", n=t.id, reason=_reason(t.reason),
                status=_s(f"ui.status.{t.status}"),
                name=(cadre.name if cadre else None) or _s("ui.staff.unnamed"),
                phone=(cadre.phone if cadre else None) or "-")]
    names = {f"staff:{m.user_id}": m.name for m in (await s.scalars(select(Staff))).all()}
    local = ZoneInfo(zone)
    for m in await _conversation_of(s, t):
        who = (_s("ui.staff.who.cadre") if m.direction == "in" else
               _s("ui.staff.who.staff", name=names.get(m.author or "", m.author or ""))
               if (m.author or "").startswith(("staff:", "cli")) else
               _s("ui.staff.who.assistant"))
        at = m.created_at if m.created_at.tzinfo else m.created_at.replace(tzinfo=UTC)
        text = m.text or f"[{m.kind}]"
        attached = tickets.file_line(repo.file_entry(m))
        lines.append(_s("ui.staff.transcript_line", at=f"{at.astimezone(local):%m-%d %H:%M}",
                        who=who, text=f"{text} {attached}" if attached else text))
    if t.rating is not None:
        lines.append(_s("ui.staff.rated", rating=t.rating))
    return "\n".join(lines)


async def _conversation_of(s: AsyncSession, t: Ticket) -> list[Message]:
    """The cadre's messages from the first one the ticket recorded until it was closed."""
    start = t.created_at
    for entry in t.transcript or ():
        with contextlib.suppress(KeyError, ValueError):
            start = min(start, _aware(datetime.fromisoformat(entry["at"]), start))
    stmt = select(Message).where(Message.cadre_id == t.cadre_id, Message.created_at >= start)
    if t.closed_at is not None:
        stmt = stmt.where(Message.created_at <= t.closed_at)
    return list((await s.scalars(stmt.order_by(Message.created_at, Message.id))).all())


def _aware(at: datetime, like: datetime) -> datetime:
    """SQLite hands back naive UTC; compare like with like."""
    if at.tzinfo is None and like.tzinfo is not None:
        return at.replace(tzinfo=UTC)
    if at.tzinfo is not None and like.tzinfo is None:
        return at.astimezone(UTC).replace(tzinfo=None)
    return at


async def record_contact(s: AsyncSession, key: str, kind: str, note: str,
                         actor: Staff | None, now: datetime,
                         record: dict | None = None, within: Scope | None = None) -> str:
    """A call or visit staff made: counts for the monthly duty and the six-month rule."""
    if not key or kind not in CONTACT_KINDS:
        raise DeskError(_s("staff.checkin.contacted.usage"))
    cadre = await repo.find_cadre(s, key)
    if cadre is not None and not (scope.of(actor) if within is None else within
                                  ).sees_cadre(cadre):
        cadre = None  # another agency's cadre: not found, as far as this staff member knows
    if cadre is None:
        raise DeskError(_s("staff.checkin.no_cadre", key=key))
    await repo.record_contact(s, cadre, CONTACT_KINDS[kind], now,
                              staff_id=actor.user_id if actor else None, note=note or None,
                              record=record)
    await repo.audit(s, _actor(actor), "contact.add", now, cadre_id=cadre.id, detail=kind)
    return _s("staff.checkin.recorded", name=cadre.name or cadre.id,
              kind=_s(f"staff.cli.contact.{CONTACT_KINDS[kind]}"))


def _reason(code: str) -> str:
    return knowledge.load().strings.get(f"reason.{code}", code)


def _actor(staff: Staff | None) -> str:
    return f"staff:{staff.user_id}" if staff is not None else "cli"


async def handle(s: AsyncSession, msg: Incoming, staff: Staff, now: datetime,
                 settings: Settings, staff_chat: str | None
                 ) -> tuple[list[tuple[Target, Reply]], list[str]]:
    """A staff member's command, button or reply-to-ticket. Returns messages to cadres and
    the texts to answer the staff member with (in the chat they wrote from)."""
    within = await chat_scope(s, msg, staff, settings)
    try:
        if msg.callback_data:
            action, _, number = msg.callback_data.partition(":")
            if action == "claim":
                return [], [await claim(s, int(number), staff, now, within)]
            if action == "close":
                return [], [await close(s, int(number), "", staff, now, within)]
            return [], []
        if msg.kind == "command":
            return await _command(s, msg, staff, now, settings, within)
        if msg.reply_to_message_id is not None and msg.text:
            # Message ids are per chat: the post replied to is the one in this group.
            ticket = (await s.scalars(select(Ticket).where(
                Ticket.staff_message_id == msg.reply_to_message_id,
                or_(Ticket.staff_chat == msg.chat_id, Ticket.staff_chat.is_(None)))
                .order_by(Ticket.staff_chat.is_(None)))).first()
            if ticket is not None:
                out, ack = await reply(s, ticket.id, msg.text, staff, now, settings, within)
                return out, [ack]
        return [], []  # ordinary talk among staff: not for the bot
    except DeskError as exc:
        return [], [str(exc)]
    except ValueError:
        return [], [_s("ui.staff.usage")]


async def chat_scope(s: AsyncSession, msg: Incoming, staff: Staff, settings: Settings
                     ) -> Scope:
    """The member's scope, narrowed in an agency's group to that agency (all its members
    read the answer)."""
    if msg.chat_type == "private":
        return scope.of(staff)
    directory = await agencies.load(s, settings)
    return scope.in_group(staff, [r.agency_key for r in directory.agencies
                                  if r.staff_chat == msg.chat_id])


async def _command(s: AsyncSession, msg: Incoming, staff: Staff, now: datetime,
                   settings: Settings, within: Scope
                   ) -> tuple[list[tuple[Target, Reply]], list[str]]:
    args = msg.command_args.strip()
    if msg.command == "reply":
        number, _, text = args.partition(" ")
        out, ack = await reply(s, int(number.lstrip("#")), text, staff, now, settings, within)
        return out, [ack]
    if msg.command == "claim":
        return [], [await claim(s, int(args.lstrip("#")), staff, now, within)]
    if msg.command == "close":
        number, _, note = args.partition(" ")
        return [], [await close(s, int(number.lstrip("#")), note.strip(), staff, now, within)]
    if msg.command == "queue":
        return [], [await queue_text(s, now, within)]
    if msg.command == "ticket":
        return [], [await ticket_text(s, int(args.lstrip("#")), within, settings.timezone)]
    if msg.command == "checkins":
        return [], [checkins.report_text(await checkins.report(s, now, settings, within))]
    if msg.command == "contacted":
        key, _, rest = args.partition(" ")
        kind, _, note = rest.strip().partition(" ")
        return [], [await record_contact(s, key, kind, note.strip(), staff, now,
                                         within=within)]
    if msg.command == "canned":
        items = canned_replies()
        return [], ["\n".join(f":{k}  {v}" for k, v in items.items()) or _s("ui.staff.usage")]
    return [], [_s("ui.staff.usage")]
