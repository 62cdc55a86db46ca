"""One cadre's personal data: everything we hold (`cadres export`) and erasure (`cadres forget`),
as personal-information rules (GB/T 35273, cited by DB31/T 1044 4.5.5) expect."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage import repo
from bot.storage.models import (
    Account,
    AuditEntry,
    Cadre,
    CheckIn,
    Contact,
    Conversation,
    Delivery,
    Flag,
    Message,
    ReviewedExample,
    Ticket,
)


def _row(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    out = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


async def export(s: AsyncSession, cadre_id: int) -> dict[str, Any] | None:
    """Everything stored about one cadre, as plain JSON-ready data."""
    cadre = await s.get(Cadre, cadre_id)
    if cadre is None:
        return None

    async def rows(model: Any, fields: tuple[str, ...]) -> list[dict[str, Any]]:
        found = (await s.scalars(select(model).where(model.cadre_id == cadre_id)
                                 .order_by(model.id))).all()
        return [_row(r, fields) for r in found]

    return {
        "cadre": _row(cadre, ("id", "name", "phone", "other_phone", "agency_key", "region",
                              "status", "rank", "birth_date", "birth_precision",
                              "lives_alone", "merits", "merits_text", "on_roster",
                              "voice_replies", "last_contact_at", "created_at")),
        "accounts": await rows(Account, ("transport", "external_id", "first_name",
                                         "created_at")),
        "messages": await rows(Message, ("direction", "kind", "text", "intent", "created_at")),
        "tickets": await rows(Ticket, ("id", "reason", "status", "question", "bot_answer",
                                       "rating", "created_at", "closed_at")),
        "contacts": await rows(Contact, ("kind", "note", "record", "at")),
        "checkins": await rows(CheckIn, ("kind", "status", "sent_at", "answered_at")),
        "flags": await rows(Flag, ("kind", "since", "raised_at")),
        "reviewed_examples": await rows(ReviewedExample, ("text", "intent", "reviewed_at")),
    }


async def forget(s: AsyncSession, cadre_id: int, now: datetime, actor: str = "cli") -> bool:
    """Erase one cadre's personal data. Tickets stay as anonymous counts for the records."""
    cadre = await s.get(Cadre, cadre_id)
    if cadre is None:
        return False
    message_ids = select(Message.id).where(Message.cadre_id == cadre_id)
    ticket_ids = select(Ticket.id).where(Ticket.cadre_id == cadre_id)
    theirs = or_(Delivery.message_id.in_(message_ids), Delivery.ticket_id.in_(ticket_ids))
    # Their voice notes (and replies spoken to them) are files: the rows only point at them.
    audio = set((await s.scalars(select(Ticket.audio_path).where(
        Ticket.cadre_id == cadre_id, Ticket.audio_path.is_not(None)))).all())
    audio |= set((await s.scalars(select(Message.audio_path).where(
        Message.cadre_id == cadre_id, Message.audio_path.is_not(None)))).all())
    audio |= {d.payload.get("voice_path") for d in (await s.scalars(
        select(Delivery).where(theirs))).all() if d.payload.get("voice_path")}
    for path in audio:
        Path(path).unlink(missing_ok=True)
    # Replies to them, and the staff posts of their tickets (name, phone, question): emptied.
    await s.execute(update(Delivery).where(theirs, Delivery.status == "pending")
                    .values(status="failed"))
    await s.execute(update(Delivery).where(theirs).values(message_id=None, payload={"text": ""}))
    await s.execute(update(Ticket).where(Ticket.cadre_id == cadre_id).values(
        question=None, bot_answer=None, transcript=[], audio_path=None))
    await s.execute(update(AuditEntry).where(AuditEntry.cadre_id == cadre_id)
                    .values(detail=None))
    await _scrub(s, [t for t in (cadre.name, cadre.phone, cadre.other_phone) if t])
    # Their messages leave the desk's gaps inbox and the training data with them.
    await s.execute(delete(ReviewedExample).where(or_(
        ReviewedExample.cadre_id == cadre_id, ReviewedExample.message_id.in_(message_ids))))
    for model in (Message, Contact, CheckIn, Flag, Conversation, Account):
        await s.execute(delete(model).where(model.cadre_id == cadre_id))
    for name in ("name", "phone", "other_phone", "birth_date", "birth_precision",
                 "merits_text", "invite_code", "last_contact_at"):
        setattr(cadre, name, None)
    cadre.merits, cadre.on_roster, cadre.updated_at = [], False, now
    await repo.audit(s, actor, "cadre.forget", now, cadre_id=cadre_id)
    return True


ERASED = "[已删除]"


async def _scrub(s: AsyncSession, traces: list[str]) -> None:
    """Their name and phone cut out of what others wrote about them (staff commands and
    notes); messages sent about them (/ticket answers, check-in alerts) emptied."""
    if not traces:
        return

    def scrubbed(text: str) -> str:
        for trace in traces:
            text = text.replace(trace, ERASED)
        return text

    for model, column in ((Message, Message.text), (AuditEntry, AuditEntry.detail)):
        mention = or_(*(column.contains(t, autoescape=True) for t in traces))
        for row in (await s.scalars(select(model).where(mention))).all():
            setattr(row, column.key, scrubbed(getattr(row, column.key)))
    # A sent message that names them is about them (a /ticket answer carries their messages
    # too): emptied like their own. JSON may keep Chinese as \u escapes: compare in Python.
    for delivery in (await s.scalars(select(Delivery).where(
            Delivery.message_id.is_(None)))).all():
        text = (delivery.payload or {}).get("text") or ""
        if any(t in text for t in traces):
            delivery.payload = {"text": ""}
            if delivery.status == "pending":
                delivery.status = "failed"
