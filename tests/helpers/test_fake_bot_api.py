"""Self-test of the fake Bot API: raw HTTP first, then both real frameworks polling it."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import json
import os
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.helpers.fake_bot_api import FakeBotAPI

USER = 4242
OGG = b"OggS\x00\x02" + os.urandom(6000)


@pytest.fixture(autouse=True)
async def _no_leftover_tasks() -> AsyncIterator[None]:
    """Every test must leave the loop as it found it."""
    yield
    for _ in range(3):
        await asyncio.sleep(0)
    current = asyncio.current_task()
    left = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    assert not left, f"tasks left running: {left}"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(http: aiohttp.ClientSession, api: FakeBotAPI, method: str,
               token: str | None = None, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    async with http.post(f"{api.url}/bot{token or api.token}/{method}", **kwargs) as resp:
        return resp.status, await resp.json()


# -- raw HTTP ----------------------------------------------------------------------------------


async def test_get_me_unknown_method_and_wrong_token(
        fake_api: FakeBotAPI, http: aiohttp.ClientSession) -> None:
    status, body = await call(http, fake_api, "getMe")
    assert status == 200
    assert body["result"]["is_bot"] is True
    assert body["result"]["username"] == "junxiu_test_bot"

    assert await call(http, fake_api, "noSuchMethod") == (
        404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"})
    assert await call(http, fake_api, "getMe", token="1:wrong") == (
        401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    assert [c.status for c in fake_api.requests] == [200, 404, 401]


async def test_request_encodings_are_decoded(
        fake_api: FakeBotAPI, http: aiohttp.ClientSession) -> None:
    markup = {"inline_keyboard": [[{"text": "是", "callback_data": "yes"}]]}
    await call(http, fake_api, "sendMessage",
               data={"chat_id": "42", "text": "123", "reply_markup": json.dumps(markup),
                     "disable_notification": "true"})
    await call(http, fake_api, "sendMessage", json={"chat_id": 42, "text": "json body"})
    await call(http, fake_api, "getMe", data=b"",
               headers={"Content-Type": "application/octet-stream"})
    form = aiohttp.FormData()
    form.add_field("chat_id", "42")
    form.add_field("voice", "attach://abc")
    form.add_field("abc", OGG, filename="v.ogg", content_type="audio/ogg")
    await call(http, fake_api, "sendVoice", data=form)

    form_call, json_call, get_me, voice_call = fake_api.requests
    assert form_call.params == {"chat_id": 42, "text": "123", "reply_markup": markup,
                                "disable_notification": True}
    assert json_call.params == {"chat_id": 42, "text": "json body"}
    assert get_me.ok and get_me.params == {}
    assert voice_call.params["voice"] == "attach://abc"
    assert voice_call.files["voice"] == voice_call.files["abc"] == OGG

    first, _, voice = fake_api.sent_messages(42)
    assert first["reply_markup"] == markup  # inline keyboards are echoed
    assert (first["message_id"], voice["message_id"]) == (1, 3)
    assert fake_api.file_bytes(voice["voice"]["file_id"]) == OGG


async def test_get_updates_offset_limit_and_long_poll(
        fake_api: FakeBotAPI, http: aiohttp.ClientSession) -> None:
    first = fake_api.push_text(USER, "/start CODE")
    second = fake_api.push_text(USER, "二")
    assert second["update_id"] == first["update_id"] + 1
    assert first["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]

    _, body = await call(http, fake_api, "getUpdates", data={"limit": "1"})
    assert [u["update_id"] for u in body["result"]] == [first["update_id"]]
    _, body = await call(http, fake_api, "getUpdates")  # nothing confirmed yet
    assert len(body["result"]) == 2
    _, body = await call(http, fake_api, "getUpdates",
                         data={"offset": str(second["update_id"] + 1), "timeout": "0"})
    assert body["result"] == []
    assert fake_api.pending_updates() == []

    started = time.monotonic()
    _, body = await call(http, fake_api, "getUpdates", data={"timeout": "0.3"})
    assert body["result"] == [] and 0.25 < time.monotonic() - started < 1.0

    async def push_later() -> None:
        await asyncio.sleep(0.2)
        fake_api.push_text(USER, "三")

    started = time.monotonic()
    pusher = asyncio.create_task(push_later())
    _, body = await call(http, fake_api, "getUpdates", data={"timeout": "30"})
    await pusher
    assert [u["message"]["text"] for u in body["result"]] == ["三"]
    assert time.monotonic() - started < 1.0
    await fake_api.wait_delivered(timeout=0.1)


async def test_fault_injection_block_and_delay(
        fake_api: FakeBotAPI, http: aiohttp.ClientSession) -> None:
    fake_api.fail_next("sendMessage", times=2)
    fake_api.fail_next("sendMessage", status=500)
    msg = {"chat_id": "7", "text": "hi"}
    too_many = (429, {"ok": False, "error_code": 429,
                      "description": "Too Many Requests: retry after 1",
                      "parameters": {"retry_after": 1}})
    assert await call(http, fake_api, "sendMessage", data=msg) == too_many
    assert await call(http, fake_api, "sendMessage", data=msg) == too_many
    assert await call(http, fake_api, "sendMessage", data=msg) == (
        500, {"ok": False, "error_code": 500, "description": "Internal Server Error"})
    assert (await call(http, fake_api, "sendMessage", data=msg))[0] == 200

    fake_api.block_user(7)
    assert await call(http, fake_api, "sendVoice", data={"chat_id": "7", "voice": "x"}) == (
        403, {"ok": False, "error_code": 403,
              "description": "Forbidden: bot was blocked by the user"})
    assert (await call(http, fake_api, "sendMessage", data={"chat_id": "8", "text": "x"}))[0] \
        == 200

    fake_api.set_delay("getMe", 0.3)
    started = time.monotonic()
    await call(http, fake_api, "getMe")
    assert time.monotonic() - started >= 0.3
    assert [m["text"] for m in fake_api.sent_messages()] == ["hi", "x"]


async def test_get_file_and_file_route(fake_api: FakeBotAPI,
                                       http: aiohttp.ClientSession) -> None:
    update = fake_api.push_voice(USER, OGG, duration=5)
    voice = update["message"]["voice"]
    status, body = await call(http, fake_api, "getFile", data={"file_id": voice["file_id"]})
    assert status == 200 and body["result"]["file_size"] == len(OGG)
    path = body["result"]["file_path"]
    async with http.get(f"{fake_api.url}/file/bot{fake_api.token}/{path}") as resp:
        assert await resp.read() == OGG
    async with http.get(f"{fake_api.url}/file/bot{fake_api.token}/nope.oga") as resp:
        assert resp.status == 404
    status, _ = await call(http, fake_api, "getFile", data={"file_id": "unknown"})
    assert status == 400


async def test_edit_semantics_and_reply_keyboard_not_echoed(
        fake_api: FakeBotAPI, http: aiohttp.ClientSession) -> None:
    keyboard = {"keyboard": [[{"text": "分享", "request_contact": True}]]}
    _, body = await call(http, fake_api, "sendMessage",
                         data={"chat_id": "42", "text": "a", "reply_markup": json.dumps(keyboard),
                               "reply_parameters": json.dumps({"message_id": 99})})
    sent = body["result"]
    assert "reply_markup" not in sent
    assert sent["reply_to_message"]["message_id"] == 99
    edit = {"chat_id": "42", "message_id": str(sent["message_id"]), "text": "a"}
    status, body = await call(http, fake_api, "editMessageText", data=edit)
    assert status == 400 and "message is not modified" in body["description"]
    status, body = await call(http, fake_api, "editMessageText", data={**edit, "text": "b"})
    assert status == 200 and body["result"]["text"] == "b" and "edit_date" in body["result"]
    assert fake_api.sent_texts(42) == ["b"]
    status, _ = await call(http, fake_api, "deleteMessage", data=edit)
    assert status == 200
    status, body = await call(http, fake_api, "editMessageText", data={**edit, "text": "c"})
    assert (status, body["description"]) == (400, "Bad Request: message to edit not found")


async def test_wait_for_timeout_reports_recorded_calls(fake_api: FakeBotAPI,
                                                       http: aiohttp.ClientSession) -> None:
    await call(http, fake_api, "sendMessage", data={"chat_id": "1", "text": "hello"})
    with pytest.raises(AssertionError) as excinfo:
        await fake_api.wait_for("sendMessage", lambda c: c.params["text"] == "bye",
                                timeout=0.2)
    assert "sendMessage×1" in str(excinfo.value) and "hello" in str(excinfo.value)
    await fake_api.assert_no_call("sendVoice", within=0.05)
    with pytest.raises(AssertionError, match="unexpected sendMessage"):
        await fake_api.assert_no_call("sendMessage", within=0.05)


async def test_stop_releases_a_pending_long_poll(http: aiohttp.ClientSession) -> None:
    api = FakeBotAPI(max_poll_wait=30)
    await api.start()
    poll = asyncio.create_task(call(http, api, "getUpdates", data={"timeout": "30"}))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await api.stop()
    assert (await poll)[1]["result"] == []
    assert time.monotonic() - started < 1.0


async def push_one_of_each(api: FakeBotAPI) -> list[dict[str, Any]]:
    """One update of every kind the fake can push, replying/clicking on a bot message."""
    api.add_chat(-1001, title="军休所一组")
    markup = {"inline_keyboard": [[{"text": "是", "callback_data": "yes"}]]}
    async with aiohttp.ClientSession() as http:
        _, body = await call(http, api, "sendMessage", json={"chat_id": USER, "text": "问",
                                                             "reply_markup": markup})
    bot_message = body["result"]
    text = api.push_text(USER, "/start CODE")
    return [
        text,
        api.push_text(USER, "回复", reply_to_message_id=bot_message["message_id"]),
        api.push_text(USER, "大家好", chat_id=-1001),
        api.push_callback(USER, "yes", message_id=bot_message["message_id"]),
        api.push_contact(USER, "+8613800000000"),
        api.push_voice(USER, OGG),
        api.push_photo(USER, caption="体检单"),
        api.push_sticker(USER),
        api.push_location(USER, 36.45, 115.98),
        api.push_document(USER, b"%PDF-1.4", file_name="报告.pdf"),
        api.push_edited_text(USER, text["message"]["message_id"], "/start NEW"),
    ]


@pytest.mark.e2e
async def test_pushed_updates_parse_in_ptb(fake_api: FakeBotAPI,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from telegram import Update

    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # else reading Voice.duration warns
    updates = [Update.de_json(u, None) for u in await push_one_of_each(fake_api)]
    text, reply, group, callback, contact, voice, photo, sticker, location, document, edited = \
        updates
    assert text.message.text == "/start CODE" and text.message.entities[0].type == "bot_command"
    assert reply.message.reply_to_message.from_user.is_bot
    assert (group.effective_chat.type, group.effective_chat.title) == ("supergroup", "军休所一组")
    assert callback.callback_query.message.reply_markup.inline_keyboard[0][0].text == "是"
    assert contact.message.contact.user_id == USER
    assert voice.message.voice.duration == dtm.timedelta(seconds=3)
    assert photo.message.photo[-1].width == 1280 and photo.message.caption == "体检单"
    assert sticker.message.sticker.emoji == "👍"
    assert location.message.location.latitude == 36.45
    assert document.message.document.file_name == "报告.pdf"
    assert edited.edited_message.text == "/start NEW" and edited.edited_message.edit_date


@pytest.mark.e2e
async def test_pushed_updates_parse_in_aiogram(fake_api: FakeBotAPI) -> None:
    from aiogram.types import Update

    updates = [Update.model_validate(u) for u in await push_one_of_each(fake_api)]
    assert [u.event_type for u in updates] == (
        ["message"] * 3 + ["callback_query"] + ["message"] * 6 + ["edited_message"])
    assert updates[3].callback_query is not None and updates[3].callback_query.data == "yes"


# -- python-telegram-bot -----------------------------------------------------------------------


def ptb_app(api: FakeBotAPI, rate_limiter: Any = None) -> Any:
    from telegram.ext import ApplicationBuilder

    builder = (ApplicationBuilder().token(api.token).base_url(f"{api.url}/bot")
               .base_file_url(f"{api.url}/file/bot"))
    if rate_limiter is not None:
        builder = builder.rate_limiter(rate_limiter)
    return builder.build()


@contextlib.asynccontextmanager
async def ptb_polling(app: Any) -> AsyncIterator[Any]:
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=dtm.timedelta(seconds=1))
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


async def ptb_echo(update: Any, context: Any) -> None:
    await update.message.reply_text(update.message.text)


@pytest.mark.e2e
async def test_ptb_echo(fake_api: FakeBotAPI) -> None:
    from telegram.ext import MessageHandler, filters

    app = ptb_app(fake_api)
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, ptb_echo))
    async with ptb_polling(app):
        fake_api.push_text(USER, "您好，我想问疗养")
        [sent] = await fake_api.wait_for("sendMessage",
                                         lambda c: c.params["text"] == "您好，我想问疗养")
    assert sent.params["chat_id"] == USER
    assert {"getMe", "deleteWebhook", "getUpdates"} <= {c.method for c in fake_api.requests}
    assert fake_api.pending_updates() == []  # PTB confirmed the update when stopping


@pytest.mark.e2e
async def test_ptb_keyboards_contact_and_callback(fake_api: FakeBotAPI) -> None:
    from telegram import (
        InlineKeyboardButton,
        InlineKeyboardMarkup,
        KeyboardButton,
        ReplyKeyboardMarkup,
        ReplyKeyboardRemove,
    )
    from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

    async def start(update: Any, context: Any) -> None:
        share = ReplyKeyboardMarkup([[KeyboardButton("分享电话", request_contact=True)]],
                                    one_time_keyboard=True)
        await update.message.reply_text(f"code {' '.join(context.args)}", reply_markup=share)
        choose = InlineKeyboardMarkup([[InlineKeyboardButton("是", callback_data="yes"),
                                        InlineKeyboardButton("否", callback_data="no")]])
        await update.message.reply_text("去疗养吗？", reply_markup=choose)

    async def on_contact(update: Any, context: Any) -> None:
        await update.message.reply_text(f"phone {update.message.contact.phone_number}",
                                        reply_markup=ReplyKeyboardRemove())

    async def on_choice(update: Any, context: Any) -> None:
        await update.callback_query.answer("好的")
        await update.callback_query.edit_message_text(f"选了 {update.callback_query.data}")

    app = ptb_app(fake_api)
    app.add_handlers([CommandHandler("start", start),
                      MessageHandler(filters.CONTACT, on_contact),
                      CallbackQueryHandler(on_choice)])
    async with ptb_polling(app):
        fake_api.push_command(USER, "start", "CODE")
        code, question = await fake_api.wait_for("sendMessage", count=2)
        assert code.params["text"] == "code CODE"
        assert code.params["reply_markup"]["keyboard"][0][0]["request_contact"] is True

        fake_api.push_contact(USER, "+8613800000000")
        await fake_api.wait_for("sendMessage",
                                lambda c: c.params["text"] == "phone +8613800000000")

        fake_api.push_callback(USER, "yes", message_id=question.result["message_id"])
        [answer] = await fake_api.wait_for("answerCallbackQuery")
        [edit] = await fake_api.wait_for("editMessageText")
    assert answer.params["text"] == "好的"
    assert edit.params["text"] == "选了 yes"
    assert fake_api.sent_texts(USER) == ["code CODE", "选了 yes", "phone +8613800000000"]


@pytest.mark.e2e
async def test_ptb_voice_download_and_upload(fake_api: FakeBotAPI) -> None:
    from telegram.ext import MessageHandler, filters

    received: list[bytes] = []

    async def on_voice(update: Any, context: Any) -> None:
        file = await update.message.voice.get_file()
        received.append(bytes(await file.download_as_bytearray()))
        await update.message.reply_voice(voice=received[-1], duration=5)

    app = ptb_app(fake_api)
    app.add_handler(MessageHandler(filters.VOICE, on_voice))
    async with ptb_polling(app):
        fake_api.push_voice(USER, OGG, duration=5)
        [upload] = await fake_api.wait_for("sendVoice")
    assert received == [OGG]
    assert upload.files["voice"] == OGG
    [echo] = fake_api.sent_messages(USER)
    assert fake_api.file_bytes(echo["voice"]["file_id"]) == OGG
    assert echo["voice"]["duration"] == 5


@pytest.mark.e2e
async def test_ptb_rate_limiter_retries_after_429(fake_api: FakeBotAPI,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from telegram.ext import AIORateLimiter, MessageHandler, filters

    # PTB 22.8 warns (PTBDeprecationWarning) inside RetryAfter.__init__ on every 429
    # unless time periods are opted in to datetime.timedelta.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")

    fake_api.fail_next("sendMessage", status=429, retry_after=1)
    app = ptb_app(fake_api, rate_limiter=AIORateLimiter(max_retries=2))
    app.add_handler(MessageHandler(filters.TEXT, ptb_echo))
    async with ptb_polling(app):
        fake_api.push_text(USER, "在吗")
        await fake_api.wait_for("sendMessage", lambda c: c.ok, timeout=5)
    refused, delivered = fake_api.calls("sendMessage")
    assert (refused.status, delivered.status) == (429, 200)
    assert delivered.at - refused.at >= 1.0
    assert fake_api.sent_texts(USER) == ["在吗"]


# -- aiogram -----------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def aiogram_polling(api: FakeBotAPI, router: Any) -> AsyncIterator[Any]:
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    bot = Bot(api.token, session=AiohttpSession(api=TelegramAPIServer.from_base(api.url)))
    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        await api.wait_polling()
        yield bot
    finally:
        if not polling.done():
            await dispatcher.stop_polling()
        await polling
        await bot.session.close()


@pytest.mark.e2e
async def test_aiogram_echo_and_callback(fake_api: FakeBotAPI) -> None:
    from aiogram import F, Router
    from aiogram.filters import CommandStart
    from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

    router = Router(name="self-test")

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        markup = InlineKeyboardMarkup(inline_keyboard=[[
            InlineKeyboardButton(text="是", callback_data="yes")]])
        await message.answer("去疗养吗？", reply_markup=markup)

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    @router.callback_query(F.data == "yes")
    async def on_yes(query: CallbackQuery) -> None:
        await query.answer("好的")
        assert isinstance(query.message, Message)
        await query.message.edit_text("选了 yes")

    async with aiogram_polling(fake_api, router):
        fake_api.push_text(USER, "军休所电话")
        await fake_api.wait_for("sendMessage", lambda c: c.params["text"] == "军休所电话")
        fake_api.push_command(USER, "start")
        [question] = await fake_api.wait_for("sendMessage",
                                             lambda c: c.params["text"] == "去疗养吗？")
        fake_api.push_callback(USER, "yes", message_id=question.result["message_id"])
        await fake_api.wait_for("answerCallbackQuery")
        [edit] = await fake_api.wait_for("editMessageText")
    assert edit.params["chat_id"] == USER
    assert question.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "yes"
    assert fake_api.sent_texts(USER) == ["军休所电话", "选了 yes"]


@pytest.mark.e2e
async def test_aiogram_voice_download_and_upload(fake_api: FakeBotAPI) -> None:
    from aiogram import Bot, F, Router
    from aiogram.types import BufferedInputFile, Message

    router = Router(name="voice")
    received: list[bytes] = []

    @router.message(F.voice)
    async def on_voice(message: Message, bot: Bot) -> None:
        assert message.voice is not None
        data = await bot.download(message.voice.file_id)
        assert data is not None
        received.append(data.read())
        await message.answer_voice(BufferedInputFile(received[-1], filename="echo.ogg"))

    async with aiogram_polling(fake_api, router):
        fake_api.push_voice(USER, OGG)
        [upload] = await fake_api.wait_for("sendVoice")
    assert received == [OGG]
    assert upload.params["voice"].startswith("attach://")
    assert upload.files["voice"] == OGG
