"""A ticket's whole conversation as the desk shows it: every message of the cadre from the
first one the ticket quotes until it was closed, each reply with what became of its delivery."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import AuditEntry, Delivery, Message, Staff, Ticket

LIMIT = 500


@dataclass(frozen=True)
class Line:
    at: datetime
    sender: str  # in | out | staff
    text: str
    kind: str
    delivery: str | None  # pending | sent | failed, for what was sent
    error: str | None


def window_start(ticket: Ticket) -> datetime:
    stamps = [datetime.fromisoformat(m["at"]) for m in ticket.transcript or () if m.get("at")]
    stamps = [at if at.tzinfo else at.replace(tzinfo=ticket.created_at.tzinfo) for at in stamps]
    return min([*stamps, ticket.created_at])


async def lines(s: AsyncSession, ticket: Ticket, now: datetime) -> Sequence[Line]:
    end = ticket.closed_at or now
    stmt = (select(Message, Delivery.status, Delivery.last_error)
            .outerjoin(Delivery, Delivery.message_id == Message.id)
            .where(Message.cadre_id == ticket.cadre_id,
                   Message.created_at >= window_start(ticket), Message.created_at <= end)
            .order_by(Message.id).limit(LIMIT))
    out = []
    for m, status, error in (await s.execute(stmt)).all():
        sender = "in" if m.direction == "in" else (
            "staff" if staff_wrote(m) else "out")
        out.append(Line(m.created_at, sender, m.text or f"[{m.kind}]", m.kind,
                        status if m.direction == "out" else None, error))
    return out


def staff_wrote(m: Message) -> bool:
    """Written by a staff member (on the desk, in the group, or with the CLI)."""
    return (m.author or "").startswith(("staff:", "cli"))


async def failed_replies(s: AsyncSession, ticket_id: int) -> int:
    """Staff answers on this ticket that Telegram refused for good (blocked: 403)."""
    stmt = select(Delivery.id).where(Delivery.ticket_id == ticket_id,
                                     Delivery.message_id.is_not(None),
                                     Delivery.status == "failed")
    return len((await s.scalars(stmt)).all())


async def history(s: AsyncSession, ticket_id: int) -> Sequence[tuple[AuditEntry, str | None]]:
    """The ticket's audit trail, with the staff member's name where an actor is staff."""
    entries = (await s.scalars(select(AuditEntry).where(AuditEntry.ticket_id == ticket_id)
                               .order_by(AuditEntry.at, AuditEntry.id))).all()
    ids = {int(e.actor.split(":", 1)[1]) for e in entries
           if e.actor.startswith("staff:") and e.actor.split(":", 1)[1].isdigit()}
    names = dict((await s.execute(select(Staff.user_id, Staff.name)
                                  .where(Staff.user_id.in_(ids)))).all()) if ids else {}
    return [(e, names.get(int(e.actor[6:])) if e.actor.startswith("staff:")
             and e.actor[6:].isdigit() else None) for e in entries]
