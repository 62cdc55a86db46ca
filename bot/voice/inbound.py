"""A cadre's voice note, from the recording to the replies: kept on disk first, recognised off
the event loop, then understood and answered exactly as typed text would be (the service's own
`decide`), with what was heard said first. The service calls `VoiceInbox.handle` from its
voice path; the verdicts are in bot/voice/listening.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import knowledge
from bot import agencies, tickets
from bot.answering import jsonable
from bot.dialogue import State, spoken_choices
from bot.messages import Button, Incoming, Reply
from bot.settings import Settings
from bot.storage import repo
from bot.storage.models import Cadre, Message, Ticket
from bot.voice.asr import Hearing
from bot.voice.listening import UNCLEAR, Listening, Verdict, choices, echo, listen, minutes
from bot.voice.store import AudioStore, note_name
from junxiu_core import Priority

if TYPE_CHECKING:
    from bot.service import Outcome
    from bot.voice.asr import Recognizer

log = logging.getLogger(__name__)

Decide = Callable[[AsyncSession, Cadre, Incoming, datetime], Awaitable["Outcome"]]


class VoiceInbox:
    def __init__(self, settings: Settings, store: AudioStore, recognizer: Recognizer | None,
                 staff_chat: str | None, today: Callable[[datetime], Any]) -> None:
        self.settings, self.store, self.recognizer = settings, store, recognizer
        self.staff_chat, self.today = staff_chat, today

    async def hear(self, audio: bytes | None) -> Hearing:
        """The recogniser's hearing of a recording, in a worker thread. Never raises: a
        failure is a hearing with a problem, and the recording goes to staff."""
        if not audio:
            return Hearing(None, problem="undecodable")
        assert self.recognizer is not None
        try:
            return await asyncio.to_thread(self.recognizer.recognize, audio)
        except Exception:  # recognition failing must not lose the message: staff get it
            log.exception("speech recognition failed")
            return Hearing(None, problem="undecodable")

    async def handle(self, s: AsyncSession, cadre: Cadre, msg: Incoming, now: datetime,
                     decide: Decide) -> Outcome:
        from bot.service import Outcome

        kb = knowledge.load()
        row = await _inbound_row(s, cadre.id, msg)
        path = None
        if msg.voice:  # kept before anything can fail
            path = str(self.store.keep(note_name(cadre.id, row.id if row else msg.update_id,
                                                 now), msg.voice, now))
            if row is not None:
                row.audio_path = path
        if self.recognizer is None:  # no speech recognition here: a person listens
            return Outcome(await self._to_staff(
                s, cadre, msg, now, path, "voice.no_asr", kb.string("ui.voice_question"),
                kb.string("ui.voice_received")), "voice")

        hearing = await self.hear(msg.voice)
        window = timedelta(hours=self.settings.pending_hours)
        listening = listen(hearing, self.today(now),
                           confirm_below=self.settings.asr_confirm_below,
                           unclear_before=await _unclear_before(s, cadre.id, row, now - window))
        if row is not None:
            _record(row, listening)
        if listening.corrected:
            await _mark_corrected(s, cadre.id, row, listening.text or "")
        await s.flush()  # the transcript is in the cadre's history before any ticket copies it

        verdict = listening.verdict
        if verdict == Verdict.ANSWER:
            return await self._answer(s, cadre, msg, now, listening, path, decide)
        if verdict == Verdict.CONFIRM:
            return Outcome([await self._confirm(s, cadre, msg, now, listening)],
                           listening.intent)
        if verdict == Verdict.UNHEARD:
            return Outcome([Reply(msg.chat_id, kb.string("ui.voice.unheard"))],
                           listening.intent)
        if verdict == Verdict.LONG:
            text = listening.text or ""
            question = kb.string("ui.voice.staff_long", minutes=minutes(hearing.seconds),
                                 text=text)
            told = kb.string("ui.voice.long") + "\n" + kb.string("ui.voice.long_heard",
                                                                   text=text)
            return Outcome(await self._to_staff(s, cadre, msg, now, path, "voice.long",
                                                question, told), listening.intent)
        # FAILED, or STAFF: still unclear after asking once.
        question = (kb.string("ui.voice.staff_heard", text=listening.text or hearing.text)
                    if (listening.text or hearing.text) else kb.string("ui.voice_question"))
        told = kb.string("ui.voice.failed" if verdict == Verdict.FAILED else
                         "ui.voice.to_staff")
        return Outcome(await self._to_staff(s, cadre, msg, now, path, "voice.unheard",
                                            question, told), listening.intent)

    async def _answer(self, s: AsyncSession, cadre: Cadre, msg: Incoming, now: datetime,
                      listening: Listening, path: str | None, decide: Decide) -> Outcome:
        """The transcript through the conversation, as if typed; what was heard first."""
        outcome = await decide(s, cadre, replace(msg, kind="text", text=listening.text), now)
        replies = list(outcome.replies)
        for i, reply in enumerate(replies):
            if reply.chat_id == msg.chat_id:
                heard = echo(listening, outcome.intent)
                replies[i] = replace(reply, text=f"{heard}\n{reply.text}")
                break
        else:
            replies.insert(0, Reply(msg.chat_id, echo(listening, outcome.intent)))
        return replace(outcome, replies=await self._with_audio(s, replies, path))

    async def _with_audio(self, s: AsyncSession, replies: list[Reply], path: str | None
                          ) -> list[Reply]:
        """A ticket opened by this voice note carries the recording, and its staff post
        sends it."""
        if path is None:
            return replies
        out = []
        for reply in replies:
            ticket_id = reply.meta.get("ticket_id")
            if ticket_id is not None and reply.meta.get("to_staff"):
                ticket = await s.get(Ticket, ticket_id)
                if ticket is not None and ticket.audio_path is None:
                    ticket.audio_path = path
                if "voice_path" not in reply.meta:
                    reply = replace(reply, meta={**reply.meta, "voice_path": path})
            out.append(reply)
        return out

    async def _confirm(self, s: AsyncSession, cadre: Cadre, msg: Incoming, now: datetime,
                       listening: Listening) -> Reply:
        """Ask back, with a button for each likely topic and one for a person. The answer
        comes through the conversation's own choice handling, like any clarification."""
        kb = knowledge.load()
        u = listening.understanding
        assert u is not None
        labels, values = choices(u)
        prompt = kb.string("ui.voice.confirm", text=listening.text or "")
        memory = await repo.load_memory(s, cadre.id)
        memory = replace(memory, state=State.AWAITING_CHOICE, pending_intent=None,
                         pending_slot=None, slots=jsonable(u.slots), options=labels,
                         values=values, retries=0, question=listening.text, prompt=prompt,
                         expires_at=now + timedelta(hours=self.settings.pending_hours))
        text = spoken_choices(prompt, labels)
        await repo.save_memory(s, cadre.id, memory, now, text)
        buttons = tuple((Button(label, f"pick:{value}"),)
                        for label, value in zip(labels, values, strict=True))
        return Reply(msg.chat_id, text, buttons=buttons)

    async def _to_staff(self, s: AsyncSession, cadre: Cadre, msg: Incoming, now: datetime,
                        path: str | None, reason: str, question: str, told: str
                        ) -> list[Reply]:
        """A ticket with the recording (and what was heard of it); the cadre told kindly."""
        ticket, created = await tickets.open_or_touch(
            s, cadre, reason, Priority.NORMAL, question=question, bot_answer=told, now=now,
            settings=self.settings, audio_path=path)
        if not created and path is not None:
            ticket.audio_path = ticket.audio_path or path
        replies = [Reply(msg.chat_id, told)]
        # Every recording goes to staff: a second one on the open ticket is news to them too.
        chat = await agencies.staff_chat_for(s, self.settings, cadre)  # the cadre's agency
        if (created or path is not None) and chat:
            replies.append(tickets.staff_post(ticket, cadre, chat, audio_path=path))
        return replies


async def _inbound_row(s: AsyncSession, cadre_id: int, msg: Incoming) -> Message | None:
    """The stored row of this voice note (the service processes a cadre's messages one at a
    time, so it is their newest unprocessed voice message)."""
    stmt = select(Message).where(Message.cadre_id == cadre_id, Message.direction == "in",
                                 Message.kind == "voice", Message.processed_at.is_(None))
    if msg.update_id is not None:
        stmt = stmt.where(Message.transport == msg.transport,
                          Message.update_id == msg.update_id)
    return (await s.scalars(stmt.order_by(Message.id.desc()).limit(1))).first()


async def _previous_inbound(s: AsyncSession, cadre_id: int, row: Message | None
                            ) -> Message | None:
    stmt = select(Message).where(Message.cadre_id == cadre_id, Message.direction == "in")
    if row is not None:
        stmt = stmt.where(Message.id < row.id)
    return (await s.scalars(stmt.order_by(Message.id.desc()).limit(1))).first()


async def _unclear_before(s: AsyncSession, cadre_id: int, row: Message | None,
                          since: datetime) -> bool:
    """The cadre's previous message was a voice note we did not understand, lately."""
    previous = await _previous_inbound(s, cadre_id, row)
    if previous is None or previous.kind != "voice" or previous.intent not in UNCLEAR:
        return False
    at = previous.created_at
    if at.tzinfo is None and since.tzinfo is not None:  # SQLite gives naive UTC back
        at = at.replace(tzinfo=since.tzinfo)
    return at >= since


async def _mark_corrected(s: AsyncSession, cadre_id: int, row: Message | None,
                          text: str) -> None:
    """"不是，我说的是…": what was heard in the previous voice note is replaced, the
    mishearing kept beside it for staff."""
    previous = await _previous_inbound(s, cadre_id, row)
    if previous is None or previous.kind != "voice" or not previous.text:
        return
    previous.payload = {**(previous.payload or {}), "misheard": previous.text}
    previous.text = text


def _record(row: Message, listening: Listening) -> None:
    """The transcript is the message's text; how it was heard goes with it."""
    hearing = listening.hearing
    row.text = listening.text or hearing.text
    asr: dict[str, Any] = {"verdict": listening.verdict.value,
                           "seconds": round(hearing.seconds, 1)}
    if hearing.confidence is not None:
        asr["confidence"] = hearing.confidence
    if hearing.problem:
        asr["problem"] = hearing.problem
    if listening.corrected or listening.text != hearing.text:
        asr["heard"] = hearing.text
    if hearing.alternatives:
        asr["alternatives"] = list(hearing.alternatives)
    row.payload = {**(row.payload or {}), "asr": asr}
