"""The outbox, on the way in: one function puts a reply into it, whoever sends it (the
conversation, the staff group, `junxiu tickets reply`, the web desk). The running bot's pump
delivers it; the delivery's row says whether Telegram accepted it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Reply, fit
from bot.storage import repo


class Addressed(Protocol):
    """Where a reply goes (bot.staff.Target)."""

    @property
    def transport(self) -> str: ...


async def put(s: AsyncSession, transport: str, reply: Reply, now: datetime) -> Reply:
    """One reply into the outbox, and into the transcript when it goes to a cadre (its
    `meta["cadre_id"]`). Returns it with its delivery id, ready for an immediate send."""
    reply = replace(reply, text=fit(reply.text))  # a longer one Telegram would refuse
    cadre_id = reply.meta.get("cadre_id")
    message = None
    if cadre_id is not None:
        message = await repo.record_outbound(s, cadre_id, transport, reply.text, now,
                                             intent=reply.meta.get("intent"))
    delivery = await repo.enqueue(s, reply, transport, now,
                                  message_id=message.id if message else None,
                                  ticket_id=reply.meta.get("ticket_id"))
    voice = reply.voice or voice_bytes(reply.meta)  # e.g. a voice message for staff
    return replace(reply, voice=voice, meta={**reply.meta, "transport": transport},
                   delivery_id=delivery.id)


async def put_all(s: AsyncSession, addressed: Iterable[tuple[Addressed, Reply]],
                  now: datetime) -> list[Reply]:
    """Replies to cadres as the staff desk produces them: (target, reply) pairs."""
    return [await put(s, target.transport, reply, now) for target, reply in addressed]


def voice_bytes(payload: dict[str, Any]) -> bytes | None:
    path = payload.get("voice_path")
    return Path(path).read_bytes() if path and Path(path).is_file() else None
