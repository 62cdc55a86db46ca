"""Voice through the real Telegram stacks (python-telegram-bot and aiogram), against the fake
Bot API: spoken replies after /voice, and a cadre's voice message kept on disk and handed to the
staff group with its audio. Each scenario runs once per framework."""

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

pytestmark = pytest.mark.e2e

needs_espeak = pytest.mark.skipif(
    not available(), reason="espeak-ng is not installed (apt-get install espeak-ng, or make "
                            "system-deps) or PyAV lacks libopus: no spoken replies to check")


def ui(key: str, **params: object) -> str:
    return knowledge.load().string(key, **params)


@pytest.fixture
async def speaking(framework: str, fake_api: FakeBotAPI, e2e_settings: Settings,
                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                   ) -> AsyncIterator[BotRunner]:
    """The bot as `junxiu run` builds it: build_app(..., speech=True), so with espeak-ng's
    synthesizer when it is installed. Audio files go under the test's directory."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    monkeypatch.chdir(tmp_path)  # the service keeps audio in ./var/audio
    monkeypatch.setattr(e2e, "build_app", functools.partial(build_app, speech=True))
    fake_api.add_chat(STAFF_CHAT, chat_type="supergroup", title="军休所工作群")
    bot = BotRunner(framework, fake_api, e2e_settings)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


def voices_to(api: FakeBotAPI, chat_id: int) -> list[Call]:
    return [c for c in api.calls("sendVoice") if c.ok and c.params.get("chat_id") == chat_id]


@needs_espeak
async def test_voice_on_makes_later_answers_come_with_a_voice_note(
        speaking: BotRunner, fake_api: FakeBotAPI) -> None:
    [before] = await replies_to(fake_api, lambda: fake_api.push_text(CADRE, "你好"))
    assert not voices_to(fake_api, CADRE)  # text only until asked

    [on] = await replies_to(fake_api, lambda: fake_api.push_command(CADRE, "voice"))
    assert on.params["text"] == ui("ui.voice.on")

    [answer] = await replies_to(fake_api, lambda: fake_api.push_text(CADRE, "吉林退休自付十二万"))
    [voice] = await fake_api.wait_for("sendVoice", lambda c: c.ok and
                                      c.params["chat_id"] == CADRE and c.at >= answer.at,
                                      timeout=30)
    audio = voice.files["voice"]
    assert audio.startswith(b"OggS") and b"OpusHead" in audio[:200]
    assert len(audio) > 2000  # seconds of speech, not an empty container

    [off] = await replies_to(fake_api, lambda: fake_api.push_text(CADRE, "关闭语音"))
    assert off.params["text"] == ui("ui.voice.off")
    await replies_to(fake_api, lambda: fake_api.push_text(CADRE, "谢谢"))
    await fake_api.assert_no_call("sendVoice", lambda c: c.at > off.at and
                                  c.params["chat_id"] == CADRE and c is not voice, within=0.5)
    assert before.params["text"]


def spoken_ogg() -> bytes:
    """A real voice note when espeak-ng is here; otherwise bytes that merely look like one."""
    if available():
        return EspeakSynthesizer().synthesize("我想问一下疗养的事情")
    return b"OggS\x00\x02" + bytes(range(256)) * 8


async def test_a_voice_message_is_stored_and_handed_to_staff_with_its_audio(
        speaking: BotRunner, fake_api: FakeBotAPI) -> None:
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

    async with speaking.sessions() as s:
        ticket = (await s.scalars(select(Ticket))).one()
        inbound = (await s.scalars(select(Message).where(Message.direction == "in"))).one()
    assert (ticket.reason, inbound.kind) == ("voice.no_asr", "voice")
    assert ticket.audio_path and Path(ticket.audio_path).read_bytes() == audio
    assert Path(ticket.audio_path).resolve().is_relative_to(Path.cwd().resolve())
    assert not voices_to(fake_api, CADRE)  # the cadre did not ask for spoken replies


async def test_every_voice_message_reaches_staff_not_only_the_first(
        speaking: BotRunner, fake_api: FakeBotAPI) -> None:
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
    async with speaking.sessions() as s:
        assert len((await s.scalars(select(Ticket))).all()) == 1  # one ticket, one thread
