"""The aiogram 3 adapter: the same service behind aiogram's Dispatcher. Imported only when
`--framework aiogram` is chosen (aiogram takes seconds to import)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import DeleteWebhook
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)

from bot.messages import Incoming, Reply
from bot.service import ConversationService
from bot.settings import Settings
from bot.telegram.delivery import TRANSPORT, RetryLater, Transient, Unreachable, deliver, flush

log = logging.getLogger(__name__)

FLUSH_SECONDS = 5.0


def incoming_from_message(message: Message, update_id: int | None) -> Incoming:
    user = message.from_user
    base: dict[str, Any] = {
        "transport": TRANSPORT, "user_id": str(user.id if user else message.chat.id),
        "chat_id": str(message.chat.id), "at": message.date.astimezone(UTC),
        "update_id": update_id, "first_name": user.first_name if user else None,
        "chat_type": message.chat.type,
    }
    reply_to = message.reply_to_message.message_id if message.reply_to_message else None
    if message.contact is not None:
        return Incoming(**base, kind="contact", contact_phone=message.contact.phone_number,
                        contact_user_id=str(message.contact.user_id or ""))
    if message.voice is not None or message.audio is not None:
        media = message.voice or message.audio
        return Incoming(**base, kind="voice", voice_duration=media.duration)
    text = message.text
    if text is None:
        return Incoming(**base, kind="other", text=message.caption)
    if text.startswith("/"):
        head, _, args = text[1:].partition(" ")
        return Incoming(**base, kind="command", text=text, command=head.split("@")[0].lower(),
                        command_args=args, reply_to_message_id=reply_to)
    return Incoming(**base, text=text, reply_to_message_id=reply_to)


def incoming_from_callback(query: CallbackQuery, update_id: int | None) -> Incoming:
    message = query.message
    chat_id = message.chat.id if message is not None else query.from_user.id
    # A button press happens now, not when the message it sits on was sent.
    return Incoming(transport=TRANSPORT, user_id=str(query.from_user.id), chat_id=str(chat_id),
                    at=datetime.now(UTC), update_id=update_id, kind="callback",
                    callback_data=query.data, first_name=query.from_user.first_name,
                    chat_type=message.chat.type if message is not None else "private")


def markup(reply: Reply) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    if reply.buttons:
        return InlineKeyboardMarkup(inline_keyboard=[
            [InlineKeyboardButton(text=b.label, callback_data=b.data) for b in row]
            for row in reply.buttons])
    if reply.keyboard or reply.request_contact:
        rows = [[KeyboardButton(text=label) for label in row] for row in reply.keyboard]
        if reply.request_contact:
            rows.append([KeyboardButton(text=reply.request_contact, request_contact=True)])
        return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, is_persistent=True)
    return None


def sender(bot: Bot):
    from aiogram.types import BufferedInputFile

    async def send(reply: Reply) -> int | None:
        try:
            sent = await bot.send_message(int(reply.chat_id), reply.text,
                                          reply_markup=markup(reply))
            if reply.voice:
                await bot.send_voice(int(reply.chat_id),
                                     BufferedInputFile(reply.voice, filename="reply.ogg"))
            return sent.message_id
        except TelegramRetryAfter as exc:
            raise RetryLater(float(exc.retry_after)) from exc
        except TelegramForbiddenError as exc:
            raise Unreachable(str(exc)) from exc
        except TelegramBadRequest as exc:
            if "chat not found" in str(exc).lower():
                raise Unreachable(str(exc)) from exc
            raise
        except (TelegramNetworkError, TelegramServerError) as exc:
            raise Transient(str(exc)) from exc

    return send


class UpdateIdMiddleware(BaseMiddleware):
    """Hands the update_id to handlers: the service dedupes redelivered updates by it."""

    async def __call__(self, handler: Callable[..., Awaitable[Any]], event: Any,
                       data: dict[str, Any]) -> Any:
        update = data.get("event_update")
        data["update_id"] = update.update_id if update is not None else None
        return await handler(event, data)


async def on_callback(query: CallbackQuery, bot: Bot, service: ConversationService,
                      update_id: int | None) -> None:
    await query.answer()
    replies = await service.handle(incoming_from_callback(query, update_id))
    await deliver(service, sender(bot), replies)


async def on_voice(message: Message, bot: Bot, service: ConversationService,
                   update_id: int | None) -> None:
    media = message.voice or message.audio
    data = await bot.download(media.file_id)
    msg = replace(incoming_from_message(message, update_id), voice=data.read() if data else None)
    await deliver(service, sender(bot), await service.handle(msg))


async def on_message(message: Message, bot: Bot, service: ConversationService,
                     update_id: int | None) -> None:
    replies = await service.handle(incoming_from_message(message, update_id))
    await deliver(service, sender(bot), replies)


def build_router() -> Router:
    """A fresh router per dispatcher: a router can be attached to one dispatcher only."""
    router = Router(name=__name__)
    router.message.outer_middleware(UpdateIdMiddleware())
    router.callback_query.outer_middleware(UpdateIdMiddleware())
    router.callback_query.register(on_callback)
    router.message.register(on_voice, F.voice | F.audio)
    router.message.register(on_message)
    return router


def build_bot(settings: Settings, *, request_middlewares: tuple[BaseRequestMiddleware, ...] = ()
              ) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.api_root))
    for middleware in request_middlewares:
        session.middleware(middleware)
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
    return Bot(token, session=session)


def build_dispatcher(service: ConversationService) -> Dispatcher:
    dp = Dispatcher(service=service)  # workflow data: handlers get `service` by name
    dp.include_router(build_router())
    return dp


async def _flush_forever(service: ConversationService, bot: Bot) -> None:
    """The outbox and the staff alerts, on a timer (aiogram has no job queue)."""
    while True:
        await asyncio.sleep(FLUSH_SECONDS)
        try:
            await deliver(service, sender(bot), await service.resume(TRANSPORT))
            await flush(service, sender(bot))
            await deliver(service, sender(bot), await service.tick_escalations())
            await deliver(service, sender(bot), (await service.tick_checkins()).replies)
        except Exception:  # logged; the outbox keeps the replies for the next pass
            log.exception("outbox flush failed")


async def run_polling(settings: Settings, service: ConversationService, *,
                      polling_timeout: int = 10) -> None:
    bot = build_bot(settings)
    dp = build_dispatcher(service)
    await bot(DeleteWebhook())  # aiogram does not do this itself
    await deliver(service, sender(bot), await service.resume(TRANSPORT))
    await flush(service, sender(bot))
    flusher = asyncio.create_task(_flush_forever(service, bot))
    try:
        await dp.start_polling(bot, polling_timeout=polling_timeout, handle_signals=True)
    finally:
        flusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await flusher
        await bot.session.close()
