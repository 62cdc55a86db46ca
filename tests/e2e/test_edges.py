"""The edges of a conversation through both Telegram stacks (issue 13 part 6): a button press
and a voice note are stored before anything is asked of Telegram, so a refused
answerCallbackQuery or a failed download loses nothing; an edited message is answered as the
corrected question; a photo or document with a caption is understood like text, its file kept
for staff; a button press is stamped by the bot's own clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

import knowledge
from bot import staff
from bot.settings import Settings
from bot.storage.models import Message, Ticket
from tests.e2e.conftest import CADRE, STAFF_CHAT, BotRunner, replies_to, sends_to
from tests.helpers.fake_bot_api import FakeBotAPI

pytestmark = pytest.mark.e2e

TOO_OLD = "Bad Request: query is too old and response timeout expired or query id is invalid"


def ui(key: str, **params: object) -> str:
    return knowledge.load().string(key, **params)


async def inbound(runner: BotRunner, kind: str | None = None) -> list[Message]:
    async with runner.sessions() as s:
        stmt = select(Message).where(Message.direction == "in").order_by(Message.id)
        if kind is not None:
            stmt = stmt.where(Message.kind == kind)
        return list((await s.scalars(stmt)).all())


async def region_buttons(fake_api: FakeBotAPI) -> int:
    """/start, and the message id of the region question with its buttons."""
    _, region = await replies_to(fake_api, lambda: fake_api.push_command(CADRE, "start"),
                                 count=2)
    return region.result["message_id"]


async def test_a_button_press_is_answered_when_telegram_refuses_to_acknowledge_it(
        runner: BotRunner, fake_api: FakeBotAPI) -> None:
    message_id = await region_buttons(fake_api)
    fake_api.fail_next("answerCallbackQuery", status=400, description=TOO_OLD)

    [answer] = await replies_to(fake_api, lambda: fake_api.push_callback(
        CADRE, "pick:jilin", message_id=message_id))

    assert answer.params["text"]  # the press went through the conversation all the same
    [press] = await inbound(runner, "callback")
    assert press.payload["callback_data"] == "pick:jilin" and press.processed_at is not None
    [refused] = fake_api.calls("answerCallbackQuery")
    assert not refused.ok


async def test_a_voice_note_whose_download_fails_is_kept_and_handed_to_staff(
        runner: BotRunner, fake_api: FakeBotAPI) -> None:
    fake_api.fail_next("getFile", status=500, times=10)

    update = fake_api.push_voice(CADRE, b"OggS-never-downloaded")
    [told] = await replies_to(fake_api, lambda: None)
    file_id = update["message"]["voice"]["file_id"]

    assert told.params["text"] in (ui("ui.voice_received"), ui("ui.voice.failed"))
    [note] = await inbound(runner, "voice")
    assert note.payload["file_id"] == file_id and note.processed_at is not None
    [post] = await fake_api.wait_for("sendMessage", lambda c: c.ok and
                                     c.params["chat_id"] == STAFF_CHAT)
    assert file_id in post.params["text"]  # staff can fetch it themselves


async def test_an_edited_message_is_answered_as_the_corrected_question(
        runner: BotRunner, fake_api: FakeBotAPI) -> None:
    sent: dict = {}
    [first] = await replies_to(fake_api, lambda: sent.update(
        fake_api.push_text(CADRE, "吉林退休自付十二万")))
    message_id = sent["message"]["message_id"]

    [corrected] = await replies_to(fake_api, lambda: fake_api.push_edited_text(
        CADRE, message_id, "吉林退休自付二十万"))

    assert corrected.params["text"] != first.params["text"]
    assert "四万五千元" in first.params["text"] and "四万五千元" not in corrected.params["text"]
    original, edit = await inbound(runner)
    assert edit.text == "吉林退休自付二十万" and edit.payload["corrects"] == original.id
    assert original.text == "吉林退休自付十二万"  # the first question is kept as it was asked


async def test_an_edit_in_the_staff_group_is_not_a_second_command(
        runner: BotRunner, fake_api: FakeBotAPI) -> None:
    sent: dict = {}
    await replies_to(fake_api, lambda: sent.update(fake_api.push_text(
        777001, "/reply 1 您好", chat_id=STAFF_CHAT)), chat_id=STAFF_CHAT)  # refused: not staff
    before = len(fake_api.calls("sendMessage"))

    fake_api.push_edited_text(777001, sent["message"]["message_id"], "/reply 1 再次您好",
                              chat_id=STAFF_CHAT)
    await fake_api.wait_delivered()  # fetched by the bot
    await asyncio.sleep(1.0)

    assert len(fake_api.calls("sendMessage")) == before
    assert len(await inbound(runner)) == 1


@pytest.mark.parametrize("kind", ["photo", "document"])
async def test_a_captioned_file_is_understood_and_its_file_id_reaches_staff(
        kind: str, runner: BotRunner, fake_api: FakeBotAPI) -> None:
    caption = "我要找工作人员，看看这张单子"
    sent: dict = {}

    def push() -> None:
        if kind == "photo":
            sent.update(fake_api.push_photo(CADRE, caption=caption))
        else:
            sent.update(fake_api.push_document(CADRE, b"%PDF-1.4 fake", caption=caption))

    [reply] = await replies_to(fake_api, push)
    media = sent["message"]["photo"][-1] if kind == "photo" else sent["message"]["document"]
    file_id = media["file_id"]

    assert reply.params["text"] != ui("ui.unsupported")  # understood, not "I cannot read it"
    [stored] = await inbound(runner)
    assert (stored.kind, stored.text, stored.payload["file_id"]) == ("text", caption, file_id)
    assert stored.payload["file_kind"] == kind
    [post] = await fake_api.wait_for("sendMessage", lambda c: c.ok and
                                     c.params["chat_id"] == STAFF_CHAT)
    assert file_id in post.params["text"]
    async with runner.sessions() as s:
        ticket = (await s.scalars(select(Ticket))).one()
        shown = await staff.ticket_text(s, ticket.id)
    assert file_id in shown


# -- the clock ---------------------------------------------------------------------------------

FIXED = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
async def clocked(framework: str, fake_api: FakeBotAPI, e2e_settings: Settings,
                  monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[BotRunner]:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    fake_api.add_chat(STAFF_CHAT, chat_type="supergroup", title="军休所工作群")
    bot = BotRunner(framework, fake_api, e2e_settings, clock=lambda: FIXED)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


async def test_a_button_press_is_stamped_by_the_bots_clock(
        clocked: BotRunner, fake_api: FakeBotAPI) -> None:
    message_id = await region_buttons(fake_api)
    await replies_to(fake_api, lambda: fake_api.push_callback(
        CADRE, "pick:jilin", message_id=message_id))

    [press] = await inbound(clocked, "callback")
    at = press.created_at if press.created_at.tzinfo else press.created_at.replace(tzinfo=UTC)
    assert at == FIXED
    assert sends_to(fake_api, CADRE)
