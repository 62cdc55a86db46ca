"""The shell as a pipeline (issue 13): inbox → one handler by kind → one outbox.

Defects (a) an emergency behind a flood of messages, and (b) a deferred voice note losing its
audio and reply-to, each with a regression test; the understanding kept with every message; and
what an ordinary answered message costs in SQL.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, select

from bot.app import App
from bot.handlers import Kind, kind_of
from bot.handlers.table import HANDLERS
from bot.inbox import replayed
from bot.messages import Incoming, Reply
from bot.outbox import Outbox
from bot.storage.db import make_sessions
from bot.storage.models import Message, Ticket
from tests.bot.conftest import STAFF_CHAT, Chat, staff_posts

AT = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


def incoming(**kw) -> Incoming:
    return Incoming(**{"transport": "telegram", "user_id": "7", "chat_id": "7", "at": AT, **kw})


@pytest.mark.parametrize(("msg", "kind"), [
    (incoming(text="/start", kind="command", command="start"), Kind.START),
    (incoming(text="/voice", kind="command", command="voice"), Kind.VOICE_TOGGLE),
    (incoming(text="语音回复"), Kind.VOICE_TOGGLE),
    (incoming(text="/menu", kind="command", command="menu"), Kind.MENU),
    (incoming(kind="contact", contact_phone="13800138000"), Kind.CONTACT),
    (incoming(kind="voice", voice=b"OggS"), Kind.VOICE),
    (incoming(kind="callback", callback_data="checkin:3:ok"), Kind.CHECKIN_ANSWER),
    (incoming(kind="callback", callback_data="rate:3:5"), Kind.RATING),
    (incoming(kind="callback", callback_data="claim:3"), Kind.STAFF),
    (incoming(text="/queue", kind="command", command="queue"), Kind.STAFF),
    (incoming(text="我能参加疗养吗"), Kind.CONVERSATION),
    (incoming(kind="other"), Kind.UNSUPPORTED),
])
def test_every_kind_of_message_has_one_handler(msg: Incoming, kind: Kind) -> None:
    assert kind_of(msg, str(STAFF_CHAT)) == kind
    assert kind == Kind.STAFF or kind in HANDLERS


def test_anything_in_the_staff_group_is_for_staff() -> None:
    assert kind_of(incoming(text="大家好", chat_id=str(STAFF_CHAT), chat_type="supergroup"),
                   str(STAFF_CHAT)) == Kind.STAFF


def test_a_stored_message_replays_with_every_field_it_came_with(tmp_path) -> None:
    audio = tmp_path / "note.ogg"
    audio.write_bytes(b"OggS voice")
    msg = incoming(kind="voice", voice=b"OggS voice", voice_duration=4, reply_to_message_id=99,
                   first_name="张", update_id=5)
    row = Message(transport=msg.transport, update_id=msg.update_id, direction="in",
                  kind=msg.kind, text=msg.text, payload=msg.payload(), created_at=msg.at,
                  audio_path=str(audio))
    assert replayed(row) == msg


async def test_an_emergency_behind_a_flood_is_answered_at_once(app: App, chat: Chat) -> None:
    """Defect (a): the emergency check comes before flood control."""
    for n in range(app.settings.flood_per_minute + 5):
        await chat.say(f"你好{n}")
    replies = await chat.say("我老伴突然倒地了，叫不醒")
    assert any("120" in r.text for r in chat.mine(replies))
    assert staff_posts(replies), "the duty staff are alerted now, not after the backlog"


async def test_a_deferred_voice_note_keeps_its_audio_and_reply_to(
        app: App, chat: Chat, clock) -> None:
    """Defect (b): flood control defers a voice note's replay, never its recording."""
    sessions = make_sessions(app.engine)
    for n in range(app.settings.flood_per_minute):
        await chat.say(f"你好{n}")
    staff_reply = 4242
    await chat.send(chat.incoming(kind="voice", voice=b"OggS my question",
                                  reply_to_message_id=staff_reply))
    async with sessions() as s:
        row = (await s.scalars(select(Message).where(Message.kind == "voice"))).one()
    assert row.audio_path and Path(row.audio_path).read_bytes() == b"OggS my question"
    again = replayed(row)
    assert again.voice == b"OggS my question" and again.reply_to_message_id == staff_reply


async def test_a_text_message_is_deferred_but_kept_in_order_under_a_flood(
        app: App, chat: Chat, clock) -> None:
    for n in range(app.settings.flood_per_minute + 3):
        await chat.say(f"第{n}条")
    sessions = make_sessions(app.engine)
    async with sessions() as s:
        waiting = (await s.scalars(select(Message.text).where(
            Message.direction == "in", Message.processed_at.is_(None))
            .order_by(Message.id))).all()
    assert waiting == [f"第{n}条" for n in range(app.settings.flood_per_minute,
                                                app.settings.flood_per_minute + 3)]
    clock.advance(minutes=2)
    await app.service.resume("console")
    async with sessions() as s:
        answered = (await s.scalars(select(Message.text).where(
            Message.direction == "in", Message.processed_at.is_not(None))
            .order_by(Message.processed_at, Message.id))).all()
    assert answered[-3:] == waiting


async def test_each_message_keeps_what_it_was_understood_as(app: App, chat: Chat) -> None:
    await chat.say("我能参加疗养吗")
    async with make_sessions(app.engine)() as s:
        row = (await s.scalars(select(Message).where(Message.direction == "in"))).one()
    assert row.intent and row.intent.startswith("sanatorium")
    assert 0 < row.confidence <= 1
    assert row.understanding["alternatives"][0][0] == row.understanding["intent"]
    assert row.understanding["reason"]


async def test_a_reply_put_by_another_process_is_due_for_the_pump(app: App, chat: Chat) -> None:
    """The outbox lives in the database: the CLI or the web desk puts, the bot delivers."""
    await chat.say("转人工")
    async with make_sessions(app.engine).begin() as s:
        ticket = (await s.scalars(select(Ticket))).one()
        await Outbox.for_settings(app.settings).put(
            s, [Reply(chat.user, "工作人员：您好", cadre_id=ticket.cadre_id)], "console",
            app.service.now())
    due = await app.service.due("console")
    assert any(r.text == "工作人员：您好" for r in due)


async def test_an_ordinary_answered_message_costs_few_statements(app: App, chat: Chat) -> None:
    """Issue 13 part 5: at most 10 statements in 3 transactions (store; process and reply;
    delivered), counted so that it cannot creep up unseen."""
    await chat.say("我是吉林退休干部，今年自付了十二万，能补多少")  # region learned: one-off
    statements: list[str] = []
    transactions: list[int] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(" ".join(statement.split())[:90])

    def began(conn) -> None:
        transactions.append(1)

    engine = app.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    event.listen(engine, "begin", began)
    try:
        [reply] = chat.mine(await chat.say("体检一年几次"))
        await app.service.delivered(reply.delivery_id, 1)
    finally:
        event.remove(engine, "before_cursor_execute", count)
        event.remove(engine, "begin", began)
    # Savepoints count: the inbound message is deduplicated by ON CONFLICT, not in one.
    work = [s for s in statements if s.split()[0].upper() not in ("BEGIN", "COMMIT")]
    assert len(work) <= 10, "\n".join(work)
    assert len(transactions) <= 3


class SlowVoice:
    """A synthesizer that records what it was asked to say and when."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def synthesize(self, text: str) -> bytes:
        self.log.append("synthesized")
        return b"OggS " + text.encode()


async def test_a_spoken_reply_sends_its_text_first_and_its_voice_note_after(
        app: App, chat: Chat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The text never waits for speech synthesis: it goes out, then its voice note follows as
    a delivery of its own (kept in the outbox, so a failed send is retried like any other)."""
    from bot.service import ConversationService
    from bot.telegram.delivery import deliver

    events: list[str] = []
    service = ConversationService(make_sessions(app.engine), app.settings, chat.clock,
                                  synthesizer=SlowVoice(events))
    monkeypatch.setattr(app, "service", service)

    async def send(reply: Reply) -> int:
        events.append("voice note" if reply.voice_only else f"text: {reply.text[:4]}")
        assert not reply.voice_only or reply.voice == b"OggS " + reply.text.encode()
        return len(events)

    await deliver(service, send, chat.mine(await chat.command("voice", "on")))
    events.clear()
    [answer] = chat.mine(await chat.say("体检一年几次"))
    assert answer.speak and answer.voice is None and events == []
    assert await deliver(service, send, [answer]) == 2
    assert events == [f"text: {answer.text[:4]}", "synthesized", "voice note"]
    assert await service.due("console") == []  # both marked sent


async def test_resume_leaves_a_message_to_the_handler_still_answering_it(
        app: App, chat: Chat) -> None:
    """The pump's resume runs beside the handlers: a stored message whose handler is still on
    it (here: its voice note downloading) is neither answered twice nor re-checked by it."""
    downloading = asyncio.Event()
    downloaded = asyncio.Event()

    async def fetch(file_id: str) -> bytes:
        downloading.set()
        await downloaded.wait()
        return b"OggS-not-really"

    handling = asyncio.create_task(app.service.handle(
        chat.incoming(kind="voice", file_id="voice-1"), fetch=fetch))
    await asyncio.wait_for(downloading.wait(), 5)
    assert chat.mine(await app.service.resume("console")) == []
    downloaded.set()
    assert chat.mine(await asyncio.wait_for(handling, 10))
    assert chat.mine(await app.service.resume("console")) == []
