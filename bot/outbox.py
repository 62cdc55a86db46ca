"""The outbox: the one way anything sends (the conversation, staff commands, check-ins, the CLI,
the web desk).

It lives in the database (`deliveries`), so a reply put by another process (`junxiu desk`,
`junxiu tickets reply`) is delivered by the running bot's pump, and nothing put is lost in a
restart. `put` joins the caller's transaction: a reply is recorded with the state change that
caused it, or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import agencies, checkins, tickets
from bot.messages import Reply, fit
from bot.settings import Settings
from bot.storage import repo
from bot.storage.models import Cadre, Delivery, Message

log = logging.getLogger(__name__)

TELEGRAM = "telegram"  # the staff group lives on Telegram
ASSISTANT = "assistant"  # the author of what the bot itself says


class Addressed(Protocol):
    """Where a reply goes (bot.staff.Target)."""

    @property
    def transport(self) -> str: ...


class Sending:
    """Deliveries this process is sending or has sent. The periodic flush runs beside the
    handlers: without this it re-sends a reply a handler is still sending (a 429 wait lasts
    seconds) or has just sent, and the cadre gets the answer twice."""

    LIMIT = 10_000  # the oldest are long marked sent in the outbox

    def __init__(self) -> None:
        self._ids: dict[int, None] = {}  # insertion-ordered: the oldest first

    def claim(self, delivery_id: int) -> bool:
        if delivery_id in self._ids:
            return False
        self._ids[delivery_id] = None
        if len(self._ids) > self.LIMIT:
            del self._ids[next(iter(self._ids))]
        return True

    def release(self, delivery_id: int | None) -> None:
        if delivery_id is not None:
            self._ids.pop(delivery_id, None)


class Outbox:
    def __init__(self, sessions: async_sessionmaker[AsyncSession] | None,
                 clock: Callable[[], datetime], settings: Settings) -> None:
        self._sessions, self._clock, self._settings = sessions, clock, settings
        self.sending = Sending()  # one per outbox, so per app: no registry of services
        chat = settings.staff_chat_id
        self._staff_chat = str(chat) if chat is not None else None

    @classmethod
    def for_settings(cls, settings: Settings) -> Outbox:
        """An outbox that only puts (a process that does not deliver, such as the CLI)."""
        return cls(None, lambda: datetime.now(UTC), settings)

    async def put(self, s: AsyncSession, replies: Sequence[Reply], transport: str,
                  now: datetime) -> list[Reply]:
        """Record `replies` for sending, in the caller's transaction; the staff group's go out
        on Telegram whatever `transport` is. Each reply to a cadre (`cadre_id`) is also a line
        of their transcript. Returns them with their delivery ids, ready to send now."""
        replies = [replace(r, text=fit(r.text),  # a longer one Telegram would refuse
                           transport=TELEGRAM if r.to_staff or r.chat_id == self._staff_chat
                           else transport)
                   for r in replies]
        if not replies:
            return []
        # Plain INSERT … RETURNING id, not ORM objects: nothing reads these rows back in the
        # transaction, and the unit of work's flush cost more than the rest of put.
        lines = [i for i, r in enumerate(replies) if r.cadre_id is not None]
        line_ids = dict(zip(lines, await _insert(s, _MESSAGES, [
            {"cadre_id": replies[i].cadre_id, "transport": replies[i].transport,
             "direction": "out", "kind": "text", "text": replies[i].text, "created_at": now,
             "author": replies[i].author or ASSISTANT} for i in lines]), strict=True))
        delivery_ids = await _insert(s, _DELIVERIES, [
            {"chat_id": r.chat_id, "transport": r.transport, "payload": _stored(r),
             "next_attempt_at": now, "created_at": now, "ticket_id": r.ticket_id,
             "message_id": line_ids.get(i)} for i, r in enumerate(replies)])
        return [replace(r, delivery_id=d, voice=r.voice or _voice(r.voice_path))
                for r, d in zip(replies, delivery_ids, strict=True)]

    def _open(self) -> async_sessionmaker[AsyncSession]:
        assert self._sessions is not None, "this outbox only puts (Outbox.for_settings)"
        return self._sessions

    async def put_addressed(self, s: AsyncSession, addressed: Iterable[tuple[Addressed, Reply]],
                            now: datetime) -> list[Reply]:
        """Replies as the staff desk makes them, each with where it goes (bot.staff.Target)."""
        out: list[Reply] = []
        for target, reply in addressed:
            out += await self.put(s, [reply], target.transport, now)
        return out

    async def due(self, transport: str, limit: int = 100) -> list[Reply]:
        """Replies still waiting to be sent: put by another process, after a failure, or
        before a restart."""
        async with self._open()() as s:
            rows = await repo.due_deliveries(s, transport, self._clock(), limit)
            return [Reply.from_payload(d.chat_id, d.payload, d.id,
                                       _voice(d.payload.get("voice_path"))) for d in rows]

    async def delivered(self, delivery_id: int, message_id: int | None) -> None:
        async with self._open().begin() as s:
            sent = await repo.mark_sent(s, delivery_id, message_id)
            if sent is not None and sent.ticket_id and sent.to_staff and message_id is not None:
                # the group's post, which staff reply to (a reply to the cadre about the
                # ticket carries its id too: that one is not remembered)
                await tickets.remember_staff_message(s, sent.ticket_id, message_id, sent.chat_id)

    async def failed(self, delivery_id: int, error: str, *, retry_after: float | None = None,
                     permanent: bool = False) -> None:
        now = self._clock()
        async with self._open().begin() as s:
            delivery = await repo.mark_failed(s, delivery_id, error, now,
                                              retry_after=retry_after, permanent=permanent)
            cadre_id = delivery.payload.get("cadre_id") if delivery else None
            if permanent and cadre_id is not None:
                # Blocked, or never pressed Start: staff must phone instead.
                cadre = await s.get(Cadre, cadre_id)
                chat = await agencies.staff_chat_for(s, self._settings, cadre) if cadre else None
                alert = await checkins.mark_unreachable(s, cadre, delivery.payload, now, chat)
                await self.put(s, alert, TELEGRAM, now)


_MESSAGES = Message.__table__
_DELIVERIES = Delivery.__table__


async def _insert(s: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """The new rows' ids, in the order given (one statement for all of them)."""
    if not rows:
        return []
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list((await s.scalars(stmt, rows)).all())


def _stored(reply: Reply) -> dict:
    payload = reply.payload()
    payload.pop("transport", None)  # a column of its own
    return payload


def _voice(path: str | None) -> bytes | None:
    return Path(path).read_bytes() if path and Path(path).is_file() else None
