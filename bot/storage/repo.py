"""Queries as small async functions: the session comes first, the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, make_transient_to_detached

from bot.dialogue import Memory, State
from bot.messages import Incoming, Reply
from bot.storage.models import (
    ACTIVE_TICKET,
    Account,
    AuditEntry,
    Cadre,
    Contact,
    Conversation,
    Delivery,
    Message,
    Staff,
    Ticket,
)

MAX_ID = 2 ** 31 - 1  # the largest INTEGER (PostgreSQL's int4) a row id can be


def as_id(raw: str | int) -> int | None:
    """A row id typed or pressed by a person (a ticket number, a button's data), or None if
    it cannot be one: the database raises on a number too large for it, not a miss."""
    if isinstance(raw, str):
        raw = raw.strip()
        if not (raw.isascii() and raw.isdigit()):
            return None
        raw = int(raw) if len(raw) <= 10 else 0
    return raw if 0 < raw <= MAX_ID else None


async def account_for(s: AsyncSession, msg: Incoming, now: datetime) -> Account:
    """The sender's account, created (with a cadre not yet on the roster) on first contact."""
    stmt = select(Account).options(joinedload(Account.cadre)).where(  # the cadre in one go
        Account.transport == msg.transport, Account.external_id == msg.user_id)
    account = (await s.scalars(stmt)).one_or_none()
    if account is not None:
        return account
    try:
        async with s.begin_nested():
            cadre = Cadre(created_at=now, updated_at=now, on_roster=False, merits=[])
            s.add(cadre)
            await s.flush()
            account = Account(transport=msg.transport, external_id=msg.user_id,
                              chat_id=msg.chat_id, first_name=msg.first_name,
                              cadre_id=cadre.id, created_at=now)
            s.add(account)
            await s.flush()
    except IntegrityError:
        # A new cadre's messages arrive together (a double tap, a backlog after a restart)
        # and are handled concurrently: another handler created the account first. Failing
        # here would lose the message, so use that account.
        account = (await s.scalars(stmt)).one()
    return account


async def record_inbound(s: AsyncSession, cadre_id: int, msg: Incoming, now: datetime
                         ) -> Message | None:
    """Store an inbound message; None if this update was stored before (a redelivery)."""
    message = Message(
        cadre_id=cadre_id, transport=msg.transport, update_id=msg.update_id, direction="in",
        kind=msg.kind, text=msg.text, created_at=now, payload=msg.payload())
    if msg.update_id is None:
        s.add(message)
        await s.flush()
        return message
    # A redelivered update is skipped by the database (ON CONFLICT DO NOTHING), not caught as
    # an IntegrityError inside a savepoint: two statements and a nested transaction fewer for
    # every message. The row is then the session's as if it had been flushed.
    row = {name: getattr(message, name) for name in _MESSAGE_COLUMNS}
    stmt = (_insert_for(s)(Message.__table__).values(row)
            .on_conflict_do_nothing(index_elements=["transport", "update_id"])
            .returning(Message.__table__.c.id))
    message.id = (await s.execute(stmt)).scalar_one_or_none()
    if message.id is None:
        return None
    for column in _UNSET_COLUMNS:  # NULL in the row: loaded, so reading one is no query
        setattr(message, column, None)
    make_transient_to_detached(message)
    s.add(message)
    return message


# Set on an inbound message when it is stored; the others keep their column defaults.
_MESSAGE_COLUMNS = ("cadre_id", "transport", "update_id", "direction", "kind", "text",
                    "created_at", "payload")
_UNSET_COLUMNS = [c.key for c in Message.__table__.c
                  if c.key != "id" and c.key not in _MESSAGE_COLUMNS]


def _insert_for(s: AsyncSession) -> Any:
    """INSERT with ON CONFLICT, in the dialect of the session's database."""
    if s.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


async def first_with_message_id(s: AsyncSession, cadre_id: int, transport: str,
                                message_id: int) -> Message | None:
    """A cadre's inbound message by the transport's message id (an edit keeps the id, so the
    first one stored is the original)."""
    stmt = (select(Message)
            .where(Message.cadre_id == cadre_id, Message.transport == transport,
                   Message.direction == "in",
                   Message.payload["message_id"].as_integer() == message_id)
            .order_by(Message.id).limit(1))
    return (await s.scalars(stmt)).first()


async def record_outbound(s: AsyncSession, cadre_id: int | None, transport: str, text: str,
                          now: datetime, intent: str | None = None) -> Message:
    message = Message(cadre_id=cadre_id, transport=transport, direction="out", kind="text",
                      text=text, intent=intent, created_at=now)
    s.add(message)
    await s.flush()
    return message


async def record_contact(s: AsyncSession, cadre: Cadre, kind: str, now: datetime, *,
                         staff_id: int | None = None, note: str | None = None,
                         record: dict[str, Any] | None = None) -> None:
    s.add(Contact(cadre_id=cadre.id, kind=kind, staff_id=staff_id, note=note,
                  record=record or {}, at=now))
    if cadre.last_contact_at is None or now > cadre.last_contact_at:
        cadre.last_contact_at = now
    cadre.unreachable = False


async def _conversation(s: AsyncSession, cadre_id: int) -> Conversation | None:
    """The row, held for the rest of the transaction: the session keeps rows it loaded only
    weakly, and saving the memory would read it again."""
    held = s.info.setdefault("conversations", {})
    if cadre_id not in held:
        held[cadre_id] = await s.get(Conversation, cadre_id)
    return held[cadre_id]


async def load_memory(s: AsyncSession, cadre_id: int) -> Memory:
    conversation = await _conversation(s, cadre_id)
    if conversation is None or not conversation.memory:
        return Memory()
    raw = dict(conversation.memory)
    raw["state"] = State(raw.get("state", "idle"))
    raw["options"] = tuple(raw.get("options", ()))
    raw["values"] = tuple(raw.get("values", ()))
    for name in ("expires_at", "facts_until"):
        value = raw.get(name)
        raw[name] = datetime.fromisoformat(value) if value else None
    return Memory(**raw)


async def expired_offers(s: AsyncSession, now: datetime, slot: str,
                         within: timedelta = timedelta(days=1)
                         ) -> list[tuple[Conversation, Cadre]]:
    """Conversations whose question for `slot` expired unanswered (in the last `within`)."""
    stmt = (select(Conversation, Cadre).join(Cadre, Cadre.id == Conversation.cadre_id)
            .where(Conversation.state == State.AWAITING_SLOT.value,
                   Conversation.expires_at <= now, Conversation.expires_at > now - within))
    rows = (await s.execute(stmt)).all()
    return [(c, cadre) for c, cadre in rows if (c.memory or {}).get("pending_slot") == slot]


async def save_memory(s: AsyncSession, cadre_id: int, memory: Memory, now: datetime,
                      last_answer: str | None) -> None:
    raw = asdict(memory)
    raw["state"] = memory.state.value
    raw["options"], raw["values"] = list(memory.options), list(memory.values)
    raw["expires_at"] = memory.expires_at.isoformat() if memory.expires_at else None
    raw["facts_until"] = memory.facts_until.isoformat() if memory.facts_until else None
    conversation = await _conversation(s, cadre_id)
    if conversation is None:
        conversation = Conversation(cadre_id=cadre_id, updated_at=now)
        s.add(conversation)
        s.info["conversations"][cadre_id] = conversation
    conversation.memory = raw
    conversation.state = memory.state.value
    conversation.expires_at = memory.expires_at
    conversation.updated_at = now
    if last_answer is not None:
        conversation.last_answer = last_answer


async def enqueue(s: AsyncSession, reply: Reply, transport: str, now: datetime, *,
                  message_id: int | None = None, ticket_id: int | None = None) -> Delivery:
    delivery = Delivery(chat_id=reply.chat_id, transport=transport, payload=reply.payload(),
                        next_attempt_at=now, message_id=message_id, ticket_id=ticket_id,
                        created_at=now)
    s.add(delivery)
    await s.flush()
    return delivery


async def due_deliveries(s: AsyncSession, transport: str, now: datetime, limit: int = 100
                         ) -> Sequence[Delivery]:
    stmt = (select(Delivery)
            .where(Delivery.status == "pending", Delivery.transport == transport,
                   Delivery.next_attempt_at <= now)
            .order_by(Delivery.id).limit(limit))
    return (await s.scalars(stmt)).all()


@dataclass(frozen=True)
class Sent:
    ticket_id: int | None
    chat_id: str
    to_staff: bool


async def mark_sent(s: AsyncSession, delivery_id: int, message_id: int | None) -> Sent | None:
    """One statement (the pump calls it for every send); None if there is no such delivery."""
    stmt = (update(Delivery).where(Delivery.id == delivery_id)
            .values(status="sent", sent_message_id=message_id, attempts=Delivery.attempts + 1)
            .returning(Delivery.ticket_id, Delivery.chat_id, Delivery.payload)
            .execution_options(synchronize_session=False))
    row = (await s.execute(stmt)).one_or_none()
    if row is None:
        return None
    return Sent(row[0], row[1], bool((row[2] or {}).get("to_staff")))


async def mark_failed(s: AsyncSession, delivery_id: int, error: str, now: datetime, *,
                      retry_after: float | None, permanent: bool) -> Delivery | None:
    """Keep the send pending for later (backoff), or fail it for good (blocked, bad chat)."""
    delivery = await s.get(Delivery, delivery_id)
    if delivery is None:
        return None
    delivery.attempts += 1
    delivery.last_error = error[:255]
    if permanent:
        delivery.status = "failed"
    else:
        backoff = retry_after if retry_after is not None else min(300, 2 ** delivery.attempts)
        delivery.next_attempt_at = now + timedelta(seconds=backoff)
    return delivery


async def unprocessed_inbound(s: AsyncSession, transport: str) -> Sequence[Message]:
    stmt = (select(Message)
            .where(Message.direction == "in", Message.transport == transport,
                   Message.processed_at.is_(None))
            .order_by(Message.id))
    return (await s.scalars(stmt)).all()


async def processed_since(s: AsyncSession, cadre_id: int, since: datetime) -> int:
    stmt = select(func.count()).select_from(Message).where(
        Message.cadre_id == cadre_id, Message.direction == "in",
        Message.processed_at >= since)
    return int(await s.scalar(stmt) or 0)


async def deferred_count(s: AsyncSession, cadre_id: int) -> int:
    stmt = select(func.count()).select_from(Message).where(
        Message.cadre_id == cadre_id, Message.direction == "in",
        Message.processed_at.is_(None))
    return int(await s.scalar(stmt) or 0)


async def cadre_by_phone(s: AsyncSession, phone: str) -> Cadre | None:
    return (await s.scalars(select(Cadre).where(Cadre.phone == phone))).one_or_none()


async def find_cadre(s: AsyncSession, key: str) -> Cadre | None:
    """A cadre by id, phone or name (the name only if it is unique)."""
    key = key.strip()
    if key.isdecimal() and len(key) < 7:
        return await s.get(Cadre, int(key))
    if key.isdigit():
        return await cadre_by_phone(s, key)
    rows = (await s.scalars(select(Cadre).where(Cadre.name == key).limit(2))).all()
    return rows[0] if len(rows) == 1 else None


async def cadre_by_invite(s: AsyncSession, code: str) -> Cadre | None:
    return (await s.scalars(select(Cadre).where(Cadre.invite_code == code))).one_or_none()


async def staff_member(s: AsyncSession, user_id: int) -> Staff | None:
    staff = await s.get(Staff, user_id)
    return staff if staff is not None and staff.active else None


async def open_ticket(s: AsyncSession, cadre_id: int, reason: str) -> Ticket | None:
    stmt = select(Ticket).where(Ticket.cadre_id == cadre_id, Ticket.reason == reason,
                                Ticket.status.in_(ACTIVE_TICKET))
    return (await s.scalars(stmt.order_by(Ticket.id.desc()).limit(1))).first()


async def latest_active_ticket(s: AsyncSession, cadre_id: int) -> Ticket | None:
    """The cadre's most recent ticket still in the queue, whatever its reason."""
    stmt = select(Ticket).where(Ticket.cadre_id == cadre_id, Ticket.status.in_(ACTIVE_TICKET))
    return (await s.scalars(stmt.order_by(Ticket.id.desc()).limit(1))).first()


async def recent_transcript(s: AsyncSession, cadre_id: int, limit: int = 6
                            ) -> list[dict[str, Any]]:
    stmt = (select(Message).where(Message.cadre_id == cadre_id)
            .order_by(Message.id.desc()).limit(limit))
    rows = list(reversed((await s.scalars(stmt)).all()))
    return [{"direction": m.direction, "text": m.text or f"[{m.kind}]",
             "at": m.created_at.isoformat(), **file_entry(m)} for m in rows]


def file_entry(m: Message) -> dict[str, Any]:
    """A cadre's photo or document (or a voice note whose recording could not be kept):
    its Telegram file id, for staff to open."""
    payload = m.payload or {}
    if m.direction != "in" or not payload.get("file_id") or (
            payload.get("file_kind") in ("voice", "audio") and m.audio_path):
        return {}
    return {"file": {"kind": payload.get("file_kind") or m.kind, "id": payload["file_id"]}}


async def audit(s: AsyncSession, actor: str, action: str, now: datetime, *,
                ticket_id: int | None = None, cadre_id: int | None = None,
                detail: str | None = None) -> None:
    s.add(AuditEntry(actor=actor, action=action, ticket_id=ticket_id, cadre_id=cadre_id,
                     detail=detail, at=now))
