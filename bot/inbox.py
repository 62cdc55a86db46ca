"""The inbox: every inbound message stored, whole, before anything else is done with it.

Stored means replayable: the payload (bot.messages.Incoming.payload), the audio of a voice
note as a file, and the reply-to, so a message deferred by flood control or interrupted by a
crash is answered exactly as it would have been. An emergency is never deferred: it is checked
before flood control.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.messages import Incoming
from bot.settings import Settings
from bot.storage import repo
from bot.storage.models import Cadre, Message
from bot.voice.store import AudioStore, note_name
from intents import understand

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stored:
    inbound_id: int
    cadre_id: int | None
    msg: Incoming
    deferred: bool = False  # flood control: answered later, at the allowed pace
    first_deferred: bool = False  # the first one deferred: the cadre is told, once


class Inbox:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings,
                 clock: Callable[[], datetime], today: Callable[[datetime], date],
                 audio: AudioStore) -> None:
        self._sessions, self._settings, self._clock = sessions, settings, clock
        self._today, self._audio = today, audio

    async def store(self, s: AsyncSession, msg: Incoming, cadre_id: int | None
                    ) -> Message | None:
        """The message as a row (None: this update was stored before, a redelivery)."""
        inbound = await repo.record_inbound(s, cadre_id, msg, msg.at)
        if inbound is not None and msg.voice and cadre_id is not None:
            # the audio before anything can fail: a deferred or interrupted note keeps it
            inbound.audio_path = str(self._audio.keep(
                note_name(cadre_id, inbound.id, msg.at), msg.voice, msg.at))
        return inbound

    async def receive(self, msg: Incoming) -> Stored | None:
        """Store a cadre's message (one transaction: account, message, contact, flood check);
        None for a redelivered update."""
        async with self._sessions.begin() as s:
            account = await repo.account_for(s, msg, msg.at)
            original = await _corrected(s, msg, account.cadre_id)
            if original is not None:
                msg = replace(msg, corrects=original.id)
            inbound = await self.store(s, msg, account.cadre_id)
            if inbound is None:
                log.info("duplicate update %s ignored", msg.update_id)
                return None
            if original is not None and original.processed_at is None:
                # Not answered yet (deferred, or a crash): the correction is answered instead.
                original.processed_at = msg.at
                original.payload = {**(original.payload or {}), "corrected_by": inbound.id}
            cadre = await s.get(Cadre, account.cadre_id)  # loaded with the account
            if _new_contact(cadre, msg.at):
                await repo.record_contact(s, cadre, "message", msg.at)
            deferred = await self.flooding(s, cadre.id) and not self.urgent(msg)
            first = deferred and await repo.deferred_count(s, cadre.id) == 1
            return Stored(inbound.id, cadre.id, msg, deferred, first)

    def urgent(self, msg: Incoming) -> bool:
        """Not to be deferred: an emergency in the text, or a voice note (its handler hears it
        and runs the same check first: what it says cannot be known before)."""
        if msg.kind == "voice":
            return True
        text = msg.text or ""
        return bool(text.strip()) and understand(text, self._today(msg.at)).intent == "emergency"

    async def flooding(self, s: AsyncSession, cadre_id: int) -> bool:
        since = self._clock() - timedelta(minutes=1)
        return await repo.processed_since(s, cadre_id, since) >= self._settings.flood_per_minute

    async def pending(self, transport: str) -> list[Stored]:
        """Every stored message without a reply, in the order they came (after a crash, and
        those deferred by flood control); each as it came in, audio included."""
        async with self._sessions() as s:
            rows = await repo.unprocessed_inbound(s, transport)
            return [Stored(m.id, m.cadre_id, replayed(m)) for m in rows]


# Messages this close together are one conversation: one contact in the log (the monthly duty
# and the six-month rule need the day, not every message), and no write for the rest.
ONE_CONTACT = timedelta(hours=1)


async def _corrected(s: AsyncSession, msg: Incoming, cadre_id: int) -> Message | None:
    """The stored message an edit corrects (the first with its message id), if any."""
    if not msg.edited or msg.message_id is None:
        return None
    return await repo.first_with_message_id(s, cadre_id, msg.transport, msg.message_id)


def _new_contact(cadre: Cadre, at: datetime) -> bool:
    last = cadre.last_contact_at
    return last is None or cadre.unreachable or at - last >= ONE_CONTACT or at < last


def replayed(message: Message) -> Incoming:
    path = Path(message.audio_path) if message.audio_path else None
    return Incoming.replayed(
        transport=message.transport, at=message.created_at, text=message.text,
        kind=message.kind, update_id=message.update_id, payload=message.payload or {},
        voice=path.read_bytes() if path is not None and path.is_file() else None)
