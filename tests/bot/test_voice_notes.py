"""A cadre's voice note through the service: heard, understood like the same words typed, what
was heard said first; asked back when unsure, handed to staff when still unclear; emergencies
as fast and as certain as typed ones; bad recordings answered kindly and never lost."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

import knowledge
from bot import privacy
from bot.app import App, build_app
from bot.messages import Reply
from bot.service import ConversationService
from bot.settings import Settings
from bot.storage.db import make_sessions
from bot.storage.models import Message, Ticket
from bot.voice.store import AudioStore, stamp_of
from junxiu_core import Priority
from tests.bot.conftest import Chat, staff_posts
from tests.conftest import STAFF_CHAT
from tests.helpers.clock import Clock
from tests.helpers.voice import (
    CORRUPT,
    PNG,
    FakeRecognizer,
    long_note,
    music,
    needs_voice_extra,
    said,
    silence,
    wav_of,
    whisper,
)


def ui(key: str, **params: object) -> str:
    return knowledge.load().string(key, **params)


@pytest.fixture
def voice_settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path}/v.sqlite3",
                    staff_chat_id=STAFF_CHAT)


@pytest.fixture
def fake() -> FakeRecognizer:
    return FakeRecognizer()


async def _app(settings: Settings, clock: Clock, recognizer: object) -> App:
    app = await build_app(settings, clock=clock)
    app.service = ConversationService(make_sessions(app.engine), settings, clock,
                                      recognizer=recognizer)
    return app


@pytest.fixture
async def app(voice_settings: Settings, clock: Clock, fake: FakeRecognizer, tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[App]:
    """The service with a recogniser that hears what each test says it hears."""
    monkeypatch.chdir(tmp_path)  # recordings go to ./var/audio
    app = await _app(voice_settings, clock, fake)
    try:
        yield app
    finally:
        await app.close()


@pytest.fixture
async def heard_by_whisper(voice_settings: Settings, clock: Clock, tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[App]:
    """The service with the real recogniser (loaded once per test process)."""
    monkeypatch.chdir(tmp_path)
    app = await _app(voice_settings, clock, whisper())
    try:
        yield app
    finally:
        await app.close()


def chat_with(app: App, clock: Clock, user: str = "u1") -> Chat:
    return Chat(app, clock, itertools.count(1 if user == "u1" else 1000), user=user)


async def send_voice(chat: Chat, audio: bytes) -> list[Reply]:
    return await chat.send(chat.incoming(kind="voice", voice=audio))


def cadre_text(chat: Chat, replies: list[Reply]) -> str:
    return "\n".join(r.text for r in chat.mine(replies))


async def rows(app: App, model: type, *where) -> list:
    async with make_sessions(app.engine)() as s:
        return list((await s.scalars(select(model).where(*where).order_by(model.id))).all())


async def the_voice_row(app: App) -> Message:
    [row] = await rows(app, Message, Message.direction == "in", Message.kind == "voice")
    return row


# -- heard: the same understanding as typed text --------------------------------------------


async def test_a_voice_note_is_answered_like_the_same_words_typed(
        app: App, fake: FakeRecognizer, clock: Clock) -> None:
    question = "我在吉林，退休的，自付了十二万能补多少"
    audio = fake.says(b"OggS note 1", question, 0.92)
    replies = await send_voice(chat_with(app, clock), audio)
    typed = await chat_with(app, clock, "u2").answer(question)

    spoken = cadre_text(chat_with(app, clock), replies)
    assert spoken.startswith(ui("ui.voice.asked", text=question))  # what was heard, first
    assert spoken.removeprefix(ui("ui.voice.asked", text=question) + "\n") == typed
    assert "四万五千元" in spoken
    assert not staff_posts(replies)


async def test_the_recording_and_its_transcript_are_kept_with_the_message(
        app: App, fake: FakeRecognizer, clock: Clock) -> None:
    audio = fake.says(b"OggS note 2", "老年大学怎么报名", 0.95)
    await send_voice(chat_with(app, clock), audio)
    row = await the_voice_row(app)
    assert row.text == "老年大学怎么报名"
    assert Path(row.audio_path).read_bytes() == audio
    assert row.payload["asr"] == {"verdict": "answer", "seconds": 4.0, "confidence": 0.95}
    assert row.intent == "culture.education"


async def test_an_unsure_hearing_adds_how_to_correct_it(
        app: App, fake: FakeRecognizer, clock: Clock) -> None:
    audio = fake.says(b"OggS note 3", "老年大学怎么报名", 0.7)
    text = cadre_text(chat_with(app, clock), await send_voice(chat_with(app, clock), audio))
    assert ui("ui.voice.correct_hint") in text.split("\n")[0]


# -- emergencies --------------------------------------------------------------------------


async def test_an_emergency_heard_in_a_voice_note_is_handled_like_a_typed_one(
        app: App, fake: FakeRecognizer, clock: Clock) -> None:
    words = "我老伴摔倒了，起不来了"
    audio = fake.says(b"OggS fall", words, 0.35)  # unsure of the words: still no asking back
    replies = await send_voice(chat_with(app, clock), audio)
    typed = await chat_with(app, clock, "u2").say(words)

    mine = chat_with(app, clock).mine(replies)
    assert mine[0].text.startswith(ui("ui.voice.said", text=words))
    assert not mine[0].buttons or not any(b.data == "pick:human_agent"
                                          for row in mine[0].buttons for b in row)
    # The same answer and the same urgent hand-over as for the typed words.
    typed_answer = chat_with(app, clock, "u2").mine(typed)[0].text
    assert re.sub(r"\d+", "N", mine[0].text.split("\n", 1)[1]) == \
        re.sub(r"\d+", "N", typed_answer)
    [post] = staff_posts(replies)
    assert post.voice_path and Path(post.voice_path).read_bytes() == audio
    ticket = (await rows(app, Ticket))[0]
    assert ticket.reason == "emergency" and ticket.question == words
    assert ticket.audio_path == post.voice_path
    assert any(m["text"] == words for m in ticket.transcript)  # the ticket carries it


# -- unsure: ask back, correct, hand over --------------------------------------------------


async def test_an_unsure_hearing_is_asked_back_with_buttons(
        app: App, fake: FakeRecognizer, clock: Clock) -> None:
    chat = chat_with(app, clock)
    audio = fake.says(b"OggS unsure", "我想问一下聊养的事", 0.4)
    [reply] = chat.mine(await send_voice(chat, audio))
    assert reply.text.startswith(ui("ui.voice.confirm", text="我想问一下聊养的事"))
    values = [b.data for row in reply.buttons for b in row]
    assert values[-2:] == ["pick:emergency", "pick:human_agent"] and len(values) == 4
    assert (await the_voice_row(app)).intent == "voice.confirm"
    assert not await rows(app, Ticket)

    answered = cadre_text(chat, await chat.press(values[0]))  # the likeliest topic
    intent = values[0].removeprefix("pick:")
    assert intent.startswith("sanatorium.")
    assert answered and ui("ui.voice.confirm", text="") not in answered


async def test_a_note_not_made_out_can_be_an_emergency_with_one_press(
        app: App, fake: FakeRecognizer, clock: Clock) -> None:
    """"救命" heard as "酒面": the ask-back always offers 紧急求助, handled as a typed one."""
    chat = chat_with(app, clock)
    await send_voice(chat, fake.says(b"OggS short", "酒面", 0.3))
    replies = await chat.press("pick:emergency")
    assert "120" in cadre_text(chat, replies)
    [ticket] = await rows(app, Ticket)
    assert ticket.reason == "emergency" and ticket.priority == Priority.URGENT
    assert ticket.audio_path and Path(ticket.audio_path).read_bytes() == b"OggS short"
    assert staff_posts(replies)  # the duty staff alerted at once


async def test_none_of_these_hands_the_transcript_and_the_recording_to_staff(
        app: App, fake: FakeRecognizer, clock: Clock) -> None:
    chat = chat_with(app, clock)
    audio = fake.says(b"OggS unsure 2", "我想问一下聊养的事", 0.4)
    await send_voice(chat, audio)
    replies = await chat.press("pick:human_agent")
    [post] = staff_posts(replies)
    assert "我想问一下聊养的事" in post.text
    assert Path(post.voice_path).read_bytes() == audio
    [ticket] = await rows(app, Ticket)
    assert ticket.audio_path == post.voice_path


async def test_a_second_unclear_voice_note_goes_to_staff(
        app: App, fake: FakeRecognizer, clock: Clock) -> None:
    chat = chat_with(app, clock)
    await send_voice(chat, fake.says(b"OggS first", "我想问一下聊养的事", 0.4))
    replies = await send_voice(chat, fake.says(b"OggS again", "聊养的事情", 0.3))
    assert chat.mine(replies)[0].text == ui("ui.voice.to_staff")
    [post] = staff_posts(replies)
    assert "聊养的事情" in post.text and Path(post.voice_path).read_bytes() == \
        b"OggS again"
    [ticket] = await rows(app, Ticket)
    assert ticket.reason == "voice.unheard"


async def test_a_spoken_correction_replaces_what_was_heard(
        app: App, fake: FakeRecognizer, clock: Clock) -> None:
    chat = chat_with(app, clock)
    await send_voice(chat, fake.says(b"OggS misheard", "老年大学怎么抱名", 0.9))
    fixed = fake.says(b"OggS fixed", "不是，我说的是出国要办什么手续", 0.9)
    replies = await send_voice(chat, fixed)
    first = chat.mine(replies)[0].text
    assert first.startswith(ui("ui.voice.corrected") + ui("ui.voice.asked",
                                                           text="出国要办什么手续"))
    before, after = await rows(app, Message, Message.direction == "in")
    assert before.text == "出国要办什么手续"  # the mishearing replaced …
    assert before.payload["misheard"] == "老年大学怎么抱名"  # … and kept beside it
    assert after.intent == "travel.abroad"


# -- bad recordings: a kind reply, never an exception, nothing lost --------------------------


async def test_a_recogniser_that_fails_loses_nothing(
        app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch, fake: FakeRecognizer) -> None:
    def broken(audio: bytes):
        raise RuntimeError("the model fell over")

    monkeypatch.setattr(fake, "recognize", broken)
    chat = chat_with(app, clock)
    replies = await send_voice(chat, b"OggS something")
    assert chat.mine(replies)[0].text == ui("ui.voice.failed")
    [post] = staff_posts(replies)
    assert Path(post.voice_path).read_bytes() == b"OggS something"


async def test_without_a_recogniser_every_note_goes_to_staff(
        voice_settings: Settings, clock: Clock, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = await _app(voice_settings, clock, None)
    try:
        chat = chat_with(app, clock)
        replies = await send_voice(chat, b"OggS note")
        assert chat.mine(replies)[0].text == ui("ui.voice_received")
        assert Path(staff_posts(replies)[0].voice_path).read_bytes() == b"OggS note"
    finally:
        await app.close()


@needs_voice_extra
@pytest.mark.parametrize(("name", "audio", "told", "to_staff"), [
    ("silence", lambda: silence(3.0), "ui.voice.unheard", False),
    ("music", lambda: music(6.0), "ui.voice.unheard", False),
    ("corrupt", lambda: CORRUPT, "ui.voice.failed", True),
    ("a picture", lambda: PNG, "ui.voice.failed", True),
    ("half a voice note", lambda: said("我想问一下疗养的事情")[:300], "ui.voice.failed", True),
])
async def test_a_bad_recording_gets_a_kind_reply_and_is_kept(
        heard_by_whisper: App, clock: Clock, name: str, audio, told: str,
        to_staff: bool) -> None:
    chat = chat_with(heard_by_whisper, clock)
    data = audio()
    replies = await send_voice(chat, data)
    assert chat.mine(replies)[0].text == ui(told), name
    assert bool(staff_posts(replies)) == to_staff
    row = await the_voice_row(heard_by_whisper)
    assert Path(row.audio_path).read_bytes() == data  # kept, byte for byte


@needs_voice_extra
async def test_a_ten_minute_recording_goes_to_staff_with_what_its_start_said(
        heard_by_whisper: App, clock: Clock) -> None:
    chat = chat_with(heard_by_whisper, clock)
    data = long_note(10.0, "老年大学怎么报名")
    replies = await send_voice(chat, data)
    text = chat.mine(replies)[0].text
    assert text.startswith(ui("ui.voice.long"))
    assert "老年大学" in text  # what the start said, so the cadre knows it was heard
    [post] = staff_posts(replies)
    assert "10分钟" in post.text and Path(post.voice_path).read_bytes() == data
    [ticket] = await rows(heard_by_whisper, Ticket)
    assert ticket.reason == "voice.long"


@needs_voice_extra
async def test_speech_in_a_plain_wav_file_is_heard_too(
        heard_by_whisper: App, clock: Clock) -> None:
    chat = chat_with(heard_by_whisper, clock)
    replies = await send_voice(chat, wav_of(said("老年大学怎么报名")))
    text = chat.mine(replies)[0].text
    assert text.startswith(ui("ui.voice.asked", text="")[:4]) and "老年大学" in text


# -- end to end with the real recogniser ------------------------------------------------------


@needs_voice_extra
@pytest.mark.parametrize(("words", "intent"), [
    ("老年大学怎么报名", "culture.education"),
    ("我老伴摔倒了，起不来了", "emergency"),
])
async def test_a_synthesised_voice_note_is_recognised_and_answered(
        heard_by_whisper: App, clock: Clock, words: str, intent: str) -> None:
    chat = chat_with(heard_by_whisper, clock)
    replies = await send_voice(chat, said(words))
    row = await the_voice_row(heard_by_whisper)
    assert row.intent == intent, row.text
    first = chat.mine(replies)[0].text
    assert first.startswith(("您问的是", "您说的是")) and row.text in first
    if intent == "emergency":
        [post] = staff_posts(replies)
        assert post.voice_path == row.audio_path


# -- keeping and forgetting -------------------------------------------------------------------


async def test_recordings_are_deleted_after_the_retention_period(
        app: App, fake: FakeRecognizer, clock: Clock) -> None:
    chat = chat_with(app, clock)
    await send_voice(chat, fake.says(b"OggS old", "老年大学怎么报名"))
    [old] = Path("var/audio").glob("*.ogg")
    clock.advance(days=181)
    await send_voice(chat, fake.says(b"OggS new", "老年大学怎么报名"))
    kept = list(Path("var/audio").glob("*.ogg"))
    assert old not in kept and len(kept) == 1 and kept[0].read_bytes() == b"OggS new"


def test_the_retention_period_is_a_setting_of_180_days(tmp_path: Path) -> None:
    assert Settings(_env_file=None).voice_audio_days == 180
    store = AudioStore(tmp_path, keep_days=30)
    now = Clock().now
    young = store.keep("1-x.ogg", b"young", now)
    old = tmp_path / f"1-{(now - timedelta(days=31)):%Y%m%d%H%M%S}-5.ogg"
    old.write_bytes(b"old")
    assert stamp_of(old) is not None
    assert store.purge(now) == 1
    assert young.exists() and not old.exists()


async def test_forget_removes_the_recordings_and_their_transcripts(
        app: App, fake: FakeRecognizer, clock: Clock) -> None:
    chat = chat_with(app, clock)
    await send_voice(chat, fake.says(b"OggS private", "我老伴摔倒了，起不来了"))
    row = await the_voice_row(app)
    assert Path(row.audio_path).exists()
    async with make_sessions(app.engine).begin() as s:
        assert await privacy.forget(s, row.cadre_id, clock())
    assert not Path(row.audio_path).exists()
    assert not list(Path("var/audio").glob("*.ogg"))
    assert not await rows(app, Message, Message.cadre_id == row.cadre_id)
    [ticket] = await rows(app, Ticket)
    assert ticket.question is None and ticket.audio_path is None and ticket.transcript == []
