"""The conversation service: one behaviour for every transport (Telegram via PTB or aiogram, and
the console). Inbound messages are stored before anything else; replies go through the outbox.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import knowledge
from bot import agencies, checkins, outbox, staff, tickets
from bot.dialogue import ALERT_STAFF, ONBOARDING, Context, State, Turn, step
from bot.messages import Button, Incoming, Reply
from bot.settings import Settings
from bot.storage import repo
from bot.storage.models import Cadre, Message
from intents import understand
from junxiu_core import REGIONS, CadreProfile, Priority

if TYPE_CHECKING:
    from bot.voice.asr import Recognizer
    from bot.voice.inbound import VoiceInbox
    from bot.voice.tts import Synthesizer

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
TRANSPORT_TELEGRAM = "telegram"  # the staff group lives on Telegram


def profile_of(cadre: Cadre) -> CadreProfile:
    region = cadre.region or agencies.default_region(cadre) or "national"
    return CadreProfile(region=region, status=cadre.status,
                        rank=cadre.rank, birth_date=cadre.birth_date,
                        merits=frozenset(cadre.merits or ()),
                        lives_alone=cadre.lives_alone, name=cadre.name)


@dataclass(frozen=True)
class Outcome:
    """What processing one inbound message produced, before it is stored and sent."""

    replies: list[Reply]
    intent: str | None = None
    answer: str | None = None
    confidence: float | None = None  # understanding's, kept for the desk's gaps inbox


class ConversationService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings,
                 clock: Clock, *, audio_dir: Path | None = None,
                 synthesizer: Synthesizer | None = None,
                 recognizer: Recognizer | None = None) -> None:
        self._sessions = sessions
        self._settings = settings
        self._clock = clock
        self._zone = ZoneInfo(settings.timezone)
        self._audio_dir = audio_dir or Path("var") / "audio"
        self._synthesizer = synthesizer
        self._recognizer = recognizer
        self._locks: dict[int | None, asyncio.Lock] = {}

    def now(self) -> datetime:
        return self._clock()

    def today(self, now: datetime) -> date:
        return now.astimezone(self._zone).date()

    # -- inbound ------------------------------------------------------------------------

    async def handle(self, msg: Incoming) -> list[Reply]:
        """Store, then process one inbound message; returns the replies to send now."""
        msg = _without_nul(msg)
        if msg.chat_type != "private" and not await self._is_staff_chat(msg.chat_id):
            # A group the bot was added to: not a conversation with a cadre, and no place for
            # staff commands either (a /ticket there would show a cadre's phone to the group).
            return []
        if self._for_staff(msg):
            return await self._staff(msg)
        async with self._sessions.begin() as s:  # stored first: nothing is lost
            account = await repo.account_for(s, msg, msg.at)
            inbound = await repo.record_inbound(s, account.cadre_id, msg, msg.at)
            if inbound is None:
                log.info("duplicate update %s ignored", msg.update_id)
                return []
            cadre = await s.get(Cadre, account.cadre_id)
            await repo.record_contact(s, cadre, "message", msg.at)
            inbound_id, cadre_id = inbound.id, cadre.id
            if await self._flooding(s, cadre_id):
                # Stored, not dropped: answered by `resume` at the allowed pace.
                if await repo.deferred_count(s, cadre_id) == 1:
                    notice = Reply(msg.chat_id, knowledge.load().string("ui.flood"))
                    return await self._queue(s, cadre, msg.transport, Outcome([notice]),
                                             self._clock())
                return []
        return await self._process(inbound_id, msg, cadre_id)

    async def _flooding(self, s: AsyncSession, cadre_id: int) -> bool:
        since = self._clock() - timedelta(minutes=1)
        return await repo.processed_since(s, cadre_id, since) >= self._settings.flood_per_minute

    async def resume(self, transport: str) -> list[Reply]:
        """Finish every stored inbound message without a reply: after a crash, and for
        messages deferred by flood control (each cadre at the allowed pace)."""
        async with self._sessions() as s:
            pending = [(m.id, m.cadre_id, _replay(m))
                       for m in await repo.unprocessed_inbound(s, transport)]
        replies: list[Reply] = []
        for inbound_id, cadre_id, msg in pending:
            if cadre_id is not None:
                async with self._sessions() as s:
                    if await self._flooding(s, cadre_id):
                        continue
            replies += await self._process(inbound_id, msg, cadre_id)
        return replies

    async def _is_staff_chat(self, chat_id: str) -> bool:
        """The settings' staff group or any agency's (groups only: a cadre's chat never is)."""
        if chat_id == self._staff_chat:
            return True
        async with self._sessions() as s:
            return (await agencies.load(s, self._settings)).is_staff_chat(chat_id)

    def _for_staff(self, msg: Incoming) -> bool:
        if msg.chat_type != "private":  # only staff groups get this far (handle)
            return True
        data = msg.callback_data or ""
        return msg.command in staff.COMMANDS or data.startswith(("claim:", "close:"))

    async def _staff(self, msg: Incoming) -> list[Reply]:
        """Staff commands, buttons and reply-to-ticket, from the roster only."""
        now = self._clock()
        async with self._sessions.begin() as s:
            inbound = await repo.record_inbound(s, None, msg, msg.at)
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
                    return await self._queue(s, None, msg.transport,
                                             Outcome([Reply(msg.chat_id, refusal)]), now)
                return []
            to_cadres, acks = await staff.handle(s, msg, member, now, self._settings,
                                                 self._staff_chat)
            queued = await outbox.put_all(s, to_cadres, now)
            queued += await self._queue(s, None, msg.transport,
                                        Outcome([Reply(msg.chat_id, a) for a in acks]), now)
            return [r for r in queued if r.meta.get("transport", msg.transport) == msg.transport]

    async def _enqueue(self, s: AsyncSession, transport: str, reply: Reply, now: datetime
                       ) -> Reply:
        """One reply into the outbox (and the transcript, when it goes to a cadre)."""
        return await outbox.put(s, transport, reply, now)

    async def _process(self, inbound_id: int, msg: Incoming, cadre_id: int | None
                       ) -> list[Reply]:
        # One message at a time per cadre: the conversation state is read, then written.
        async with self._locks.setdefault(cadre_id, asyncio.Lock()):
            return await self._process_locked(inbound_id, msg)

    async def _process_locked(self, inbound_id: int, msg: Incoming) -> list[Reply]:
        now = self._clock()
        async with self._sessions.begin() as s:
            inbound = await s.get(Message, inbound_id)
            if inbound.processed_at is not None:
                return []
            cadre = await s.get(Cadre, inbound.cadre_id)
            outcome = await self._decide(s, cadre, msg, now)
            if msg.kind == "contact" or msg.command == "start":  # may have linked the account
                await s.refresh(inbound, ["cadre_id"])
                if inbound.cadre_id != cadre.id:  # to a roster cadre: the replies are theirs
                    cadre = await s.get(Cadre, inbound.cadre_id)
            if cadre.voice_replies:
                outcome = await self._spoken(outcome, msg.chat_id, now)
            inbound.intent, inbound.confidence = outcome.intent, outcome.confidence
            inbound.processed_at = now
            return await self._queue(s, cadre, msg.transport, outcome, now)

    async def _spoken(self, outcome: Outcome, chat_id: str, now: datetime) -> Outcome:
        """Add a voice note to each reply to the cadre; text alone if speech is unavailable."""
        if self._synthesizer is None:
            return outcome
        spoken = []
        for reply in outcome.replies:
            if reply.chat_id != chat_id:
                spoken.append(reply)
                continue
            try:  # espeak-ng and the encoder are CPU work: keep the event loop free
                audio = await asyncio.to_thread(self._synthesizer.synthesize, reply.text)
            except Exception:
                log.exception("speech synthesis failed; sending text only")
                spoken.append(reply)
                continue
            self._audio_dir.mkdir(parents=True, exist_ok=True)
            path = self._audio_dir / f"reply-{now:%Y%m%d%H%M%S%f}-{len(spoken)}.ogg"
            path.write_bytes(audio)
            spoken.append(replace(reply, voice=audio,
                                  meta={**reply.meta, "voice_path": str(path)}))
        return replace(outcome, replies=spoken)

    async def _queue(self, s: AsyncSession, cadre: Cadre | None, transport: str,
                     outcome: Outcome, now: datetime) -> list[Reply]:
        queued: list[Reply] = []
        for reply in outcome.replies:
            if reply.meta.get("to_staff") or reply.chat_id == self._staff_chat:
                # The staff group is on Telegram, whatever the cadre's transport.
                queued.append(await self._enqueue(s, TRANSPORT_TELEGRAM, reply, now))
                continue
            if cadre is not None:
                reply = replace(reply, meta={"cadre_id": cadre.id, **reply.meta})
            queued.append(await self._enqueue(s, transport, reply, now))
        return queued

    @property
    def _staff_chat(self) -> str | None:
        chat = self._settings.staff_chat_id
        return str(chat) if chat is not None else None

    async def _decide(self, s: AsyncSession, cadre: Cadre, msg: Incoming, now: datetime
                      ) -> Outcome:
        kb = knowledge.load()
        if msg.command == "start":
            return await self._start(s, cadre, msg)
        if msg.command == "voice" or (msg.text and _is_voice_toggle(msg.text)):
            cadre.voice_replies = not cadre.voice_replies
            cadre.updated_at = now
            key = "ui.voice.on" if cadre.voice_replies else "ui.voice.off"
            if cadre.voice_replies and self._synthesizer is None:
                key = "ui.voice.unavailable"
            return Outcome([Reply(msg.chat_id, kb.string(key))], "voice.toggle")
        if msg.command == "help" or msg.command == "menu":
            return Outcome([self._menu_reply(msg.chat_id, kb.string("ui.menu"))], "help")
        if msg.kind == "contact":
            return await self._link_by_phone(s, cadre, msg)
        if msg.kind == "voice":
            return await self._voice(s, cadre, msg, now)
        if msg.kind not in ("text", "callback", "command") or not (msg.text or
                                                                    msg.callback_data):
            return Outcome([Reply(msg.chat_id, kb.string("ui.unsupported"))], "unsupported")

        if (msg.callback_data or "").startswith("checkin:"):
            return await self._checkin_answer(s, cadre, msg, now)
        if (msg.callback_data or "").startswith("rate:"):
            return Outcome([Reply(msg.chat_id, await tickets.rate(s, cadre, msg.callback_data,
                                                                   now))], "rating")
        memory = await repo.load_memory(s, cadre.id)
        choice = _choice(msg.callback_data)
        text = msg.text or ""
        if choice is not None and memory.options:
            text = memory.options[memory.values.index(choice)] if choice in memory.values \
                else text
        alive = memory.facts_until is not None and now < memory.facts_until
        u = understand(text, self.today(now), prior=memory.last_intent if alive else None)
        ctx = Context(profile_of(cadre), self.today(now), now,
                      timedelta(hours=self._settings.pending_hours),
                      timedelta(minutes=self._settings.health_concern_minutes))
        turn = step(memory, u, ctx, choice=choice)
        await repo.save_memory(s, cadre.id, turn.memory, now, turn.text)
        confirmed = await self._learn(cadre, turn, now)
        reply = self._turn_reply(msg.chat_id, turn)
        if confirmed:
            reply = replace(reply, text=confirmed + reply.text)
        replies = [reply]
        if turn.escalation is not None:
            # What the cadre actually asked: "转人工" or a button says little to staff.
            question = msg.text or memory.question or ""
            if memory.question and msg.text and u.intent == "human_agent":
                question = knowledge.load().string("ui.staff.asked_before", text=msg.text,
                                                   before=memory.question)
            notice, extra = await self._escalate(s, cadre, turn, msg, question, now)
            if notice:  # one message to the cadre, not two
                replies[0] = replace(replies[0], text=f"{replies[0].text}\n{notice}")
            replies += extra
        elif msg.reply_to_message_id is not None:
            replies += await self._reopen(s, cadre, msg, now)
        return Outcome(replies, turn.intent, turn.text, u.confidence)

    async def _reopen(self, s: AsyncSession, cadre: Cadre, msg: Incoming, now: datetime
                      ) -> list[Reply]:
        """A cadre answering a staff reply within the window reopens that ticket."""
        ticket = await tickets.answered_recently(s, cadre.id, now,
                                                 timedelta(days=self._settings.reopen_days))
        if ticket is None:
            return []
        ticket.status = "reopened"
        ticket.transcript = await repo.recent_transcript(s, cadre.id)
        await repo.audit(s, "system", "ticket.reopen", now, ticket_id=ticket.id,
                         cadre_id=cadre.id)
        chat = await agencies.staff_chat_for(s, self._settings, cadre)
        return [tickets.staff_post(ticket, cadre, chat, reopened=True)] if chat else []

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
            return [await self._enqueue(s, TRANSPORT_TELEGRAM, r, now) for r in replies]

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

    async def _checkin_answer(self, s: AsyncSession, cadre: Cadre, msg: Incoming,
                              now: datetime) -> Outcome:
        text, call = await checkins.answer(s, cadre, msg.callback_data or "", now)
        replies = [Reply(msg.chat_id, text)]
        if call:
            ticket, created = await tickets.open_or_touch(
                s, cadre, "checkin.call", Priority.NORMAL, question=text, bot_answer=text,
                now=now, settings=self._settings)
            chat = await agencies.staff_chat_for(s, self._settings, cadre)
            if created and chat:
                replies.append(tickets.staff_post(ticket, cadre, chat))
        return Outcome(replies, "checkin.reply")

    async def tick_checkins(self) -> checkins.TickResult:
        """One pass of the check-in scheduler (the bot runs it on a timer; cron may too)."""
        async with self._sessions.begin() as s:
            return await checkins.tick(s, self._clock(), self._settings)

    async def _learn(self, cadre: Cadre, turn: Turn, now: datetime) -> str:
        """Facts the cadre gave about themselves are kept for next time; a newly learned
        region is confirmed back in words ("好的，记下了，您在吉林。")."""
        confirmation = ""
        for name, value in turn.learned.items():
            if name in {"region", "status", "rank"} and value and getattr(cadre, name) is None:
                setattr(cadre, name, value)
                cadre.updated_at = now
                if name == "region" and value in REGIONS:
                    kb = knowledge.load()
                    confirmation = kb.string("ui.region_saved",
                                             region=kb.string(f"region.{value}")) + "\n"
        return confirmation

    def _turn_reply(self, chat_id: str, turn: Turn) -> Reply:
        buttons = tuple((Button(label, f"pick:{value}"),)
                        for label, value in zip(turn.options, turn.values, strict=False))
        return Reply(chat_id, turn.text, buttons=buttons)

    async def _escalate(self, s: AsyncSession, cadre: Cadre, turn: Turn, msg: Incoming,
                        question: str, now: datetime) -> tuple[str, list[Reply]]:
        """Open (or touch) the ticket; returns the notice for the cadre and the staff post."""
        escalation = turn.escalation
        assert escalation is not None
        ticket, created = await tickets.open_or_touch(
            s, cadre, escalation.reason, Priority(escalation.priority),
            question=question, bot_answer=turn.text, now=now, settings=self._settings)
        route = await agencies.route_for(s, self._settings, cadre)  # the cadre's own agency
        notice = tickets.cadre_notice(ticket, self._settings, route) \
            if escalation.hands_over else ""
        posts = [tickets.staff_post(ticket, cadre, route.staff_chat)] \
            if created and route.staff_chat else []
        return notice, posts

    async def _start(self, s: AsyncSession, cadre: Cadre, msg: Incoming) -> Outcome:
        kb = knowledge.load()
        replies: list[Reply] = []
        code = msg.command_args.strip()
        if code:
            roster = await repo.cadre_by_invite(s, code)
            if roster is not None and roster.id != cadre.id:
                await tickets.link_account(s, msg.transport, msg.user_id, cadre, roster, msg.at)
                replies.append(Reply(msg.chat_id, kb.string("ui.linked",
                                                            name=roster.name or "")))
                cadre = roster
            elif roster is None:
                replies.append(Reply(msg.chat_id, kb.string("ui.invite_unknown")))
        replies.append(self._menu_reply(msg.chat_id, kb.string("ui.welcome"),
                                        ask_contact=not cadre.on_roster))
        if cadre.region is None and agencies.default_region(cadre) is None:
            memory = _region_memory(self._clock(), self._settings)
            replies.append(Reply(msg.chat_id, memory.prompt or "", buttons=tuple(
                (Button(label, f"pick:{value}"),)
                for label, value in zip(memory.options, memory.values, strict=True))))
            await repo.save_memory(s, cadre.id, memory, self._clock(), None)
        return Outcome(replies, "start")

    def _menu_reply(self, chat_id: str, text: str, *, ask_contact: bool = False) -> Reply:
        kb = knowledge.load()
        rows = tuple(tuple(row.split()) for row in kb.string("ui.menu.keyboard").split("|"))
        return Reply(chat_id, text, keyboard=rows,
                     request_contact=kb.string("ui.share_phone") if ask_contact else None)

    async def _link_by_phone(self, s: AsyncSession, cadre: Cadre, msg: Incoming) -> Outcome:
        kb = knowledge.load()
        # Telegram sets contact.user_id to the sender only for their own number; an address-book
        # card (no user_id) or someone else's would let anyone claim a roster cadre's record.
        if msg.contact_user_id != msg.user_id:
            return Outcome([Reply(msg.chat_id, kb.string("ui.contact_not_own"))], "contact")
        phone = tickets.normal_phone(msg.contact_phone or "")
        roster = await repo.cadre_by_phone(s, phone) if phone else None
        if roster is None:
            return Outcome([Reply(msg.chat_id, kb.string("ui.phone_unknown"))], "contact")
        if roster.id != cadre.id:
            await tickets.link_account(s, msg.transport, msg.user_id, cadre, roster, msg.at)
        return Outcome([Reply(msg.chat_id, kb.string("ui.linked", name=roster.name or ""))],
                       "contact")

    async def _voice(self, s: AsyncSession, cadre: Cadre, msg: Incoming, now: datetime
                     ) -> Outcome:
        """A voice note: kept, recognised, then understood like typed text (bot/voice/)."""
        return await self._voice_inbox.handle(s, cadre, msg, now, self._decide)

    async def _transcribe(self, audio: bytes | None) -> str | None:
        hearing = await self._voice_inbox.hear(audio) if self._recognizer else None
        return hearing.text if hearing is not None else None

    @functools.cached_property
    def _voice_inbox(self) -> VoiceInbox:
        from bot.voice.inbound import VoiceInbox
        from bot.voice.store import AudioStore

        store = AudioStore(self._audio_dir, self._settings.voice_audio_days)
        return VoiceInbox(self._settings, store, self._recognizer, self._staff_chat,
                          self.today)

    # -- outbox -------------------------------------------------------------------------

    async def due(self, transport: str, limit: int = 100) -> list[Reply]:
        """Replies still waiting to be sent (after a failure or a restart)."""
        async with self._sessions() as s:
            rows = await repo.due_deliveries(s, transport, self._clock(), limit)
            return [Reply.from_payload(d.chat_id, d.payload, d.id, outbox.voice_bytes(d.payload))
                    for d in rows]

    async def delivered(self, delivery_id: int, message_id: int | None) -> None:
        async with self._sessions.begin() as s:
            delivery = await repo.mark_sent(s, delivery_id, message_id)
            # A staff-group post is the ticket's message, which staff reply to; a staff answer
            # to the cadre carries the ticket too, but is in the cadre's chat (and transcript).
            if delivery is not None and delivery.ticket_id and message_id is not None \
                    and delivery.message_id is None:
                await tickets.remember_staff_message(s, delivery.ticket_id, message_id,
                                                     delivery.payload)

    async def failed(self, delivery_id: int, error: str, *, retry_after: float | None = None,
                     permanent: bool = False) -> None:
        now = self._clock()
        async with self._sessions.begin() as s:
            delivery = await repo.mark_failed(s, delivery_id, error, now,
                                              retry_after=retry_after, permanent=permanent)
            cadre_id = delivery.payload.get("cadre_id") if delivery else None
            if permanent and cadre_id is not None:
                # Blocked, or never pressed Start: staff must phone instead.
                cadre = await s.get(Cadre, cadre_id)
                chat = await agencies.staff_chat_for(s, self._settings, cadre) if cadre else None
                alert = await checkins.mark_unreachable(s, cadre, delivery.payload, now, chat)
                for reply in alert:
                    await repo.enqueue(s, reply, TRANSPORT_TELEGRAM, now)


def _without_nul(msg: Incoming) -> Incoming:
    """NUL out of every text field: PostgreSQL refuses it in text (the message would not even
    be stored), and nobody means one."""
    fields = {name: value.replace("\x00", "") for name in
              ("text", "command", "command_args", "callback_data", "first_name",
               "contact_phone", "contact_user_id")
              if isinstance(value := getattr(msg, name), str) and "\x00" in value}
    return replace(msg, **fields) if fields else msg


def _is_voice_toggle(text: str) -> bool:
    return text.strip(" ,.!?，。！？") in knowledge.load().string("ui.words.voice").split()


def _choice(callback_data: str | None) -> str | None:
    if callback_data and callback_data.startswith("pick:"):
        return callback_data.removeprefix("pick:")
    return None


def _region_memory(now: datetime, settings: Settings):
    from bot.dialogue import Memory, State

    kb = knowledge.load()
    return Memory(State.AWAITING_SLOT, pending_intent=ONBOARDING, pending_slot="region",
                  options=tuple(kb.string("ask.region.options").split()),
                  values=tuple(kb.string("ask.region.values").split()),
                  prompt=kb.string("ask.region"),
                  expires_at=now + timedelta(hours=settings.pending_hours))


def _replay(message: Message) -> Incoming:
    p = message.payload or {}
    return Incoming(
        transport=message.transport, user_id=p.get("user_id", ""), chat_id=p.get("chat_id", ""),
        at=message.created_at, text=message.text, command=p.get("command"),
        command_args=p.get("command_args", ""), callback_data=p.get("callback_data"),
        contact_phone=p.get("contact_phone"), contact_user_id=p.get("contact_user_id"),
        update_id=message.update_id, first_name=p.get("first_name"),
        chat_type=p.get("chat_type", "private"), kind=message.kind)
